#pragma once
// The strict reading of what API clients send: the body of POST /v1/runs,
// the query of GET /v1/runs, the Idempotency-Key header and callback URLs.
// Pure functions, so that every refusal is tested without a server; a
// refusal names the field (or header, or query parameter) at fault.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "runner/server/api_db.hpp"

namespace qgate {

// An answer other than success: the HTTP status and the error object
// {"error": {"code", "message", "field"}} of the response.
struct ApiError {
  int status = 400;
  std::string code;  // e.g. "invalid_json", "unknown_field", "invalid_field"
  std::string message;
  std::string field;  // "" when no single field is at fault

  nlohmann::json to_json() const;
};

// The body of POST /v1/runs:
//   {"checkout_id": UUID, "module_id": id, "ref": git ref | "commit": hex,
//    "options": {"open_pr": bool, "fail_fast": bool, "jobs": 1-64,
//                "callback_url": http(s) URL}}
// checkout_id or module_id (or both) must be there; ref and commit not both.
struct RunRequestBody {
  std::string checkout_id;
  std::string module_id;
  std::string ref;  // the ref, or the commit when one was given
  nlohmann::json options = nlohmann::json::object();
};

std::optional<ApiError> parse_run_request(const std::string& content_type, const std::string& body,
                                          RunRequestBody& out);

// The query of GET /v1/runs (checkout_id, module_id, status, limit, cursor).
// `fixed_checkout` is set for GET /v1/checkouts/{id}/runs, whose query may
// not name a checkout.
std::optional<ApiError> parse_run_list_query(const std::multimap<std::string, std::string>& params,
                                             RunListQuery& out, bool fixed_checkout);

// An Idempotency-Key: 1 to 200 characters of letters, digits and "._:-".
bool valid_idempotency_key(const std::string& key);

// "" if `url` may receive callbacks (http or https, a host, no user info,
// no whitespace, at most 2048 characters), else why not.
std::string callback_url_problem(const std::string& url);

// A plain git ref name as the queue accepts it (no "..", no leading "-").
bool valid_ref(const std::string& ref);

bool valid_module_id(const std::string& id);

// Returns true and fills `micros`/`id` if `cursor` is one that a page's
// next_cursor gives ("<microseconds since 1970>.<UUID>").
bool parse_run_cursor(const std::string& cursor, std::string& micros, std::string& id);

}  // namespace qgate
