#include "runner/server/signing.hpp"

#include <gtest/gtest.h>

#include <set>

namespace qgate {
namespace {

// RFC 4231 test case 2 (key "Jefe").
TEST(Signing, HmacSha256MatchesRfc4231) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Signing, Sha256OfEmptyText) {
  EXPECT_EQ(sha256_hex_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Signing, SignatureMatchesOnlyItsOwnTextAndSecret) {
  const std::string text = request_signing_text("1700000000", "n1", "POST", "/v1/runs", "{}");
  EXPECT_EQ(text, "1700000000\nn1\nPOST\n/v1/runs\n{}");
  const std::string header = signature_header_value("s3cret", text);
  EXPECT_EQ(header.rfind("sha256=", 0), 0u);
  EXPECT_TRUE(signature_matches("s3cret", text, header));
  EXPECT_FALSE(signature_matches("other", text, header));
  EXPECT_FALSE(signature_matches("s3cret", text + " ", header));
  EXPECT_FALSE(signature_matches("s3cret", text, header.substr(7)));
  EXPECT_FALSE(signature_matches("s3cret", text, "sha256="));
  EXPECT_EQ(callback_signing_text("17", "{\"a\":1}"), "17.{\"a\":1}");
}

TEST(Signing, ConstantTimeEquality) {
  EXPECT_TRUE(equal_in_constant_time("abc", "abc"));
  EXPECT_FALSE(equal_in_constant_time("abc", "abd"));
  EXPECT_FALSE(equal_in_constant_time("abc", "ab"));
  EXPECT_TRUE(equal_in_constant_time("", ""));
}

TEST(Signing, TokensAreLongRandomAndUrlSafe) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string token = new_api_token();
    ASSERT_EQ(token.size(), 4u + 43u) << token;
    EXPECT_EQ(token.rfind("qgt_", 0), 0u);
    EXPECT_EQ(token.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 4),
              std::string::npos);
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace qgate
