#include "cli/app.h"

int main(int argc, char** argv) { return stack::cli::run(argc, argv); }
