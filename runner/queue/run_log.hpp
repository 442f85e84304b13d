#pragma once
// An item's log in qgate_run_logs (runner/store/run_queue.hpp), as a worker
// (runner/queue/worker.cpp) writes it while the item runs.
#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "runner/core/secret_masker.hpp"
#include "runner/store/run_queue.hpp"

namespace qgate {

// The log of one item in qgate_run_logs: what `qgate check` prints, streamed
// at each heartbeat, then each step's log. Entries are valid UTF-8 of at most
// kLogChunkBytes, kLogCapBytes in all, secrets masked. Each is written with
// its seq, once per try: a database away never holds the heartbeat up, and
// an entry whose answer was lost is written again harmlessly.
class RunLog {
 public:
  RunLog(RunQueue& queue, const QueueItem& item, const SecretMasker& masker,
         std::function<void(const std::string&)> complain)
      : queue_(queue),
        item_(item),
        masker_(masker),
        stream_(masker),
        complain_(std::move(complain)),
        next_seq_(item.log_seq) {}

  // Adds `text`.
  void add(std::string_view text);

  // Adds what the file at `path` gained since the last call; at `end`, also
  // what was held back (a secret or a UTF-8 sequence not yet complete).
  void follow(const std::filesystem::path& path, bool end);

  // Adds the file at `path` under a header line, as far as the cap allows.
  void add_file(const std::string& header, const std::filesystem::path& path);

  // Names what the cap left out, if anything (past the cap, as the last line).
  void close();

  // Writes the entries not yet written, in order, each tried once; stops at
  // the first the database could not take. Returns true once all are written.
  bool flush();

 private:
  void push(std::string text);
  void split(const std::string& text);

  RunQueue& queue_;
  const QueueItem& item_;
  const SecretMasker& masker_;
  StreamMasker stream_;
  std::function<void(const std::string&)> complain_;
  int next_seq_;
  std::deque<std::pair<int, std::string>> pending_;
  std::size_t offset_ = 0;
  std::string carry_;
  std::size_t total_ = 0;
  std::size_t left_out_ = 0;
  bool failing_ = false;
};

// Adds each step's log that the report names, under "== gate/step ==";
// returns false if one could not be read.
bool add_step_logs(RunLog& log, const std::filesystem::path& report);

}  // namespace qgate
