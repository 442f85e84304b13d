#include "runner/secret_masker.hpp"

#include <gtest/gtest.h>

namespace qgate {
namespace {

TEST(SecretMasker, ReplacesEveryOccurrence) {
  const SecretMasker masker({"hunter22", "s3cr3t-value"});
  EXPECT_EQ(masker.mask("a hunter22 b s3cr3t-value c hunter22"), "a *** b *** c ***");
}

TEST(SecretMasker, IgnoresValuesTooShortToMask) {
  const SecretMasker masker({"1", "yes"});
  EXPECT_TRUE(masker.empty());
  EXPECT_EQ(masker.mask("yes 1"), "yes 1");
}

TEST(SecretMasker, MasksTheLongerOfOverlappingValues) {
  const SecretMasker masker({"abcd", "abcdefgh"});
  EXPECT_EQ(masker.mask("xxabcdefghxx"), "xx***xx");
}

TEST(StreamMasker, MasksSecretSplitAcrossChunks) {
  const SecretMasker masker({"TOPSECRETVALUE"});
  const std::string text = "before TOPSECRETVALUE middle TOPSECRETVALUE after";
  // Every way of cutting the text in two, and in single bytes.
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    StreamMasker stream(masker);
    std::string out = stream.feed(text.substr(0, cut));
    out += stream.feed(text.substr(cut));
    out += stream.finish();
    EXPECT_EQ(out, "before *** middle *** after") << "cut at " << cut;
  }
  StreamMasker bytes(masker);
  std::string out;
  for (char c : text) out += bytes.feed(std::string(1, c));
  out += bytes.finish();
  EXPECT_EQ(out, "before *** middle *** after");
}

TEST(SecretValues, PicksVariablesMatchingThePatterns) {
  const std::vector<std::string> environment = {"GITHUB_TOKEN=ghp_abc123", "HOME=/root",
                                                "DB_PASSWORD=pw-123456", "MY_KEY=k-999999"};
  auto values = secret_values(environment, default_secret_patterns());
  EXPECT_EQ(values, (std::vector<std::string>{"ghp_abc123", "pw-123456"}));
  values = secret_values(environment, {"MY_*"});
  EXPECT_EQ(values, (std::vector<std::string>{"k-999999"}));
}

}  // namespace
}  // namespace qgate
