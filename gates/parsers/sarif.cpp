#include "gates/parsers/sarif.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gates/parsers/json_reader.hpp"
#include "gates/parsers/sarif_result.hpp"
#include "gates/parsers/sarif_run.hpp"

namespace qgate {
namespace {

using nlohmann::json;
using namespace sarif;

// Which captured part of the log a subtree is.
enum class Part { none, tool, base_ids, artifact, invocation, result };

// Says whether the member `key`, `depth` levels below the root of a captured
// `part`, is kept: code flows, stacks, graphs and fixes can be most of a log
// and say nothing a gate reads.
bool keep_member(Part part, std::size_t depth, const std::string& key) {
  switch (part) {
    case Part::result:
      return depth != 1 || key == "ruleId" || key == "rule" || key == "ruleIndex" ||
             key == "level" || key == "kind" || key == "message" || key == "locations" ||
             key == "partialFingerprints" || key == "fingerprints" || key == "properties" ||
             key == "suppressions" || key == "baselineState";
    case Part::tool:
      return key != "fullDescription" && key != "help" && key != "relationships" &&
             key != "notifications" && key != "taxa";
    case Part::invocation:
      return depth != 1 || key == "toolExecutionNotifications" ||
             key == "toolConfigurationNotifications" || key == "executionSuccessful";
    case Part::artifact:
      return depth != 1 || key == "location";
    case Part::base_ids:
    case Part::none:
      break;
  }
  return true;
}

// Streams a SARIF log: the parts a gate reads (each result, the tool and its
// rules, artifacts' URIs, invocations) are built one at a time as small JSON
// values and turned into findings; the rest of the file is only scanned.
class SarifHandler : public nlohmann::json_sax<json> {
 public:
  bool null() override { return skip_scalar() || scalar(json(nullptr)); }
  bool boolean(bool val) override { return skip_scalar() || scalar(json(val)); }
  bool number_integer(number_integer_t val) override { return skip_scalar() || scalar(json(val)); }
  bool number_unsigned(number_unsigned_t val) override {
    return skip_scalar() || scalar(json(val));
  }
  bool number_float(number_float_t val, const string_t& /*text*/) override {
    return skip_scalar() || scalar(json(val));
  }
  bool string(string_t& val) override { return skip_scalar() || scalar(json(std::move(val))); }
  bool binary(binary_t& /*val*/) override { return skip_scalar() || scalar(json(nullptr)); }
  bool start_object(std::size_t /*elements*/) override { return open(json::value_t::object); }
  bool start_array(std::size_t /*elements*/) override { return open(json::value_t::array); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& val) override {
    if (skip_depth_ > 0) return true;
    if (!capture_.empty()) {
      if (keep_member(part_, capture_.size(), val)) {
        member_ = std::move(val);
      } else {
        skip_next_ = true;
      }
      return true;
    }
    path_.back().key = std::move(val);
    return true;
  }
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& /*ex*/) override {
    return false;  // sax_parse_json_file() reports it
  }

  // Returns the report once the whole file has been read.
  FindingsReport finish() {
    if (version_.empty()) throw Invalid("has no \"version\": not a SARIF log");
    if (version_ != "2.1.0") {
      throw Invalid("is SARIF version " + version_ + "; only 2.1.0 is read");
    }
    if (!runs_seen_) throw Invalid("has no \"runs\" array: not a SARIF log");
    report_.format = "sarif";
    return std::move(report_);
  }

 private:
  struct Frame {
    bool array = false;
    std::size_t index = 0;  // arrays: the index of the current element
    std::string key;        // objects: the key of the current member
  };

  std::string where() const {
    std::string text;
    for (std::size_t i = 1; i < path_.size(); ++i) {
      const Frame& parent = path_[i - 1];
      text += parent.array ? "[" + std::to_string(parent.index) + "]"
                           : (text.empty() ? "" : ".") + parent.key;
    }
    const Frame& last = path_.back();
    return text + (last.array ? "[" + std::to_string(last.index) + "]"
                              : (text.empty() ? "" : ".") + last.key);
  }

  // Moves on to the next element of the enclosing array.
  void advance() {
    if (!path_.empty() && path_.back().array) ++path_.back().index;
  }

  json* insert(json value) {
    json& container = *capture_.back();
    if (container.is_array()) {
      container.push_back(std::move(value));
      return &container.back();
    }
    json& slot = container[member_];
    slot = std::move(value);
    return &slot;
  }

  // Returns true if the scalar now read is in a skipped part, before any
  // JSON value is made of it.
  bool skip_scalar() {
    if (skip_depth_ > 0) return true;
    if (skip_next_) {
      skip_next_ = false;
      return true;
    }
    return false;
  }

  bool scalar(json value) {
    if (!capture_.empty()) {
      insert(std::move(value));
      return true;
    }
    const std::size_t depth = path_.size();
    if (depth == 0) throw Invalid("is not a JSON object: not a SARIF log");
    if (depth == 1 && path_[0].key == "version") {
      if (!value.is_string()) throw Invalid("\"version\" is " + type_of(value) + ", not a string");
      version_ = value.get<std::string>();
    } else if (depth == 1 && path_[0].key == "runs" && !value.is_null()) {
      throw Invalid("\"runs\" is " + type_of(value) + ", not an array");
    } else if (depth == 2) {
      throw Invalid(where() + " is " + type_of(value) + ", not an object");
    } else if (depth == 3 && !value.is_null() &&
               (path_[2].key == "tool" || path_[2].key == "results")) {
      throw Invalid(where() + " is " + type_of(value) + ", not " +
                    (path_[2].key == "tool" ? "an object" : "an array"));
    } else if (depth == 4 && path_[2].key == "results") {
      throw Invalid(where() + " is " + type_of(value) + ", not an object");
    }
    advance();
    return true;
  }

  bool open(json::value_t type) {
    if (skip_depth_ > 0) {
      ++skip_depth_;
      return true;
    }
    if (skip_next_) {
      skip_next_ = false;
      skip_depth_ = 1;
      return true;
    }
    if (!capture_.empty()) {
      capture_.push_back(insert(json(type)));
      return true;
    }
    const bool is_object = type == json::value_t::object;
    const std::size_t depth = path_.size();
    if (depth == 0) {
      if (!is_object) throw Invalid("is not a JSON object: not a SARIF log");
      return push(false);
    }
    if (depth == 1) {
      if (path_[0].key == "runs") {
        if (is_object) throw Invalid("\"runs\" is an object, not an array");
        runs_seen_ = true;
        return push(true);
      }
      skip_depth_ = 1;
      return true;
    }
    if (depth == 2) {
      if (!is_object) throw Invalid(where() + " is an array, not an object");
      run_ = Run();
      run_.index = path_[1].index;
      return push(false);
    }
    const std::string& member = path_[2].key;
    if (depth == 3) {
      if (member == "tool" || member == "originalUriBaseIds") {
        if (!is_object) throw Invalid(where() + " is an array, not an object");
        return begin_capture(member == "tool" ? Part::tool : Part::base_ids, type);
      }
      if (member == "results" || member == "artifacts" || member == "invocations") {
        if (is_object) throw Invalid(where() + " is an object, not an array");
        return push(true);
      }
      skip_depth_ = 1;
      return true;
    }
    // depth 4: an element of results, artifacts or invocations.
    if (!is_object) throw Invalid(where() + " is an array, not an object");
    return begin_capture(member == "results"     ? Part::result
                         : member == "artifacts" ? Part::artifact
                                                 : Part::invocation,
                         type);
  }

  bool close() {
    if (skip_depth_ > 0) {
      if (--skip_depth_ == 0 && capture_.empty()) advance();
      return true;
    }
    if (!capture_.empty()) {
      capture_.pop_back();
      if (capture_.empty()) {
        finish_capture();
        advance();
      }
      return true;
    }
    path_.pop_back();
    if (path_.size() == 2) end_run();
    advance();
    return true;
  }

  bool push(bool array) {
    path_.push_back(Frame{array, 0, {}});
    return true;
  }

  bool begin_capture(Part part, json::value_t type) {
    part_ = part;
    captured_ = json(type);
    capture_.push_back(&captured_);
    return true;
  }

  void finish_capture() {
    const std::string at = where();
    switch (part_) {
      case Part::tool:
        run_.tool = std::move(captured_);
        resolver_.emplace(run_);
        break;
      case Part::base_ids:
        run_.base_ids = std::move(captured_);
        break;
      case Part::artifact: {
        const json* location = object_at(captured_, "location", at);
        run_.artifacts.push_back(location ? text_at(*location, "uri", at + ".location") : "");
        run_.artifact_bases.push_back(location ? text_at(*location, "uriBaseId", at + ".location")
                                               : "");
        break;
      }
      case Part::invocation:
        for (RawResult& raw : read_invocation(captured_, at)) accept(std::move(raw));
        break;
      case Part::result:
        if (is_reported(captured_, at)) accept(read_result(captured_, at));
        break;
      case Part::none:
        break;
    }
    captured_ = json();
    part_ = Part::none;
  }

  // Turns a result into a finding now if everything it refers to has been
  // read (the tool comes first in most logs), else keeps it for the end of
  // the run: memory then holds findings, not results.
  void accept(RawResult raw) {
    const bool artifact_unread = raw.finding.file.empty() && raw.artifact_index &&
                                 *raw.artifact_index >= run_.artifacts.size();
    if (!resolver_ || artifact_unread) {
      run_.results.push_back(std::move(raw));
      return;
    }
    emit(std::move(raw));
  }

  void emit(RawResult raw) {
    // originalUriBaseIds may follow the results: note the base of a
    // relative path until the run is complete.
    std::string base_id = raw.finding.file.empty() ? "" : raw.uri_base_id;
    if (is_absolute(raw.finding.file) || !run_.base_ids.is_null()) base_id.clear();
    if (raw.kind == "notification") {
      // Notifications keep the severity and rule they were given.
      Finding finding = std::move(raw.finding);
      finding.file = resolver_->file(finding.file, raw.uri_base_id, raw.artifact_index);
      report_.findings.push_back(std::move(finding));
    } else {
      report_.findings.push_back(resolver_->resolve(std::move(raw)));
    }
    if (!base_id.empty()) unresolved_bases_.emplace_back(report_.findings.size() - 1, base_id);
  }

  void end_run() {
    if (!resolver_) resolver_.emplace(run_);  // throws: the run has no tool
    std::vector<std::pair<std::size_t, std::string>> bases = std::move(unresolved_bases_);
    for (RawResult& raw : run_.results) emit(std::move(raw));
    for (const auto& [index, base_id] : bases) {
      std::string& file = report_.findings[index].file;
      file = percent_decode(resolver_->base_prefix(base_id)) + file;
    }
    const std::string& name = resolver_->tool_name();
    if (report_.tool.empty()) {
      report_.tool = name;
    } else if (("," + report_.tool + ",").find("," + name + ",") == std::string::npos) {
      report_.tool += "," + name;
    }
    resolver_.reset();
    unresolved_bases_.clear();
    run_ = Run();
  }

  std::vector<Frame> path_;
  std::size_t skip_depth_ = 0;
  bool skip_next_ = false;
  Part part_ = Part::none;
  json captured_;
  std::vector<json*> capture_;
  std::string member_;
  std::string version_;
  bool runs_seen_ = false;
  Run run_;
  std::optional<RunResolver> resolver_;  // once the run's tool is read
  // Findings whose relative path rests on a base not read yet: index, base.
  std::vector<std::pair<std::size_t, std::string>> unresolved_bases_;
  FindingsReport report_;
};

// Members of a SARIF log that no gate reads, wherever they are: code flows,
// stacks, graphs and embedded file contents are most of a large log, and are
// only bracket-checked instead of parsed.
const std::vector<std::string>& unread_members() {
  static const std::vector<std::string> names = {"codeFlows",
                                                 "relatedLocations",
                                                 "stacks",
                                                 "graphs",
                                                 "graphTraversals",
                                                 "fixes",
                                                 "attachments",
                                                 "webRequest",
                                                 "webResponse",
                                                 "provenance",
                                                 "snippet",
                                                 "contextRegion",
                                                 "logicalLocations",
                                                 "fullDescription",
                                                 "help",
                                                 "relationships",
                                                 "taxonomies",
                                                 "threadFlowLocations",
                                                 "contents",
                                                 "hashes",
                                                 "conversion",
                                                 "versionControlProvenance",
                                                 "addresses",
                                                 "translations",
                                                 "policies",
                                                 "specialLocations",
                                                 "workItemUris",
                                                 "externalPropertyFileReferences"};
  return names;
}

std::string_view skip_space(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  return text;
}

bool contains_nocase(std::string_view text, std::string_view word) {
  return std::search(text.begin(), text.end(), word.begin(), word.end(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         }) != text.end();
}

}  // namespace

bool looks_like_sarif(std::string_view head) {
  const std::string_view text = skip_space(head);
  if (text.empty() || text.front() != '{') return false;
  // "$schema" names SARIF in every writer seen; a log without it still has
  // "runs" next to "version".
  return contains_nocase(text, "sarif") || (text.find("\"runs\"") != std::string_view::npos &&
                                            text.find("\"version\"") != std::string_view::npos);
}

FindingsReport parse_sarif(const std::filesystem::path& file) {
  SarifHandler handler;
  try {
    sax_parse_json_file(file, handler, unread_members());
    return handler.finish();
  } catch (const Invalid& e) {
    throw ReportError(file, e.what());
  }
}

}  // namespace qgate
