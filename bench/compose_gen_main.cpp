// Prints a generated compose file: compose_gen N > compose.yaml
#include <cstdlib>
#include <iostream>

#include "bench/compose_gen.h"

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 500;
  std::cout << stack::bench::generate_compose(n);
}
