#include "tests/test_support.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace qgate::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "qgate-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = std::filesystem::canonical(pattern);
}

TempDir::~TempDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const bool failed = info != nullptr && info->result() != nullptr && info->result()->Failed();
  if (failed) {
    std::cerr << "kept temporary folder of failed test: " << path_ << "\n";
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

CommandResult run_command(const std::string& command, const std::filesystem::path& cwd) {
  const std::string full = "cd '" + cwd.string() + "' && (" + command + ") 2>&1";
  CommandResult result;
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

bool process_alive(int pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

bool process_survives(int pid, double seconds) {
  for (int i = 0; i < static_cast<int>(seconds * 100); ++i) {
    if (!process_alive(pid)) return false;
    usleep(10'000);
  }
  return process_alive(pid);
}

int read_pid(const std::filesystem::path& path) {
  const std::string text = read_file(path);
  return text.empty() ? 0 : std::atoi(text.c_str());
}

bool wait_for_file(const std::filesystem::path& path, double seconds) {
  for (int i = 0; i < static_cast<int>(seconds * 100); ++i) {
    if (std::filesystem::exists(path)) return true;
    usleep(10'000);
  }
  return std::filesystem::exists(path);
}

std::filesystem::path qgate_binary() { return QGATE_BINARY; }
std::filesystem::path source_dir() { return QGATE_SOURCE_DIR; }

}  // namespace qgate::testing
