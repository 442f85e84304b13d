#pragma once
// The command-line side of the run queue: `qgate queue add|list|show|cancel`
// and `qgate worker`.
#include <iosfwd>
#include <optional>
#include <string>

#include "runner/queue/worker.hpp"
#include "runner/store/run_queue.hpp"

namespace CLI {
class App;
}

namespace qgate {

class QueueCommands {
 public:
  // Adds the subcommands to `app`; `database_url` is the option shared with
  // the other subcommands (default $QGATE_DATABASE_URL).
  QueueCommands(CLI::App& app, std::string& database_url);
  // Runs the subcommand chosen, if it is one of these; returns its exit code.
  std::optional<int> run(std::ostream& out, std::ostream& err);

 private:
  std::string& database_url_;
  CLI::App* queue_ = nullptr;
  CLI::App* add_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* show_ = nullptr;
  CLI::App* cancel_ = nullptr;
  CLI::App* worker_ = nullptr;
  QueueRequest request_;
  std::string path_;
  QueueQuery query_;
  std::string format_ = "text";
  std::string item_id_;
  WorkerOptions worker_options_;
  bool once_ = false;
  bool drain_ = false;
  std::string modules_root_;
  std::string workspace_root_;
};

}  // namespace qgate
