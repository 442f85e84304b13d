#pragma once
#include <optional>
#include <string_view>

namespace qgate {
// Returns the text of the source file at `path` (relative to the source root)
// that was compiled into the binary, or nothing if it was not embedded.
std::optional<std::string_view> embedded_file(std::string_view path);
}  // namespace qgate
