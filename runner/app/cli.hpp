#pragma once
#include <iosfwd>

namespace qgate {

// Runs the qgate command line `argv` and returns the process exit code.
int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace qgate
