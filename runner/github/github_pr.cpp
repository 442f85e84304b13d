#include "runner/github/github_pr.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "reporters/reports.hpp"

namespace qgate {
namespace {

// Percent-encodes a query value ("owner:branch" stays readable but '/' and
// '&' in branch names do not break the query).
std::string query_escape(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string path_escape(std::string_view text) {
  std::string out = query_escape(text);
  std::string result;
  for (char c : out) {
    if (c == '/') {
      result += "%2F";
    } else {
      result += c;
    }
  }
  return result;
}

PullRequest pull_from_json(const nlohmann::json& pull) {
  PullRequest out;
  out.number = pull.value("number", 0);
  out.html_url = pull.value("html_url", "");
  if (pull.contains("head") && pull.at("head").is_object()) {
    out.head_label = pull.at("head").value("label", "");
  }
  return out;
}

std::string repo_path(const Repository& repository) {
  return "/repos/" + path_escape(repository.owner) + "/" + path_escape(repository.name);
}

std::string cut(std::string text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t end = limit - 3;
  // Never cut a UTF-8 character in two.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + "...";
}

int severity_rank(Severity severity) { return static_cast<int>(severity); }

std::string annotation_level(Severity severity) {
  switch (severity) {
    case Severity::critical:
    case Severity::high:
      return "failure";
    case Severity::medium:
    case Severity::low:
      return "warning";
    case Severity::info:
      return "notice";
  }
  return "warning";
}

std::string check_conclusion(Status status) {
  switch (status) {
    case Status::passed:
      return "success";
    case Status::failed:
      return "failure";
    case Status::skipped:
      return "skipped";
    case Status::not_configured:
      return "neutral";
    case Status::cancelled:
    case Status::interrupted:
      return "cancelled";
    default:
      return "failure";
  }
}

// The check run's output text: the findings, one line each, within GitHub's
// 65,535 characters.
std::string findings_text(const GateResult& gate) {
  std::string text;
  for (const auto& finding : gate.findings) {
    std::string line = "- **" + std::string(to_string(finding.severity)) + "** ";
    if (!finding.file.empty()) {
      line +=
          "`" + finding.file + (finding.line > 0 ? ":" + std::to_string(finding.line) : "") + "` ";
    }
    line += finding.message;
    if (!finding.rule.empty()) line += " (" + finding.rule + ")";
    line += "\n";
    if (text.size() + line.size() > 60000) {
      text += "\n(further findings left out: GitHub takes 65,535 characters)\n";
      break;
    }
    text += line;
  }
  for (const auto& step : gate.steps) {
    if (!is_failure(step.status) || step.tail.empty()) continue;
    const std::string block = "\n**" + step.name + "** (" + step.message + ")\n```\n" +
                              std::string(last_part(to_printable_text(step.tail), 4000)) +
                              "\n```\n";
    if (text.size() + block.size() > 64000) break;
    text += block;
  }
  return to_valid_utf8(text);
}

}  // namespace

std::optional<Repository> parse_repository(std::string_view text) {
  std::string rest(text);
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.back()))) rest.pop_back();
  const auto scheme = rest.find("://");
  if (scheme != std::string::npos) {
    rest = rest.substr(scheme + 3);
    const auto slash = rest.find('/');
    if (slash == std::string::npos) return std::nullopt;
    rest = rest.substr(slash + 1);  // drop [user@]host[:port]
  } else if (const auto at = rest.find('@'); at != std::string::npos) {
    const auto colon = rest.find(':', at);
    if (colon == std::string::npos) return std::nullopt;
    rest = rest.substr(colon + 1);  // git@host:owner/name
  }
  if (rest.size() > 4 && rest.ends_with(".git")) rest.resize(rest.size() - 4);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  // GitHub Enterprise and GitHub itself: the last two segments.
  const auto slash = rest.rfind('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 >= rest.size()) return std::nullopt;
  const auto owner_start = rest.rfind('/', slash - 1);
  Repository repository;
  repository.owner = rest.substr(owner_start == std::string::npos ? 0 : owner_start + 1,
                                 slash - (owner_start == std::string::npos ? 0 : owner_start + 1));
  repository.name = rest.substr(slash + 1);
  const auto valid = [](const std::string& part) {
    return !part.empty() && std::all_of(part.begin(), part.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '-' || c == '_' || c == '.';
    });
  };
  if (!valid(repository.owner) || !valid(repository.name)) return std::nullopt;
  return repository;
}

std::string developer_slug(std::string_view name) {
  std::string slug;
  for (const unsigned char c : name) {
    if (std::isalnum(c) && c < 0x80) {
      slug += static_cast<char>(std::tolower(c));
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

std::string expand_branch_pattern(std::string_view pattern, const std::string& module_id,
                                  const std::string& developer, const std::string& branch) {
  std::string out(pattern);
  const std::pair<std::string_view, const std::string*> fields[] = {
      {"{module_id}", &module_id}, {"{developer}", &developer}, {"{branch}", &branch}};
  for (const auto& [name, value] : fields) {
    for (auto at = out.find(name); at != std::string::npos; at = out.find(name, at)) {
      out.replace(at, name.size(), *value);
      at += value->size();
    }
  }
  return out;
}

std::optional<PullRequest> find_open_pull(GithubClient& client, const Repository& repository,
                                          const std::string& head_owner, const std::string& head,
                                          std::string& error) {
  const auto response = client.get(
      repo_path(repository) + "/pulls?state=open&head=" + query_escape(head_owner + ":" + head));
  if (!response.ok()) {
    error = response.error;
    return std::nullopt;
  }
  if (!response.body.is_array()) {
    error = "GET pulls: expected a list of pull requests";
    return std::nullopt;
  }
  for (const auto& pull : response.body) {
    PullRequest found = pull_from_json(pull);
    if (found.number > 0) return found;
  }
  return std::nullopt;
}

PullOutcome open_or_update_pull(GithubClient& client, const PullSpec& spec) {
  PullOutcome outcome;
  const std::string pulls = repo_path(spec.repository) + "/pulls";
  // Twice at most: a pull request opened by someone else between our look and
  // our POST answers 422, and the second look finds it.
  for (int round = 0; round < 2; ++round) {
    std::string error;
    const auto open = find_open_pull(client, spec.repository, spec.head_owner, spec.head, error);
    if (!error.empty()) {
      outcome.error = error;
      return outcome;
    }
    if (open) {
      const auto updated = client.patch(pulls + "/" + std::to_string(open->number),
                                        {{"title", spec.title}, {"body", spec.body}});
      if (!updated.ok()) {
        outcome.error = updated.error;
        return outcome;
      }
      outcome.pull = pull_from_json(updated.body);
      if (outcome.pull->number == 0) outcome.pull = open;
      return outcome;
    }
    const std::string head =
        spec.head_owner == spec.repository.owner ? spec.head : spec.head_owner + ":" + spec.head;
    const auto created = client.post(
        pulls, {{"title", spec.title}, {"head", head}, {"base", spec.base}, {"body", spec.body}});
    if (created.ok()) {
      outcome.pull = pull_from_json(created.body);
      outcome.created = true;
      return outcome;
    }
    outcome.error = created.error;
    if (created.status != 422) return outcome;
  }
  return outcome;
}

ReviewVerdict judge_reviews(const nlohmann::json& reviews, int required) {
  std::map<std::string, std::string> latest;  // reviewer -> APPROVED / CHANGES_REQUESTED
  std::vector<std::string> order;
  if (reviews.is_array()) {
    for (const auto& review : reviews) {
      if (!review.is_object() || !review.contains("user") || !review.at("user").is_object()) {
        continue;
      }
      const std::string user = review.at("user").value("login", "");
      const std::string state = review.value("state", "");
      if (user.empty()) continue;
      if (state == "APPROVED" || state == "CHANGES_REQUESTED") {
        if (!latest.contains(user)) order.push_back(user);
        latest[user] = state;
      } else if (state == "DISMISSED") {
        latest.erase(user);
      }
    }
  }
  std::vector<std::string> approvers;
  std::vector<std::string> blockers;
  for (const auto& user : order) {
    auto it = latest.find(user);
    if (it == latest.end()) continue;
    (it->second == "APPROVED" ? approvers : blockers).push_back(user);
  }
  const auto join = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
  };
  ReviewVerdict verdict;
  if (!blockers.empty()) {
    verdict.status = Status::failed;
    verdict.message = "changes requested by " + join(blockers);
  } else if (static_cast<int>(approvers.size()) >= required) {
    verdict.status = Status::passed;
    verdict.message = std::to_string(approvers.size()) + " approval" +
                      (approvers.size() == 1 ? "" : "s") +
                      (approvers.empty() ? "" : " (" + join(approvers) + ")") + ", " +
                      std::to_string(required) + " required";
  } else {
    verdict.status = Status::failed;
    verdict.message = std::to_string(approvers.size()) + " of " + std::to_string(required) +
                      " required approval" + (required == 1 ? "" : "s") +
                      (approvers.empty() ? "" : " (" + join(approvers) + ")");
  }
  return verdict;
}

ReviewVerdict read_review_verdict(GithubClient& client, const Repository& repository,
                                  const PullRequest& pull, int required) {
  // 100 per page is GitHub's maximum; a pull request with more reviews reads on.
  nlohmann::json all = nlohmann::json::array();
  for (int page = 1; page <= 10; ++page) {
    const auto response =
        client.get(repo_path(repository) + "/pulls/" + std::to_string(pull.number) +
                   "/reviews?per_page=100&page=" + std::to_string(page));
    if (!response.ok() || !response.body.is_array()) {
      return {Status::error, "cannot read the reviews of " + pull.html_url + ": " +
                                 (response.error.empty() ? "not a list" : response.error)};
    }
    for (const auto& review : response.body) all.push_back(review);
    if (response.body.size() < 100) break;
  }
  ReviewVerdict verdict = judge_reviews(all, required);
  verdict.message += " on " + pull.html_url;
  return verdict;
}

std::string commit_state(Status status) {
  switch (status) {
    case Status::pending:
    case Status::running:
      return "pending";
    case Status::passed:
    case Status::skipped:
    case Status::not_configured:
      return "success";
    case Status::failed:
      return "failure";
    default:
      return "error";
  }
}

std::string status_description(const GateResult& gate) {
  std::string text = std::string(to_string(gate.status));
  if (!gate.message.empty()) text += ": " + gate.message;
  // One line: GitHub shows the description beside the check's name.
  std::replace(text.begin(), text.end(), '\n', ' ');
  return cut(to_valid_utf8(text), 140);
}

std::string post_commit_status(GithubClient& client, const Repository& repository,
                               const std::string& sha, const std::string& context,
                               const std::string& state, const std::string& description,
                               const std::string& target_url) {
  nlohmann::json body{
      {"state", state}, {"context", context}, {"description", cut(description, 140)}};
  if (!target_url.empty()) body["target_url"] = target_url;
  const auto response = client.post(repo_path(repository) + "/statuses/" + sha, body);
  return response.ok() ? std::string() : response.error;
}

std::vector<nlohmann::json> finding_annotations(const GateResult& gate,
                                                const AnnotationPaths& paths) {
  std::vector<const Finding*> findings;
  for (const auto& finding : gate.findings) {
    if (!finding.file.empty()) findings.push_back(&finding);
  }
  std::stable_sort(findings.begin(), findings.end(), [](const Finding* a, const Finding* b) {
    return severity_rank(a->severity) > severity_rank(b->severity);
  });
  std::vector<nlohmann::json> annotations;
  for (const Finding* finding : findings) {
    const int line = std::max(1, finding->line);
    nlohmann::json annotation{{"path", paths.prefix + finding->file},
                              {"start_line", line},
                              {"end_line", line},
                              {"annotation_level", annotation_level(finding->severity)},
                              {"message", cut(to_valid_utf8(finding->message), 4000)}};
    if (!finding->rule.empty()) annotation["title"] = cut(finding->rule, 255);
    if (finding->column > 0) {
      annotation["start_column"] = finding->column;
      annotation["end_column"] = finding->column;
    }
    annotations.push_back(std::move(annotation));
  }
  return annotations;
}

long long start_check_run(GithubClient& client, const Repository& repository,
                          const std::string& sha, const std::string& gate, std::string& error) {
  const auto response =
      client.post(repo_path(repository) + "/check-runs", {{"name", "qgate/" + gate},
                                                          {"head_sha", sha},
                                                          {"status", "in_progress"},
                                                          {"started_at", utc_now_iso8601()}});
  if (!response.ok()) {
    error = response.error;
    return 0;
  }
  return response.body.value("id", 0LL);
}

std::string complete_check_run(GithubClient& client, const Repository& repository,
                               const std::string& sha, long long id, const GateResult& gate,
                               const AnnotationPaths& paths, const std::string& details_url) {
  const std::vector<nlohmann::json> annotations = finding_annotations(gate, paths);
  const std::string title = cut(gate.name + ": " + std::string(to_string(gate.status)), 255);
  const std::string summary = cut(to_valid_utf8(gate.message.empty() ? title : gate.message) +
                                      "\n\n" + std::to_string(gate.findings.size()) + " finding" +
                                      (gate.findings.size() == 1 ? "" : "s"),
                                  65535);
  const std::string text = cut(findings_text(gate), 65535);
  // GitHub takes 50 annotations per request and appends those of each update.
  constexpr std::size_t kPerRequest = 50;
  std::size_t sent = 0;
  do {
    nlohmann::json batch = nlohmann::json::array();
    for (; sent < annotations.size() && batch.size() < kPerRequest; ++sent) {
      batch.push_back(annotations[sent]);
    }
    nlohmann::json output{{"title", title}, {"summary", summary}, {"annotations", batch}};
    if (!text.empty()) output["text"] = text;
    nlohmann::json body{{"output", output}};
    if (sent >= annotations.size()) {
      body["status"] = "completed";
      body["conclusion"] = check_conclusion(gate.status);
      body["completed_at"] = utc_now_iso8601();
    }
    if (!details_url.empty()) body["details_url"] = details_url;
    GithubResponse response;
    if (id == 0) {
      body["name"] = "qgate/" + gate.name;
      body["head_sha"] = sha;
      response = client.post(repo_path(repository) + "/check-runs", body);
      if (response.ok()) id = response.body.value("id", 0LL);
    } else {
      response = client.patch(repo_path(repository) + "/check-runs/" + std::to_string(id), body);
    }
    if (!response.ok()) return response.error;
    if (id == 0) return "POST check-runs: GitHub gave no id";
  } while (sent < annotations.size());
  return {};
}

nlohmann::json webhook_message(const RunResult& run, const std::string& pr_url) {
  int passed = 0;
  for (const auto& gate : run.gates) {
    if (!is_failure(gate.status)) ++passed;
  }
  std::string text = "qgate: module " + run.module_id + " passed its integration gates (" +
                     std::to_string(passed) + "/" + std::to_string(run.gates.size()) + " gates)";
  for (const auto& gate : run.gates) {
    text += "\n• " + gate.name + ": " + std::string(to_string(gate.status));
  }
  if (!pr_url.empty()) text += "\nPull request: " + pr_url;
  text += "\nRun " + run.id;
  return {{"text", to_valid_utf8(text)}};
}

}  // namespace qgate
