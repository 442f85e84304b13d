// The pass every result goes through as it enters the run: masked, cut to a
// bounded size, made storable, whatever field a text landed in.
#include "runner/core/result_text.hpp"

#include <gtest/gtest.h>

#include <string>

#include "runner/core/result.hpp"

namespace qgate {
namespace {

TEST(ResultText, AHugeTextIsCutAfterMaskingSoNoPartOfASecretSurvivesTheCut) {
  const std::string secret = "s3cr3t-token-value-0123456789";  // qgate:allow-secret (made up)
  // The secret straddles the cut: cut first, its first half would remain.
  const std::string before(kMaxResultText - 10, 'a');
  Finding finding;
  finding.message = before + secret + std::string(1024 * 1024, 'b');
  finding.rule = "rule";
  const SecretMasker masker({secret});
  clean_texts(finding, masker);
  EXPECT_EQ(finding.message.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(finding.message.substr(0, before.size()), before);
  EXPECT_LE(finding.message.size(), kMaxResultText + 40);
  EXPECT_NE(finding.message.find(" more bytes]"), std::string::npos)
      << finding.message.substr(finding.message.size() - 40);
  EXPECT_EQ(finding.rule, "rule");
}

TEST(ResultText, ACutNeverSplitsAUtf8Character) {
  Finding finding;
  // "é" is two bytes: the limit falls inside one of them.
  finding.message = std::string(kMaxResultText - 1, 'a') + "\xC3\xA9" + std::string(100, 'c');
  clean_texts(finding, SecretMasker());
  EXPECT_EQ(finding.message, std::string(kMaxResultText - 1, 'a') + " [... 102 more bytes]");
}

}  // namespace
}  // namespace qgate
