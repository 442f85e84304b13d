#pragma once
// `qgate baseline show|accept|reset GATE` and `qgate baseline export`: what a
// gate's only-new findings and line coverage are compared with, and how a
// team takes findings as accepted (in the store, or in a file it commits).
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace qgate {

class BaselineCommands {
 public:
  // Adds the subcommands to `app`; `database_url` is the option shared with
  // the other subcommands (default $QGATE_DATABASE_URL).
  BaselineCommands(CLI::App& app, std::string& database_url);
  // Runs the subcommand chosen, if it is one of these; returns its exit code.
  std::optional<int> run(std::ostream& out, std::ostream& err);

 private:
  int show(std::ostream& out, std::ostream& err);
  int accept(std::ostream& out, std::ostream& err);
  int reset(std::ostream& out, std::ostream& err);
  int export_file(std::ostream& out, std::ostream& err);

  std::string& database_url_;
  CLI::App* baseline_ = nullptr;
  CLI::App* show_ = nullptr;
  CLI::App* accept_ = nullptr;
  CLI::App* reset_ = nullptr;
  CLI::App* export_ = nullptr;
  std::string config_path_ = "integration-requirements.yaml";
  std::string state_dir_;
  std::string base_ref_;
  std::string gate_;
  std::string run_id_;
  std::vector<std::string> gates_;
  std::string output_;
};

}  // namespace qgate
