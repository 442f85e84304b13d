#include "runner/sys/fd.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <utility>

namespace qgate {
namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(Fd, ClosesWhatItOwnsOnceAndHandsItOnWhenMoved) {
  int ends[2];
  ASSERT_EQ(::pipe(ends), 0);
  const int read_end = ends[0];
  {
    Fd first(read_end);
    Fd second(std::move(first));
    EXPECT_FALSE(first.valid());  // NOLINT(bugprone-use-after-move): moved-from is empty
    EXPECT_EQ(second.get(), read_end);
    Fd third;
    third = std::move(second);
    EXPECT_TRUE(is_open(read_end));
  }
  EXPECT_FALSE(is_open(read_end));

  Fd kept(ends[1]);
  const int released = kept.release();
  EXPECT_FALSE(kept.valid());
  EXPECT_TRUE(is_open(released));
  Fd closing(released);
  EXPECT_EQ(closing.close(), 0);
  EXPECT_FALSE(is_open(released));
  EXPECT_EQ(closing.close(), 0);  // nothing left to close
}

}  // namespace
}  // namespace qgate
