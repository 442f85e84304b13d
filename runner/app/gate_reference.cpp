#include "runner/app/gate_reference.hpp"

#include "runner/config/baseline_file.hpp"
#include "runner/git/git_query.hpp"

namespace qgate {
namespace {

// How far back the base's history is searched for a recorded run.
constexpr int kMaxAncestors = 1000;

}  // namespace

ReferenceChooser::ReferenceChooser(std::filesystem::path module_dir, std::string module_id,
                                   std::string configured_base_ref, std::string pr_base,
                                   StoreScope scope, BaselineFileUse file)
    : module_dir_(std::move(module_dir)),
      module_id_(std::move(module_id)),
      configured_base_ref_(std::move(configured_base_ref)),
      pr_base_(std::move(pr_base)),
      scope_(scope),
      file_use_(file) {}

std::filesystem::path ReferenceChooser::file_path() const {
  return module_dir_ / kBaselineFileName;
}

const BaseRef& ReferenceChooser::base() {
  if (!base_) base_ = find_base_ref(module_dir_, configured_base_ref_, pr_base_);
  return *base_;
}

const std::vector<std::string>& ReferenceChooser::commits() {
  if (commits_) return *commits_;
  commits_.emplace();
  const BaseRef& found = base();
  if (!found.merge_base.empty()) {
    *commits_ = ancestor_commits(module_dir_, found.merge_base, kMaxAncestors);
  } else {
    *commits_ = ancestor_commits(module_dir_, "HEAD", kMaxAncestors);
  }
  return *commits_;
}

GateReference ReferenceChooser::choose(Store& store, const std::string& gate) {
  GateReference reference;
  if (file_use_ == BaselineFileUse::read) {
    if (!file_) file_ = read_baseline_file(file_path());
    if (const auto it = file_->find(gate); it != file_->end()) {
      reference.baseline = it->second;
      return reference;
    }
  }
  BaselineQuery query{module_id_, gate, {}};
  if (scope_ == StoreScope::shared) query.commits = commits();
  // Not a git working tree: any recorded run of the module is all there is.
  reference.baseline = store.findings_baseline(query);
  if (reference.baseline) {
    if (!reference.baseline->commit_sha.empty()) {
      reference.baseline->source += " at commit " + reference.baseline->commit_sha.substr(0, 12);
    }
    return reference;
  }
  const BaseRef& found = base();
  reference.base_ref = found.ref;
  reference.missing = found.problem;
  return reference;
}

}  // namespace qgate
