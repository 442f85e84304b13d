// The qgate executable: everything lives in the core library.
#include <signal.h>

#include <exception>
#include <iostream>

#include "runner/app/cli.hpp"
#include "runner/queue/git_workspace.hpp"

int main(int argc, char** argv) {
  // Run by git as its askpass (a worker fetching with QGATE_GIT_TOKEN): only
  // the answer goes to stdout, before anything else could print.
  if (const auto answered = qgate::answer_git_askpass(argc, argv)) return *answered;
  // A reader that goes away (qgate check | head) must not kill a run midway.
  signal(SIGPIPE, SIG_IGN);
  try {
    return qgate::run_cli(argc, argv, std::cout, std::cerr);
  } catch (const std::exception& error) {
    std::cerr << "qgate: internal error: " << error.what() << "\n";
    return 3;
  }
}
