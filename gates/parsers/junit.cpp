#include "gates/parsers/junit.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>

#include "gates/parsers/xml_input.hpp"
#include "gates/parsers/xml_stream.hpp"
#include "runner/core/utf8_text.hpp"

// The totals of a report are counted from its test cases, not taken from the
// tools' attributes, because the tools disagree on what those attributes
// count (GoogleTest counts disabled tests in `tests` but not in `skipped`,
// ctest counts tests it could not start as `skipped`, pytest subtracts a test
// that both failed and errored). Where a tool leaves something out of the
// cases, or writes a case ambiguously, the reader settles it as the tool
// meant (tests/fixtures/junit/README.md lists each case).

namespace qgate {
namespace {

// Suites nested deeper than this are taken as a hostile file rather than a
// real report (and would otherwise exhaust the stack).
constexpr int kMaxSuiteDepth = 200;

// Messages are kept to their first line, and not to more than this.
constexpr std::size_t kMaxMessageLength = 1000;
// A failure's whole text (a stack trace, an assertion) is kept up to this:
// far more than a reader looks at, and a report's memory stays bounded by it
// rather than by its largest value.
constexpr std::size_t kMaxDetailsLength = 64 * 1024;

// Returns `text` kept to kMaxDetailsLength (cut_with_note).
std::string capped(std::string_view text, std::size_t left_out = 0) {
  std::string out(text);
  cut_with_note(out, kMaxDetailsLength, left_out);
  return out;
}

std::string_view trim(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  const std::size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

std::string first_line(std::string_view text) {
  text = trim(text);
  std::string_view line = trim(text.substr(0, text.find('\n')));
  return std::string(line.substr(0, kMaxMessageLength));
}

// Returns the text of `element`: its PCDATA and CDATA children joined, as
// GoogleTest splits a message holding "]]>" over several CDATA sections.
// Kept up to kMaxDetailsLength.
std::string element_text(pugi::xml_node element) {
  std::string text;
  std::size_t left_out = 0;
  for (pugi::xml_node child : element.children()) {
    if (child.type() != pugi::node_pcdata && child.type() != pugi::node_cdata) continue;
    const std::string_view value = child.value();
    const std::size_t room = kMaxDetailsLength + 1 - std::min(text.size(), kMaxDetailsLength + 1);
    text += value.substr(0, room);
    left_out += value.size() - std::min(value.size(), room);
  }
  return capped(trim(text), left_out);
}

std::optional<long long> count_attribute(pugi::xml_node node, const char* name) {
  const pugi::xml_attribute attribute = node.attribute(name);
  if (!attribute) return std::nullopt;
  const std::string_view text = trim(attribute.value());
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

class JunitReader {
 public:
  explicit JunitReader(const XmlStream& xml) : xml_(xml) {}

  // Reads the <testcase> element `node` (cut out of the stream) as number
  // `index`; its suite is known once the skeleton is read.
  void read_piece(pugi::xml_node node, std::size_t index);

  // Places the cases of `suite` and of the suites nested in it; returns the
  // suite's time (its own attribute, else the sum of its parts).
  double read_suite(pugi::xml_node suite, const std::string& suite_name, int depth);
  // Counts the totals from the cases and finishes the report.
  TestReport finish(pugi::xml_node root, double time_s);

 private:
  TestCase read_case(pugi::xml_node node) const;
  // Returns the `time` attribute of `node` in seconds, if it has one.
  std::optional<double> time_of(pugi::xml_node node) const;
  void settle_todo_cases(pugi::xml_node suite, const std::vector<std::size_t>& placed);

  // What became of a case read from the stream.
  enum class Placement : char { unplaced, placed, merged };

  const XmlStream& xml_;
  // The cases by number, which is document order: the report's cases, once
  // those placed in a suite are kept. One vector, as reports of large suites
  // hold millions of cases.
  std::vector<TestCase> cases_;
  std::vector<Placement> placement_;
  // Todos counted by their suites but not told apart from quick passing tests.
  long long unattributed_todos_ = 0;
};

std::optional<double> JunitReader::time_of(pugi::xml_node node) const {
  const pugi::xml_attribute attribute = node.attribute("time");
  if (!attribute) return std::nullopt;
  std::string text(trim(attribute.value()));
  if (text.empty()) return std::nullopt;
  // Maven Surefire once wrote times of a second or more with a thousands
  // separator ("1,234.5").
  std::erase(text, ',');
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value) ||
      value < 0)
    throw ReportError(xml_.file(), xml_.where(node) + ": time \"" + attribute.value() + "\" of <" +
                                       node.name() + "> is not a number of seconds");
  return value;
}

void JunitReader::read_piece(pugi::xml_node node, std::size_t index) {
  // The stream numbers its pieces 0, 1, 2...
  if (index != cases_.size()) throw std::logic_error("pieces out of order");
  cases_.push_back(read_case(node));
  placement_.push_back(Placement::unplaced);
}

TestCase JunitReader::read_case(pugi::xml_node node) const {
  TestCase test;
  test.classname = node.attribute("classname").value();
  const pugi::xml_attribute name = node.attribute("name");
  if (!name) throw ReportError(xml_.file(), xml_.where(node) + ": <testcase> has no name");
  test.name = name.value();
  test.time_s = time_of(node).value_or(0.0);

  std::string skip_message;
  for (pugi::xml_node child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view tag = child.name();
    const bool failed = tag == "failure";
    if (!failed && tag != "error" && tag != "skipped") continue;
    const std::string_view attribute = child.attribute("message").value();
    const std::string text = element_text(child);
    const std::string message = first_line(attribute.empty() ? text : attribute);
    const std::string details = text.empty() ? capped(trim(attribute)) : text;
    if (tag == "skipped") {
      if (test.outcome != TestCase::Outcome::passed) continue;
      test.outcome = TestCase::Outcome::skipped;
      test.message = message;
      test.details = details;
      skip_message = capped(attribute);
      continue;
    }
    if (test.outcome == TestCase::Outcome::failed || test.outcome == TestCase::Outcome::error) {
      // jest-junit writes one <failure> per failure message of a test.
      if (!details.empty() && test.details.size() < kMaxDetailsLength) {
        test.details = capped(test.details + "\n\n" + details);
      }
      continue;
    }
    test.outcome = failed ? TestCase::Outcome::failed : TestCase::Outcome::error;
    test.message = message;
    test.details = details;
  }

  const std::string_view status = node.attribute("status").value();
  if (test.outcome == TestCase::Outcome::skipped && status == "notrun" &&
      !node.attribute("result") && !skip_message.empty() && !starts_with(skip_message, "SKIP_")) {
    // ctest writes a test it could not start ("Unable to find executable",
    // "Required Files Missing") as not run and skipped, yet counts it as
    // failed; only SKIP_RETURN_CODE and SKIP_REGULAR_EXPRESSION are skips.
    test.outcome = TestCase::Outcome::error;
  } else if (test.outcome == TestCase::Outcome::passed &&
             (status == "notrun" || status == "disabled")) {
    // A disabled test: GoogleTest writes status="notrun" result="suppressed"
    // and ctest status="disabled", both with no child element.
    test.outcome = TestCase::Outcome::skipped;
    test.message =
        status == "disabled" || node.attribute("result").value() == std::string("suppressed")
            ? "disabled"
            : "not run";
  }
  return test;
}

// A test that fails and then errors in teardown is written by pytest as two
// adjacent cases of the same name, the second holding the <error>: one test.
bool continues_previous(const TestCase& previous, const TestCase& next) {
  return next.outcome == TestCase::Outcome::error &&
         (previous.outcome == TestCase::Outcome::failed ||
          previous.outcome == TestCase::Outcome::error) &&
         previous.name == next.name && previous.classname == next.classname &&
         previous.suite == next.suite;
}

// jest-junit writes a test.todo as a bare case with time="0" that its suite's
// `tests` leaves out; it writes a passing test that took under a millisecond
// the same way. The surplus of listed cases over `tests` is the number of
// todos: when it equals the number of bare cases, they are the todos; when
// there are more bare cases, which of them are todos cannot be told, but that
// many were not run all the same.
void JunitReader::settle_todo_cases(pugi::xml_node suite, const std::vector<std::size_t>& placed) {
  const auto declared_tests = count_attribute(suite, "tests");
  const auto declared_skipped = count_attribute(suite, "skipped");
  if (!declared_tests || !declared_skipped) return;
  const long long surplus = static_cast<long long>(placed.size()) - *declared_tests;
  if (surplus <= 0) return;
  long long skipped = 0;
  std::vector<std::size_t> bare;
  for (std::size_t i : placed) {
    const TestCase& test = cases_[i];
    if (test.outcome == TestCase::Outcome::skipped) ++skipped;
    if (test.outcome == TestCase::Outcome::passed && test.time_s == 0) bare.push_back(i);
  }
  if (skipped != *declared_skipped || static_cast<long long>(bare.size()) < surplus) return;
  if (static_cast<long long>(bare.size()) > surplus) {
    unattributed_todos_ += surplus;
    return;
  }
  for (std::size_t i : bare) {
    cases_[i].outcome = TestCase::Outcome::skipped;
    cases_[i].message = "todo";
  }
}

double JunitReader::read_suite(pugi::xml_node suite, const std::string& suite_name, int depth) {
  if (depth > kMaxSuiteDepth)
    throw ReportError(xml_.file(), xml_.where(suite) + ": test suites nested more than " +
                                       std::to_string(kMaxSuiteDepth) + " deep");
  std::vector<std::size_t> placed;  // this suite's own cases, merged ones left out
  bool has_nested_suites = false;
  bool previous_is_case = false;
  double parts_time = 0;
  for (pugi::xml_node child : suite.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view tag = child.name();
    if (tag == "testsuite" || tag == "testsuites") {
      has_nested_suites = true;
      previous_is_case = false;
      const std::string name = tag == "testsuite" ? child.attribute("name").value() : suite_name;
      parts_time += read_suite(child, name, depth + 1);
    } else if (tag == "testcase") {
      // A placeholder for `count` cases in a row.
      const auto first = child.attribute(XmlStream::kIndexAttribute).as_ullong(cases_.size());
      const auto count = child.attribute(XmlStream::kCountAttribute).as_ullong(0);
      if (first >= cases_.size() || count > cases_.size() - first)
        throw ReportError(xml_.file(), xml_.where(child) + ": <testcase> out of place");
      for (std::size_t index = first; index < first + count; ++index) {
        if (placement_[index] != Placement::unplaced)
          throw ReportError(xml_.file(), xml_.where(child) + ": <testcase> out of place");
        TestCase& test = cases_[index];
        test.suite = suite_name;
        parts_time += test.time_s;
        if (previous_is_case && continues_previous(cases_[placed.back()], test)) {
          TestCase& previous = cases_[placed.back()];
          if (!test.details.empty()) previous.details += "\n\n" + test.details;
          previous.time_s += test.time_s;
          placement_[index] = Placement::merged;
        } else {
          placement_[index] = Placement::placed;
          placed.push_back(index);
        }
        previous_is_case = true;
      }
    }
  }
  if (!has_nested_suites) settle_todo_cases(suite, placed);
  return time_of(suite).value_or(parts_time);
}

TestReport JunitReader::finish(pugi::xml_node root, double time_s) {
  // Keep the cases placed in a suite: not those merged into the one before,
  // nor any found outside a suite (inside another element).
  std::size_t kept = 0;
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    if (placement_[i] != Placement::placed) continue;
    if (kept != i) cases_[kept] = std::move(cases_[i]);
    ++kept;
  }
  cases_.resize(kept);
  TestReport report;
  report.cases = std::move(cases_);
  report.format = "junit";
  report.time_s = time_s;
  for (const TestCase& test : report.cases) {
    switch (test.outcome) {
      case TestCase::Outcome::passed:
        break;
      case TestCase::Outcome::failed:
        ++report.failures;
        break;
      case TestCase::Outcome::error:
        ++report.errors;
        break;
      case TestCase::Outcome::skipped:
        ++report.skipped;
        break;
    }
  }
  report.tests = static_cast<int>(report.cases.size());
  report.skipped += static_cast<int>(unattributed_todos_);
  // mocha-junit-reporter leaves pending tests out of the file but counts them
  // in the root's `tests` and `skipped`: they are skipped tests, unlisted.
  const auto declared_tests = count_attribute(root, "tests");
  const auto declared_skipped = count_attribute(root, "skipped");
  if (declared_tests && declared_skipped && *declared_tests > report.tests) {
    const long long unlisted = *declared_tests - report.tests;
    if (*declared_skipped - report.skipped >= unlisted) {
      report.tests += static_cast<int>(unlisted);
      report.skipped += static_cast<int>(unlisted);
    }
  }
  return report;
}

}  // namespace

TestReport parse_junit(const std::filesystem::path& file) {
  const std::string first_bytes = read_report_head(file);
  const XmlRootTag head = xml_root_tag(first_bytes);
  const auto not_junit = [&](std::string_view root) {
    return ReportError(file, "not a JUnit report: the root element is <" + std::string(root) +
                                 ">, not <testsuites> or <testsuite>");
  };
  if (!head.name.empty() && head.name != "testsuites" && head.name != "testsuite")
    throw not_junit(head.name);
  // Reports of large suites run to hundreds of megabytes: each <testcase> is
  // parsed on its own as the file streams by. Attribute whitespace is kept as
  // written, so that a message attribute holding several lines (pytest writes
  // them raw) keeps its first line.
  XmlStream xml(file, "testcase", pugi::parse_cdata | pugi::parse_escapes | pugi::parse_eol);
  JunitReader reader(xml);
  xml.read([&](pugi::xml_node element, std::size_t index) { reader.read_piece(element, index); });
  const pugi::xml_node root = xml.root();
  const std::string_view tag = root.name();
  if (tag != "testsuites" && tag != "testsuite") throw not_junit(tag);
  const double time_s =
      reader.read_suite(root, tag == "testsuite" ? root.attribute("name").value() : "", 0);
  return reader.finish(root, time_s);
}

bool looks_like_junit(std::string_view head) {
  const XmlRootTag root = xml_root_tag(head);
  return root.name == "testsuites" || root.name == "testsuite";
}

}  // namespace qgate
