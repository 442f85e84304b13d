#include "runner/core/secret_masker.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "tests/test_support.hpp"

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

// What coreutils' base64 makes of `bytes` (no line wrapping, no newline).
std::string coreutils_base64(const std::string& bytes) {
  testing::TempDir dir;
  testing::write_file(dir / "in", bytes);
  auto result = testing::run_command("base64 -w0 in", dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return result.output;
}

TEST(SecretMasker, MasksTheBase64OfASecretWhereverItLiesInTheEncodedText) {
  const std::string secret = "Dk7-Qz/9xV+4mW=8pL2r";  // qgate:allow-secret (made up)
  const SecretMasker masker({secret});
  // Alone, after one or two bytes (an HTTP Basic header's "user:"), with
  // something after it: every alignment in base64's groups of three.
  for (const std::string prefix : {"", "a", "ab", "user:", "Authorization-id:"}) {
    for (const std::string suffix : {"", "!", "xy", " and more text"}) {
      const std::string encoded = coreutils_base64(prefix + secret + suffix);
      const std::string masked = masker.mask("auth " + encoded + " end");
      ASSERT_NE(masked.find(std::string(kMask)), std::string::npos) << prefix << "|" << suffix;
      // All of the encoded secret is hidden but the characters it shares
      // with its neighbours: 20 bytes are 26 to 27 base64 characters.
      const std::size_t kept = masked.size() - std::string("auth  end").size() - kMask.size();
      EXPECT_GE(encoded.size() - kept, 26u) << prefix << "|" << suffix << ": " << masked;
    }
  }
  // The URL-safe alphabet (JWT parts, base64url tokens) too.
  std::string url_safe = coreutils_base64("xy" + secret);
  for (char& c : url_safe) c = c == '+' ? '-' : c == '/' ? '_' : c;
  EXPECT_NE(masker.mask(url_safe).find(std::string(kMask)), std::string::npos) << url_safe;
}

TEST(SecretMasker, MasksPercentEncodedAndJsonEscapedForms) {
  const std::string secret = "p@ss/w0rd+key va\"lue";
  const SecretMasker masker({secret});
  EXPECT_EQ(masker.mask("https://h/?t=p%40ss%2Fw0rd%2Bkey%20va%22lue&x=1"), "https://h/?t=***&x=1");
  EXPECT_EQ(masker.mask("t=p%40ss%2fw0rd%2bkey%20va%22lue"), "t=***");
  EXPECT_EQ(masker.mask("t=p%40ss%2Fw0rd%2Bkey+va%22lue"), "t=***");
  EXPECT_EQ(masker.mask(R"({"t": "p@ss/w0rd+key va\"lue"})"), R"({"t": "***"})");
  // Only the values themselves are handed on (to ::add-mask::, which does
  // its own encodings).
  EXPECT_EQ(masker.secrets(), std::vector<std::string>{secret});
}

TEST(StreamMasker, MasksAnEncodedFormSplitAcrossChunks) {
  const std::string secret = "TOPSECRETVALUE";
  const SecretMasker masker({secret});
  const std::string text = "Basic " + coreutils_base64("ci:" + secret) + " done\n";
  const std::string whole = masker.mask(text);
  ASSERT_NE(whole.find(std::string(kMask)), std::string::npos) << whole;
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    StreamMasker stream(masker);
    std::string out = stream.feed(text.substr(0, cut));
    out += stream.feed(text.substr(cut));
    out += stream.finish();
    EXPECT_EQ(out, whole) << "cut at " << cut;
  }
}

TEST(SecretMasker, ManyMatchesOfOneSecretStayLinear) {
  const SecretMasker masker({"needle-one", "needle-two-never-there"});
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "needle-one ";
  const auto started = std::chrono::steady_clock::now();
  const std::string masked = masker.mask(text);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(masked.size(), 200000u * 4);
  // Looking again for the absent value at each match would take minutes.
  EXPECT_LT(took, std::chrono::seconds(5));
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
