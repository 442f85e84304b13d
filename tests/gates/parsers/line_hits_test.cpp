#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "gates/parsers/report.hpp"

namespace qgate {
namespace {

std::vector<LineHits::value_type> entries(const LineHits& hits) {
  return {hits.begin(), hits.end()};
}

TEST(LineHits, KeepsLinesInAscendingOrderWhateverOrderTheyComeIn) {
  LineHits hits;
  for (int line : {10, 20, 30}) hits.entry(line).first = line;
  hits.entry(5).first = 5;    // before all
  hits.entry(25).first = 25;  // in the middle
  const auto [again, added] = hits.entry(20);
  EXPECT_FALSE(added);
  again += 1;
  EXPECT_EQ(entries(hits),
            (std::vector<LineHits::value_type>{{5, 5}, {10, 10}, {20, 21}, {25, 25}, {30, 30}}));
  EXPECT_EQ(hits, (LineHits{{30, 30}, {5, 5}, {25, 25}, {20, 21}, {10, 10}}));
}

TEST(LineHits, LooksUpLinesAsAMapDoes) {
  const LineHits hits{{3, 0}, {7, 2}, {9, 1}};
  EXPECT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits.at(7), 2);
  EXPECT_THROW(hits.at(8), std::out_of_range);
  EXPECT_EQ(hits.count(9), 1u);
  EXPECT_FALSE(hits.contains(4));
  EXPECT_EQ(hits.find(4), hits.end());
  EXPECT_EQ(hits.lower_bound(4)->first, 7);
  EXPECT_EQ(hits.upper_bound(7)->first, 9);
  EXPECT_EQ(hits.upper_bound(9), hits.end());
  EXPECT_TRUE(LineHits().empty());
}

}  // namespace
}  // namespace qgate
