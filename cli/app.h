// The `stack` command line: global flags, the command table, exit codes.
#pragma once

namespace stack::cli {

int run(int argc, char** argv);

}  // namespace stack::cli
