#pragma once
#include <string>
#include <vector>

#include "runner/core/result.hpp"

namespace qgate {

// What a built-in check found.
struct CheckOutcome {
  Status status = Status::passed;  // passed, failed, error or skipped
  std::string message;             // one line for the report
  std::vector<Finding> findings;   // each with `requirement` set
};

}  // namespace qgate
