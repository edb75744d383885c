// The subcommands of `deeper`. Each returns the process exit code; UserErrors propagate to main.
#pragma once

#include "tools/deeper/Options.h"

namespace deeper::cli {

int runCommand(const Options &options);

}  // namespace deeper::cli
