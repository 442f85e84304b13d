// The qgate executable: everything lives in the core library.
#include <signal.h>

#include <exception>
#include <iostream>

#include "runner/cli.hpp"

int main(int argc, char** argv) {
  // A reader that goes away (qgate check | head) must not kill a run midway.
  signal(SIGPIPE, SIG_IGN);
  try {
    return qgate::run_cli(argc, argv, std::cout, std::cerr);
  } catch (const std::exception& error) {
    std::cerr << "qgate: internal error: " << error.what() << "\n";
    return 3;
  }
}
