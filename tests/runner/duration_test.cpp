#include "runner/core/duration.hpp"

#include <gtest/gtest.h>

namespace qgate {
namespace {

using std::chrono::milliseconds;

TEST(Duration, ParsesUnitsAndCombinations) {
  EXPECT_EQ(parse_duration("90"), milliseconds(90'000));
  EXPECT_EQ(parse_duration("30s"), milliseconds(30'000));
  EXPECT_EQ(parse_duration("5m"), milliseconds(300'000));
  EXPECT_EQ(parse_duration("1h30m"), milliseconds(5'400'000));
  EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
}

TEST(Duration, RejectsWhatIsNotADuration) {
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("5x"));
  EXPECT_FALSE(parse_duration("m5"));
  EXPECT_FALSE(parse_duration("1m30"));
  EXPECT_FALSE(parse_duration("-5s"));
  EXPECT_FALSE(parse_duration("99999999999h"));
}

TEST(Duration, ASumOfManyTermsStaysFarAboveAWeekInsteadOfOverflowing) {
  // 300,000 terms of 9999999h overflowed a signed 64-bit sum of milliseconds.
  std::string text;
  for (int i = 0; i < 300'000; ++i) text += "9999999h";
  const auto parsed = parse_duration(text);
  ASSERT_TRUE(parsed);
  EXPECT_GT(*parsed, std::chrono::milliseconds(kLongestDuration) * 1000);
}

TEST(Duration, PrintsSecondsWithOneDecimalAndASpace) {
  EXPECT_EQ(format_seconds(1.0), "1.0 s");
  EXPECT_EQ(format_seconds(0.04), "0.0 s");
  EXPECT_EQ(format_seconds(12.345), "12.3 s");
  EXPECT_EQ(format_seconds(59.96), "1 min 00 s");
  EXPECT_EQ(format_seconds(125), "2 min 05 s");
  EXPECT_EQ(format_seconds(3725), "1 h 02 min");
  EXPECT_EQ(format_seconds(-1), "0.0 s");
}

}  // namespace
}  // namespace qgate
