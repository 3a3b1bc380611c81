// Prints a generated compose file: compose_gen N [--no-name] > compose.yaml
#include <cstdlib>
#include <iostream>
#include <string>

#include "bench/compose_gen.h"

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 500;
  bool with_name = !(argc > 2 && std::string(argv[2]) == "--no-name");
  std::cout << stack::bench::generate_compose(n, with_name);
}
