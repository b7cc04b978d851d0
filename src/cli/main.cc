// Entry point of the kafka-backup binary; all logic lives in cli/app.cc.
#include <iostream>
#include <string>
#include <vector>

#include "cli/app.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return kb::cli::RunCli(args, std::cout, std::cerr);
}
