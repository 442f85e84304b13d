// Feeds each input to what `qgate serve` reads from clients before anything
// reaches the database or a command line (runner/server/api_requests.hpp):
// the body of POST /v1/runs, a query string of GET /v1/runs, an
// Idempotency-Key and a callback URL. Nothing may throw, a refusal must be a
// 400 or a 415 naming what it refuses, and what is accepted must hold only
// the forms the rest of the server relies on (fuzz/README.md).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "runner/server/api_requests.hpp"
#include "runner/store/run_queue.hpp"

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& input) {
  std::fprintf(stderr, "qgate fuzz: %s for input of %zu bytes\n", what.c_str(), input.size());
  std::abort();
}

bool is_hex(const std::string& text) {
  return text.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

void check_body(const std::string& input) {
  qgate::RunRequestBody body;
  const auto error = qgate::parse_run_request("application/json", input, body);
  if (error) {
    if (error->status != 400 || error->code.empty() || error->message.empty()) {
      fail("a refusal that is not a 400 with a code and a message", input);
    }
    return;
  }
  if (body.checkout_id.empty() && body.module_id.empty()) fail("no checkout and no module", input);
  if (!body.checkout_id.empty() && !qgate::is_uuid(body.checkout_id)) fail("a bad checkout", input);
  if (!body.module_id.empty() && !qgate::valid_module_id(body.module_id)) {
    fail("a bad module id", input);
  }
  if (!body.ref.empty() && !qgate::valid_ref(body.ref) && !is_hex(body.ref)) {
    fail("a ref that is neither a ref nor a commit", input);
  }
  if (!body.options.is_object()) fail("options that are not an object", input);
  for (const auto& [key, value] : body.options.items()) {
    if (key == "callback_url" &&
        (!value.is_string() || !qgate::callback_url_problem(value.get<std::string>()).empty())) {
      fail("a callback URL that is refused on its own", input);
    }
    if (key != "callback_url" && key != "open_pr" && key != "fail_fast" && key != "jobs") {
      fail("an unknown option accepted", input);
    }
  }
}

// "a=1&b=2" as the server's query parameters.
void check_query(const std::string& input) {
  std::multimap<std::string, std::string> params;
  std::size_t start = 0;
  while (start <= input.size()) {
    const std::size_t end = std::min(input.find('&', start), input.size());
    const std::string pair = input.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;  // as HTTP libraries read "a=1&&b=2"
    const std::size_t equals = pair.find('=');
    params.emplace(pair.substr(0, equals),
                   equals == std::string::npos ? "" : pair.substr(equals + 1));
  }
  for (bool fixed : {false, true}) {
    qgate::RunListQuery query;
    const auto error = qgate::parse_run_list_query(params, query, fixed);
    if (error) {
      if (error->status != 400 || error->field.empty())
        fail("a query refusal without a field", input);
      continue;
    }
    if (query.limit < 1 || query.limit > 100) fail("a limit out of range", input);
    std::string micros, id;
    if (!query.cursor.empty() && !qgate::parse_run_cursor(query.cursor, micros, id)) {
      fail("a cursor accepted that does not parse", input);
    }
    if (!query.checkout_id.empty() && (fixed || !qgate::is_uuid(query.checkout_id))) {
      fail("a checkout accepted in the query", input);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  check_body(input);
  check_query(input);
  if (qgate::valid_idempotency_key(input) &&
      input.find_first_of(" \t\r\n\"';$`\\/") != std::string::npos) {
    fail("an idempotency key with a character outside its set", input);
  }
  if (qgate::callback_url_problem(input).empty()) {
    const bool http = input.rfind("http://", 0) == 0 || input.rfind("https://", 0) == 0;
    const std::size_t host = input.find("://") + 3;
    const std::string authority = input.substr(host, input.find_first_of("/?#", host) - host);
    if (!http || authority.empty() || authority.find('@') != std::string::npos ||
        input.size() > 2048 || input.find_first_of(" \t\r\n") != std::string::npos) {
      fail("a callback URL accepted that is not a plain http(s) URL", input);
    }
  }
  std::string micros, id;
  if (qgate::parse_run_cursor(input, micros, id) && (!qgate::is_uuid(id) || micros.empty())) {
    fail("a cursor that parses to bad parts", input);
  }
  return 0;
}
