#pragma once

namespace qgate {

// Exit codes of `qgate check` (DESIGN.md), plus 130 for a cancelled run.
enum ExitCode : int {
  kExitPassed = 0,
  kExitFailed = 1,
  kExitUsage = 2,
  kExitInternal = 3,
  kExitCancelled = 130,
};

}  // namespace qgate
