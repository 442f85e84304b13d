#pragma once
// The console view of `qgate check`: a live per-gate progress view on a
// terminal, plain lines otherwise (or with --ci), and the final summary.
#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "runner/core/check_outcome.hpp"
#include "runner/core/result.hpp"
#include "runner/core/step.hpp"

namespace qgate {

enum class ConsoleMode { live, plain };
enum class Color { off, on };

class ConsoleReporter : public SchedulerObserver {
 public:
  ConsoleReporter(std::ostream& out, ConsoleMode mode, Color color);

  // Prints the header of the run and sets up one progress line per gate;
  // `gate_steps` gives each gate's name and number of steps.
  void begin(const RunResult& run, const std::vector<std::pair<std::string, int>>& gate_steps,
             int jobs);
  // Reports the outcome of the built-in check of `requirement` in `gate`.
  void check_finished(const std::string& gate, const std::string& requirement,
                      const CheckOutcome& outcome);
  void step_started(std::size_t index, const StepSpec& step) override;
  void step_finished(std::size_t index, const StepSpec& step, const StepResult& result) override;
  void tick() override;
  // Clears the live view and prints the verdict table and the final line,
  // which names `problem` instead of the verdict when qgate itself could not
  // finish its work (exit 3).
  void summary(const RunResult& run, const std::string& problem = {});

 private:
  struct GateLine {
    std::string name;
    int steps = 0;
    int done = 0;
    int failed = 0;
    int checks_failed = 0;
    int checks_done = 0;
    std::vector<std::string> running;
  };
  GateLine* line_for(const std::string& gate);
  void redraw();
  // Prints each gate's findings: counts, then the few most severe.
  void print_findings(const RunResult& run);
  void clear_live();
  void print_above(const std::string& text);
  std::string paint(const std::string& text, const char* code) const;

  std::ostream& out_;
  ConsoleMode mode_;
  Color color_;
  std::vector<GateLine> gates_;
  int live_lines_ = 0;
  unsigned frame_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_;
};

// Returns true if `fd` is a terminal that understands ANSI escapes.
bool is_ansi_terminal(int fd);

}  // namespace qgate
