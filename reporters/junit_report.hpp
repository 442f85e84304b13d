#pragma once
// The JUnit XML report: the checklist as test cases, so that CI systems that
// read JUnit (Jenkins, GitLab, Actions test reporters) show each requirement.
#include <string>

#include "runner/core/result.hpp"

namespace qgate {

// Renders `run` as a JUnit XML document: one <testsuite> per checklist
// category, one <testcase> per requirement, its failure details inside.
std::string render_junit_report(const RunResult& run);

}  // namespace qgate
