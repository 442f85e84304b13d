#pragma once
// The security gate's built-in check: the secret scan of the module's files
// that git tracks or does not ignore. Options come from `gates.security` in the config: `secrets`
// (enabled, allowlist, exclude, entropy, max_file_bytes) and `fail_on`.
#include "gates/builtin_check.hpp"

namespace qgate {

// security_scan_clean: no secret at or above `fail_on` (default low) in the
// module's tracked files and the untracked ones git does not ignore.
CheckOutcome check_security_scan(const CheckContext& context);

}  // namespace qgate
