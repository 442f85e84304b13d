#include "runner/queue/run_log.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <system_error>

#include "runner/store/store.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;

// The largest log an item keeps in qgate_run_logs; what comes after is
// counted and named in one last line.
constexpr std::size_t kLogCapBytes = 4 * 1024 * 1024;

// How many bytes at the end of `text` are an unfinished UTF-8 sequence,
// whose rest has not been read yet.
std::size_t unfinished_utf8(const std::string& text) {
  for (std::size_t back = 1; back <= 3 && back <= text.size(); ++back) {
    const auto byte = static_cast<unsigned char>(text[text.size() - back]);
    if ((byte & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    const std::size_t length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

// The largest n <= `limit` that does not cut a UTF-8 sequence of `text`.
std::size_t utf8_cut(std::string_view text, std::size_t limit) {
  if (limit >= text.size()) return text.size();
  std::size_t n = limit;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return n;
}

}  // namespace

void RunLog::add(std::string_view text) { push(masker_.mask(text)); }

void RunLog::follow(const fs::path& path, bool end) {
  std::ifstream in(path, std::ios::binary);
  if (in) {
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string fresh((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    offset_ += fresh.size();
    carry_ += stream_.feed(fresh);
  }
  if (end) {
    carry_ += stream_.finish();
    push(std::move(carry_));
    carry_.clear();
    return;
  }
  const std::size_t keep = unfinished_utf8(carry_);
  push(carry_.substr(0, carry_.size() - keep));
  carry_.erase(0, carry_.size() - keep);
}

void RunLog::add_file(const std::string& header, const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) {
    push(masker_.mask(header) + "(" + path.string() + " cannot be read: " + ec.message() + ")\n");
    return;
  }
  // Read a little past the room left, so that a secret at the cut is
  // still recognised and masked whole.
  const std::size_t room = total_ < kLogCapBytes ? kLogCapBytes - total_ : 0;
  const std::size_t wanted = std::min<std::size_t>(size, room + masker_.longest());
  std::string text(wanted, '\0');
  std::ifstream in(path, std::ios::binary);
  in.read(text.data(), static_cast<std::streamsize>(wanted));
  text.resize(static_cast<std::size_t>(in.gcount()));
  left_out_ += size - text.size();
  const bool ends_line = text.empty() || text.back() == '\n';
  // The header and the start of the file go together, in one entry.
  push(masker_.mask(header) + masker_.mask(text) + (ends_line ? "" : "\n"));
}

void RunLog::close() {
  if (left_out_ == 0) return;
  std::string line = "qgate worker: " + std::to_string(left_out_) +
                     " more bytes of output left out (an item's log is kept to " +
                     std::to_string(kLogCapBytes / (1024 * 1024)) + " MB)\n";
  left_out_ = 0;
  split(line);
}

bool RunLog::flush() {
  while (!pending_.empty()) {
    try {
      queue_.append_log(item_, pending_.front().first, pending_.front().second);
      failing_ = false;
    } catch (const StoreError& error) {
      if (error.unavailable()) {
        if (!failing_) complain_(error.what());
        failing_ = true;
        return false;
      }
      // Refused for good: that entry is lost, the rest still goes.
      complain_(error.what());
    }
    pending_.pop_front();
  }
  return true;
}

void RunLog::push(std::string text) {
  if (text.empty()) return;
  text = valid_utf8(text);
  if (total_ >= kLogCapBytes) {
    left_out_ += text.size();
    return;
  }
  if (total_ + text.size() > kLogCapBytes) {
    const std::size_t kept = utf8_cut(text, kLogCapBytes - total_);
    left_out_ += text.size() - kept;
    text.resize(kept);
  }
  total_ += text.size();
  split(text);
}

void RunLog::split(const std::string& text) {
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t n = utf8_cut(std::string_view(text).substr(at), kLogChunkBytes);
    pending_.emplace_back(next_seq_++, text.substr(at, n));
    at += n;
  }
}

bool add_step_logs(RunLog& log, const fs::path& report) {
  std::ifstream in(report);
  if (!in) return true;
  const auto json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("gates") ||
      !json["gates"].is_array()) {
    return true;
  }
  bool all = true;
  for (const auto& gate : json["gates"]) {
    if (!gate.is_object() || !gate.contains("steps") || !gate["steps"].is_array()) continue;
    for (const auto& step : gate["steps"]) {
      if (!step.is_object()) continue;
      const std::string path = step.value("log_path", "");
      if (path.empty()) continue;
      std::error_code ec;
      if (!fs::is_regular_file(path, ec)) {
        all = false;
        continue;
      }
      log.add_file("== " + step.value("gate", "") + "/" + step.value("name", "") + " ==\n", path);
    }
  }
  return all;
}

}  // namespace qgate
