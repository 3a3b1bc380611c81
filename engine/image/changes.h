// `--change` instructions for import (Dockerfile syntax, the subset Docker accepts for
// commit/import): CMD ENTRYPOINT ENV EXPOSE HEALTHCHECK LABEL ONBUILD STOPSIGNAL USER VOLUME WORKDIR.
#pragma once

#include <string_view>

#include "common/error.h"
#include "engine/image/image_config.h"

namespace stack::image {

// Applies one instruction, e.g. `CMD ["sh"]`, `ENV A=1 B="two words"`, `EXPOSE 80/udp`.
// Unknown instructions fail as Docker words it: "from is not a valid change command".
Result<void> apply_change(RunConfig& config, std::string_view instruction);

// Go duration syntax as Docker's HEALTHCHECK flags take it ("1m30s", "500ms") in nanoseconds.
Result<int64_t> parse_go_duration(std::string_view text);

}  // namespace stack::image
