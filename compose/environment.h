// Service environment resolution, as compose-go's WithServicesEnvironmentResolved:
// env_file contents first (in order), then `environment` over them; keys given
// without a value take the project's variable when it has one (else stay unset).
#pragma once

#include "common/error.h"
#include "compose/interpolate.h"
#include "compose/types.h"

namespace stack::compose {

// `discard_env_files`: drop env_file afterwards (what `config` prints: its content is in environment now).
Result<void> resolve_environment(Project& project, const Lookup& variables, bool discard_env_files = true);

}  // namespace stack::compose
