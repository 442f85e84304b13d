#include "runner/server/api_requests.hpp"

#include <cctype>

#include "runner/store/run_queue.hpp"

namespace qgate {
namespace {

bool only(const std::string& text, const std::string& punctuation) {
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && punctuation.find(c) == std::string::npos) {
      return false;
    }
  }
  return true;
}

ApiError invalid(const std::string& field, const std::string& message) {
  return {400, "invalid_field", message, field};
}

bool is_hex(const std::string& text) {
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::optional<ApiError> parse_options(const nlohmann::json& options, nlohmann::json& out) {
  if (!options.is_object()) return invalid("options", "options must be an object");
  for (const auto& [key, value] : options.items()) {
    const std::string field = "options." + key;
    if (key == "open_pr" || key == "fail_fast") {
      if (!value.is_boolean()) return invalid(field, field + " must be true or false");
    } else if (key == "jobs") {
      if (!value.is_number_integer() || value.get<long long>() < 1 || value.get<long long>() > 64) {
        return invalid(field, field + " must be an integer from 1 to 64");
      }
    } else if (key == "callback_url") {
      if (!value.is_string()) return invalid(field, field + " must be a string");
      if (const auto problem = callback_url_problem(value.get<std::string>()); !problem.empty()) {
        return invalid(field, field + " " + problem);
      }
    } else {
      return ApiError{400, "unknown_field",
                      "unknown field " + field + " (open_pr, fail_fast, jobs, callback_url)",
                      field};
    }
    out[key] = value;
  }
  return std::nullopt;
}

}  // namespace

nlohmann::json ApiError::to_json() const {
  nlohmann::json error = {{"code", code}, {"message", message}};
  if (!field.empty()) error["field"] = field;
  return {{"error", error}};
}

bool valid_module_id(const std::string& id) {
  return !id.empty() && id.size() <= 20 && only(id, "._-");
}

bool valid_ref(const std::string& ref) {
  return ref.size() <= 255 && only(ref, "._/+-") && ref.rfind('-', 0) != 0 &&
         ref.find("..") == std::string::npos && ref.find("//") == std::string::npos;
}

bool valid_idempotency_key(const std::string& key) {
  return !key.empty() && key.size() <= 200 && only(key, "._:-");
}

std::string callback_url_problem(const std::string& url) {
  if (url.size() > 2048) return "is longer than 2048 characters";
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return "must not hold whitespace or control characters";
    }
  }
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else {
    return "must be an http:// or https:// URL";
  }
  const std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string::npos) {
    return "must not carry user information (give secrets to the server, not in URLs)";
  }
  if (authority.empty() || authority[0] == ':') return "must name a host";
  return "";
}

std::optional<ApiError> parse_run_request(const std::string& content_type, const std::string& body,
                                          RunRequestBody& out) {
  const std::string media = content_type.substr(0, content_type.find(';'));
  if (media != "application/json") {
    return ApiError{415, "unsupported_media_type", "the body must be application/json", ""};
  }
  // Duplicate keys are refused: which one wins differs between readers.
  std::string duplicate;
  std::vector<std::vector<std::string>> keys;
  const auto parsed = nlohmann::json::parse(
      body,
      [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed_value) {
        (void)depth;
        if (event == nlohmann::json::parse_event_t::object_start) keys.emplace_back();
        if (event == nlohmann::json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
        if (event == nlohmann::json::parse_event_t::key && !keys.empty()) {
          const std::string key = parsed_value.get<std::string>();
          for (const auto& seen : keys.back()) {
            if (seen == key && duplicate.empty()) duplicate = key;
          }
          keys.back().push_back(key);
        }
        return true;
      },
      false);
  if (parsed.is_discarded()) {
    return ApiError{400, "invalid_json", "the body is not valid JSON", ""};
  }
  if (!duplicate.empty()) {
    return ApiError{400, "duplicate_field", "field " + duplicate + " is given twice", duplicate};
  }
  if (!parsed.is_object()) {
    return ApiError{400, "invalid_json", "the body must be a JSON object", ""};
  }
  std::string commit;
  for (const auto& [key, value] : parsed.items()) {
    if (key == "checkout_id") {
      if (!value.is_string() || !is_uuid(value.get<std::string>())) {
        return invalid(key, "checkout_id must be a UUID");
      }
      out.checkout_id = value.get<std::string>();
    } else if (key == "module_id") {
      if (!value.is_string() || !valid_module_id(value.get<std::string>())) {
        return invalid(key, "module_id must be 1 to 20 letters, digits, '.', '_' or '-'");
      }
      out.module_id = value.get<std::string>();
    } else if (key == "ref") {
      if (!value.is_string() || value.get<std::string>().empty() ||
          !valid_ref(value.get<std::string>())) {
        return invalid(key, "ref must be a plain git ref name (letters, digits, '._/+-')");
      }
      out.ref = value.get<std::string>();
    } else if (key == "commit") {
      if (!value.is_string() || value.get<std::string>().size() < 7 ||
          value.get<std::string>().size() > 40 || !is_hex(value.get<std::string>())) {
        return invalid(key, "commit must be 7 to 40 hexadecimal digits");
      }
      commit = value.get<std::string>();
    } else if (key == "options") {
      if (auto error = parse_options(value, out.options)) return error;
    } else {
      return ApiError{400, "unknown_field",
                      "unknown field " + key + " (checkout_id, module_id, ref, commit, options)",
                      key};
    }
  }
  if (out.checkout_id.empty() && out.module_id.empty()) {
    return ApiError{400, "missing_field", "give checkout_id or module_id", "checkout_id"};
  }
  if (!commit.empty()) {
    if (!out.ref.empty()) return invalid("commit", "give ref or commit, not both");
    out.ref = commit;
  }
  return std::nullopt;
}

std::optional<ApiError> parse_run_list_query(const std::multimap<std::string, std::string>& params,
                                             RunListQuery& out, bool fixed_checkout) {
  for (const auto& [key, value] : params) {
    if (key.empty()) {
      return ApiError{400, "unknown_field", "a query parameter has no name", "query"};
    }
    if (params.count(key) > 1) {
      return ApiError{400, "duplicate_field", "query parameter " + key + " is given twice", key};
    }
    if (key == "checkout_id" && !fixed_checkout) {
      if (!is_uuid(value)) return invalid(key, "checkout_id must be a UUID");
      out.checkout_id = value;
    } else if (key == "module_id") {
      if (!valid_module_id(value)) return invalid(key, "module_id is not a module id");
      out.module_id = value;
    } else if (key == "status") {
      if (value != "queued" && value != "running" && value != "finished" &&
          value != "interrupted" && value != "cancelled") {
        return invalid(key, "status must be queued, running, finished, interrupted or cancelled");
      }
      out.status = value;
    } else if (key == "limit") {
      if (value.empty() || value.size() > 3 ||
          value.find_first_not_of("0123456789") != std::string::npos || std::stoi(value) < 1 ||
          std::stoi(value) > 100) {
        return invalid(key, "limit must be from 1 to 100");
      }
      out.limit = std::stoi(value);
    } else if (key == "cursor") {
      std::string micros, id;
      if (!parse_run_cursor(value, micros, id)) {
        return invalid(key, "cursor is not one that a page gave");
      }
      out.cursor = value;
    } else {
      return ApiError{400, "unknown_field",
                      "unknown query parameter " + key +
                          (fixed_checkout ? " (module_id, status, limit, cursor)"
                                          : " (checkout_id, module_id, status, limit, cursor)"),
                      key};
    }
  }
  return std::nullopt;
}

bool parse_run_cursor(const std::string& cursor, std::string& micros, std::string& id) {
  const auto dot = cursor.find('.');
  if (dot == std::string::npos || dot == 0 || dot > 18) return false;
  for (std::size_t i = 0; i < dot; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(cursor[i]))) return false;
  }
  const std::string rest = cursor.substr(dot + 1);
  if (rest.size() != 36) return false;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (rest[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(rest[i]))) return false;
  }
  micros = cursor.substr(0, dot);
  id = rest;
  return true;
}

}  // namespace qgate
