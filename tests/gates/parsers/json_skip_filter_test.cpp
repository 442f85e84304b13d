// The byte filter that lets the SARIF parser skip the bulky members of a log
// (code flows, related locations) without parsing them.
#include "gates/parsers/json_skip_filter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/gates/parsers/parser_fixtures.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

using nlohmann::json;

const std::vector<std::string> kSkipped = {"codeFlows", "relatedLocations", "snippet", "contents"};

// Feeds `text` to a fresh filter in pieces of `piece` bytes.
std::string filtered(const std::string& text, std::size_t piece, std::string* problem = nullptr) {
  JsonSkipFilter filter(kSkipped);
  std::string out;
  for (std::size_t at = 0; at < text.size(); at += piece) {
    const std::string error = filter.feed(text.data() + at, std::min(piece, text.size() - at), out);
    if (!error.empty()) {
      if (problem != nullptr) *problem = error;
      return out;
    }
  }
  return out;
}

// What the filter should amount to: the document with skipped members null.
json nulled(json value) {
  if (value.is_object()) {
    for (auto& [key, member] : value.items()) {
      if (std::find(kSkipped.begin(), kSkipped.end(), key) != kSkipped.end()) {
        member = nullptr;
      } else {
        member = nulled(member);
      }
    }
  } else if (value.is_array()) {
    for (json& element : value) element = nulled(element);
  }
  return value;
}

TEST(JsonSkipFilter, NullsSkippedMembersOfRealLogsWhateverTheChunkSize) {
  for (const char* name :
       {"findings/clang-analyzer.sarif", "findings/eslint.sarif", "findings/flawfinder.sarif"}) {
    const std::string text = testing::read_file(testing::fixture_path(name));
    const json expected = nulled(json::parse(text));
    const std::string whole = filtered(text, text.size());
    EXPECT_LE(whole.size(), text.size()) << name;
    EXPECT_EQ(json::parse(whole), expected) << name;
    for (const std::size_t piece : {1, 2, 3, 7, 64, 1000}) {
      EXPECT_EQ(filtered(text, piece), whole) << name << " in pieces of " << piece;
    }
    if (std::string(name) == "findings/clang-analyzer.sarif") {
      EXPECT_LT(whole.size(), text.size() / 2);  // code flows are most of it
    }
    // Newlines are kept so that the parser's line numbers stay the file's.
    EXPECT_EQ(std::count(whole.begin(), whole.end(), '\n'),
              std::count(text.begin(), text.end(), '\n'))
        << name;
  }
}

TEST(JsonSkipFilter, SkipsStringsScalarsAndBracketsInsideStrings) {
  const std::string text =
      R"({"codeFlows": ["a\"]}", {"x": "}"}], "snippet": 12, "contents": "t\\",)"
      R"( "relatedLocations" : {"a": [[]]}, "ruleId": "codeFlows", "list": ["snippet", 1],)"
      R"( "code\u0046lows": [2], "m": {"snippet": {"text": "x"}}})";
  const std::string out = filtered(text, 1);
  EXPECT_EQ(json::parse(out), json::parse(R"({"codeFlows": null, "snippet": null, "contents": null,
      "relatedLocations": null, "ruleId": "codeFlows", "list": ["snippet", 1],
      "codeFlows": [2], "m": {"snippet": null}})"));
  EXPECT_EQ(out, filtered(text, text.size()));
}

TEST(JsonSkipFilter, NamesTheLineOfMismatchedBracketsInASkippedValue) {
  std::string problem;
  filtered("{\n\"codeFlows\": [\n{\"a\": 1]\n}", 4, &problem);
  EXPECT_EQ(problem, "line 3: ']' closes '{'");
}

TEST(JsonSkipFilter, SaysWhenTheInputEndsInsideASkippedValue) {
  JsonSkipFilter filter(kSkipped);
  std::string out;
  const std::string text = R"({"codeFlows": [{"a": )";
  EXPECT_EQ(filter.feed(text.data(), text.size(), out), "");
  EXPECT_TRUE(filter.skipping());
  EXPECT_EQ(out, R"({"codeFlows":null)");
}

}  // namespace
}  // namespace qgate
