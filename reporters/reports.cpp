#include "reporters/reports.hpp"
#include "reporters/sarif_report.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "reporters/junit_report.hpp"
#include "reporters/markdown_report.hpp"
#include "runner/core/result_json.hpp"
#include "runner/sys/fd.hpp"

namespace qgate {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, std::string_view what, int error) {
  throw std::runtime_error("cannot write report " + path.string() + ": " + std::string(what) +
                           ": " + std::strerror(error));
}

void write_all(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      fail(path, "write", errno);
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
}

// Makes the rename itself durable; a failure here loses nothing already
// written, so it is not reported.
void sync_folder(const std::filesystem::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

constexpr char32_t kReplacement = kReplacementCharacter;

// Returns the length of the terminal escape sequence starting with the ESC at
// `text[pos]`.
std::size_t escape_length(std::string_view text, std::size_t pos) {
  std::size_t i = pos + 1;
  if (i >= text.size()) return 1;
  const char kind = text[i++];
  if (kind == '[') {  // CSI: parameters, intermediates, one final byte
    while (i < text.size() && text[i] >= 0x20 && text[i] <= 0x3F) ++i;
    if (i < text.size() && text[i] >= 0x40 && text[i] <= 0x7E) ++i;
    return i - pos;
  }
  if (kind == ']' || kind == 'P' || kind == '_' || kind == '^') {  // strings ended by BEL or ST
    while (i < text.size()) {
      if (text[i] == '\a') return i + 1 - pos;
      if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '\\') return i + 2 - pos;
      ++i;
    }
    return i - pos;
  }
  if (kind >= 0x20 && kind <= 0x2F) {  // character set selection: one more byte
    return std::min(i + 1, text.size()) - pos;
  }
  return 2;
}

}  // namespace

std::optional<ReportFormat> report_format_from_string(std::string_view name) {
  if (name == "json") return ReportFormat::json;
  if (name == "junit") return ReportFormat::junit;
  if (name == "markdown" || name == "md") return ReportFormat::markdown;
  if (name == "sarif") return ReportFormat::sarif;
  return std::nullopt;
}

std::string_view to_string(ReportFormat format) {
  switch (format) {
    case ReportFormat::json:
      return "json";
    case ReportFormat::junit:
      return "junit";
    case ReportFormat::markdown:
      return "markdown";
    case ReportFormat::sarif:
      return "sarif";
  }
  return "unknown";
}

std::string render_report(ReportFormat format, const RunResult& run) {
  std::string text;
  switch (format) {
    case ReportFormat::json:
      text = run_to_json(run).dump(2);
      break;
    case ReportFormat::junit:
      text = render_junit_report(run);
      break;
    case ReportFormat::markdown:
      text = render_markdown_report(run);
      break;
    case ReportFormat::sarif:
      text = run_to_sarif(run).dump(2);
      break;
  }
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

void write_report_file(ReportFormat format, const RunResult& run,
                       const std::filesystem::path& path) {
  write_file_atomically(path, render_report(format, run));
}

void write_file_atomically(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path folder =
      path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) fail(path, "create folder " + folder.string(), error.value());

  // The temporary file sits in the same folder so that rename() is atomic: a
  // reader sees the old report or the new one, never half of one.
  std::string temporary = (folder / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  // Close-on-exec, so that steps started meanwhile do not inherit it.
  Fd file(::mkostemp(temporary.data(), O_CLOEXEC));
  if (file.get() < 0) fail(path, "create temporary file", errno);
  bool renamed = false;
  struct RemoveUnlessRenamed {
    const std::string& temporary;
    const bool& renamed;
    ~RemoveUnlessRenamed() {
      if (!renamed) ::unlink(temporary.c_str());
    }
  } cleanup{temporary, renamed};

  // mkstemp() creates the file private; a report is meant to be read by others.
  if (::fchmod(file.get(), 0644) != 0) fail(path, "chmod", errno);
  write_all(file.get(), text, path);
  if (::fsync(file.get()) != 0) fail(path, "fsync", errno);
  if (file.close() != 0) fail(path, "close", errno);
  if (::rename(temporary.c_str(), path.c_str()) != 0) fail(path, "rename", errno);
  renamed = true;
  sync_folder(folder);
}

std::string to_printable_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == '\x1b') {
      pos += escape_length(text, pos);
      continue;
    }
    if (c == '\r') {
      out += '\n';
      pos += pos + 1 < text.size() && text[pos + 1] == '\n' ? 2 : 1;
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
      ++pos;
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x80) {
      out += c;
      ++pos;
      continue;
    }
    const std::size_t start = pos;
    const char32_t code = decode_utf8(text, pos);
    if (code == 0xFFFE || code == 0xFFFF) continue;  // XML 1.0 forbids these two
    if (code == kReplacement && pos == start + 1) {
      append_code_point(out, kReplacement);
    } else {
      out.append(text.substr(start, pos - start));
    }
  }
  return out;
}

std::string_view last_part(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t start = text.size() - max_bytes;
  // Prefer a whole first line unless that would throw away most of the budget.
  const std::size_t newline = text.find('\n', start);
  if (newline != std::string_view::npos && newline + 1 < text.size() &&
      newline - start < max_bytes / 4) {
    return text.substr(newline + 1);
  }
  while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
  return text.substr(start);
}

}  // namespace qgate
