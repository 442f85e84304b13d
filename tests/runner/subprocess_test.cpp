#include "runner/sys/subprocess.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <string>

#include "tests/test_support.hpp"

extern char** environ;

namespace qgate {
namespace {

using testing::TempDir;

std::vector<std::string> this_environment() {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) out.emplace_back(*e);
  return out;
}

// Reads all output and reaps the child; returns the output.
std::string run_to_end(Subprocess& child) {
  std::string output;
  char buffer[4096];
  while (!child.output_closed() || !child.reaped()) {
    pollfd fd{child.output_fd(), POLLIN, 0};
    if (!child.output_closed()) ::poll(&fd, 1, 100);
    long n;
    while ((n = child.read_output(buffer, sizeof buffer)) > 0) output.append(buffer, n);
    if (child.output_closed() && !child.reaped()) {
      pollfd exit_fd{child.exit_fd(), POLLIN, 0};
      ::poll(&exit_fd, 1, 100);
    }
    child.try_reap();
  }
  return output;
}

TEST(Subprocess, CapturesStdoutAndStderrAndExitCode) {
  TempDir dir;
  auto child =
      Subprocess::start({"echo out; echo err >&2; exit 3", dir.path(), this_environment()});
  EXPECT_EQ(run_to_end(child), "out\nerr\n");
  EXPECT_EQ(child.exit_code(), 3);
  EXPECT_EQ(child.term_signal(), 0);
}

TEST(Subprocess, RunsInGivenFolderWithGivenEnvironment) {
  TempDir dir;
  auto child = Subprocess::start({"pwd; echo \"$ONLY_VAR\"; echo \"${HOME:-unset}\"",
                                  dir.path(),
                                  {"ONLY_VAR=here", "PATH=/usr/bin:/bin"}});
  EXPECT_EQ(run_to_end(child), dir.path().string() + "\nhere\nunset\n");
}

TEST(Subprocess, GivesStdinAtEndOfFile) {
  TempDir dir;
  auto child = Subprocess::start({"cat; echo after", dir.path(), this_environment()});
  EXPECT_EQ(run_to_end(child), "after\n");
  EXPECT_EQ(child.exit_code(), 0);
}

TEST(Subprocess, ReportsTheSignalThatEndedIt) {
  TempDir dir;
  auto child = Subprocess::start({"kill -KILL $$", dir.path(), this_environment()});
  run_to_end(child);
  EXPECT_EQ(child.exit_code(), -1);
  EXPECT_EQ(child.term_signal(), SIGKILL);
}

TEST(Subprocess, RunsInItsOwnProcessGroup) {
  TempDir dir;
  auto child = Subprocess::start({"ps -o pgid= -p $$", dir.path(), this_environment()});
  const std::string output = run_to_end(child);
  EXPECT_EQ(std::stoi(output), child.pid() > 0 ? std::stoi(output) : -1);
  EXPECT_NE(std::stoi(output), getpgrp());
}

TEST(Subprocess, DestructorKillsTheWholeGroup) {
  TempDir dir;
  {
    auto child =
        Subprocess::start({"sleep 30 & echo $! > grandchild.pid; echo $$ > child.pid; wait",
                           dir.path(), this_environment()});
    ASSERT_TRUE(testing::wait_for_file(dir / "grandchild.pid", 5));
    ASSERT_TRUE(testing::wait_for_file(dir / "child.pid", 5));
  }
  const int child = testing::read_pid(dir / "child.pid");
  const int grandchild = testing::read_pid(dir / "grandchild.pid");
  ASSERT_GT(grandchild, 0);
  EXPECT_FALSE(testing::process_survives(child));
  EXPECT_FALSE(testing::process_survives(grandchild));
}

TEST(Subprocess, RunsSimpleCommandsWithoutAShellLikeTheShellWould) {
  TempDir dir;
  auto direct = Subprocess::start({"printf   %s-%s  one two", dir.path(), this_environment()});
  EXPECT_EQ(run_to_end(direct), "one-two");
  EXPECT_EQ(direct.exit_code(), 0);
  auto failing = Subprocess::start({"false", dir.path(), this_environment()});
  run_to_end(failing);
  EXPECT_EQ(failing.exit_code(), 1);
  // Not found: the shell's message and exit code, as with any other command.
  auto missing =
      Subprocess::start({"no-such-program-qgate --flag", dir.path(), this_environment()});
  EXPECT_NE(run_to_end(missing).find("not found"), std::string::npos);
  EXPECT_EQ(missing.exit_code(), 127);
  // Shell syntax still goes through the shell.
  auto shell =
      Subprocess::start({"echo a && echo \"$HOME\" | wc -l", dir.path(), this_environment()});
  EXPECT_EQ(run_to_end(shell), "a\n1\n");
}

TEST(Subprocess, MissingFolderIsASpawnError) {
  TempDir dir;
  EXPECT_THROW(Subprocess::start({"true", dir / "no-such-folder", this_environment()}), SpawnError);
}

TEST(Subprocess, CommandOverTheArgumentLimitIsASpawnErrorThatSaysSo) {
  TempDir dir;
  for (const std::string& command :
       {"echo " + std::string(200'000, 'x'), "echo '" + std::string(200'000, 'x') + "'"}) {
    try {
      Subprocess::start({command, dir.path(), this_environment()});
      ADD_FAILURE() << "a command of " << command.size() << " bytes was started";
    } catch (const SpawnError& error) {
      EXPECT_NE(std::string(error.what()).find("over the system's limit"), std::string::npos)
          << error.what();
    }
  }
}

TEST(Subprocess, TellsTheInodeOfItsOutputPipeAndCanStopReadingIt) {
  TempDir dir;
  Subprocess child = Subprocess::start({"sleep 30", dir.path(), this_environment()});
  ASSERT_NE(child.output_inode(), 0u);
  const std::string link = "/proc/" + std::to_string(child.pid()) + "/fd/1";
  char target[64] = {};
  ASSERT_GT(::readlink(link.c_str(), target, sizeof target - 1), 0);
  EXPECT_EQ(std::string(target), "pipe:[" + std::to_string(child.output_inode()) + "]");
  child.close_output();
  EXPECT_TRUE(child.output_closed());
  child.signal_group(SIGKILL);
  while (!child.try_reap()) usleep(10'000);
}

}  // namespace
}  // namespace qgate
