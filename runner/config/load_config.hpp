#pragma once
// Loads integration-requirements.yaml and the modules.yaml registry into the
// types of runner/core/config.hpp.
#include <filesystem>
#include <vector>

#include "runner/core/config.hpp"

namespace qgate {

// Loads and validates the configuration file at `path`; throws ConfigError
// naming file:line:column for every problem found. If `validation_stamp` is
// given, it records the file's hash after a full JSON Schema validation, and
// schema validation of the unchanged file is skipped next time: it is the
// slowest part of a trivial run.
Config load_config(const std::filesystem::path& path,
                   const std::filesystem::path& validation_stamp = {});

// Loads the module registry at `path` (the checkout system's modules.yaml);
// throws ConfigError on problems.
std::vector<ModuleInfo> load_module_registry(const std::filesystem::path& path);

}  // namespace qgate
