#pragma once
// One run of a SARIF log: its tool, rules, artifacts and URI bases, and how
// a result is resolved against them into a Finding. Internal to the SARIF
// parser (gates/parsers/sarif.cpp).
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "gates/parsers/sarif_result.hpp"

namespace qgate::sarif {

// What of a run results are resolved against, as read so far.
struct Run {
  std::size_t index = 0;
  json tool;
  json base_ids;                       // originalUriBaseIds
  std::vector<std::string> artifacts;  // uri of each artifact, by index
  std::vector<std::string> artifact_bases;
  std::vector<RawResult> results;  // read before what they refer to
};

// Resolves results against a run whose tool has been read; reads `run` as
// it grows (artifacts and bases may come later), so it must outlive this.
class RunResolver {
 public:
  // Checks the run's tool (throws Invalid if it has no driver name).
  explicit RunResolver(const Run& run);

  // Returns the driver's name.
  const std::string& tool_name() const { return name_; }

  // Turns `raw` into a finding: rule, severity, message and path.
  Finding resolve(RawResult raw) const;

  // Returns the path of `uri` as the module knows it: relative bases joined
  // in front of a relative path, a plain path for a file URI; an empty `uri`
  // is taken from artifact `artifact_index`.
  std::string file(std::string uri, std::string base_id,
                   std::optional<std::size_t> artifact_index) const;

  // Returns what base `base_id` puts in front of a relative path: a base that
  // is itself relative ("src/") is part of the module path; an absolute one
  // (the checkout folder) is not.
  std::string base_prefix(std::string base_id) const;

 private:
  const json* find_rule(const RawResult& raw) const;
  Severity severity(const RawResult& raw, const json* rule) const;
  std::string message(const RawResult& raw, const json* rule) const;

  const Run& run_;
  const json* driver_ = nullptr;
  const json* extensions_ = nullptr;
  std::string name_;
};

}  // namespace qgate::sarif
