#pragma once
// What each gate of a run is compared with (GateReference): the gate's entry
// in the baseline file, else its latest recorded run that may be a baseline,
// else the lines changed since the base ref.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gates/base_ref.hpp"
#include "gates/report_checks.hpp"
#include "runner/store/store.hpp"

namespace qgate {

// Whether the store holds this checkout's runs only (SQLite in .qgate/) or a
// team's, from every machine and branch (PostgreSQL).
enum class StoreScope { this_checkout, shared };

// Whether the baseline file is consulted (`qgate baseline export` reads the store alone).
enum class BaselineFileUse { read, ignore };

// Chooses the references of one module's gates; the base ref, the file and
// the base's ancestors are each read once, when first needed.
class ReferenceChooser {
 public:
  // `configured_base_ref`: --base-ref or settings.base_ref ("" for none);
  // `pr_base`: the pull request's base branch ($GITHUB_BASE_REF).
  ReferenceChooser(std::filesystem::path module_dir, std::string module_id,
                   std::string configured_base_ref, std::string pr_base, StoreScope scope,
                   BaselineFileUse file = BaselineFileUse::read);

  // Returns what gate `gate` is compared with. With a shared store only runs
  // at the base's commit or one of its ancestors count (HEAD's when there is
  // no base): another branch's run is not this change's baseline. Throws
  // StoreError when the store cannot be read, std::runtime_error for a
  // malformed baseline file.
  GateReference choose(Store& store, const std::string& gate);
  // Returns the base of the module's working tree.
  const BaseRef& base();
  // Returns the baseline file's path.
  std::filesystem::path file_path() const;

 private:
  const std::vector<std::string>& commits();

  std::filesystem::path module_dir_;
  std::string module_id_;
  std::string configured_base_ref_;
  std::string pr_base_;
  StoreScope scope_;
  BaselineFileUse file_use_;
  std::optional<BaseRef> base_;
  std::optional<std::map<std::string, GateBaseline>> file_;
  std::optional<std::vector<std::string>> commits_;
};

}  // namespace qgate
