// The config of an image made by `docker commit`, as moby's daemon/commit.go builds it:
// the request's Config (the container's when none is sent), the `--change` instructions
// applied to it, then the container's own config merged under it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "engine/container/record.h"
#include "engine/image/image_config.h"

namespace stack::container {

// The image-relevant part of a container's Config.
image::RunConfig run_config_of(const Config& c);

// `requested` is the decoded body of POST /commit (nullopt when the body is empty or null).
// Change errors are EINVAL with Docker's words ("from is not a valid change command").
Result<image::RunConfig> commit_config(const Config& container, const std::optional<Config>& requested,
                                       const std::vector<std::string>& changes);

// The history entry's created_by: the container's Cmd joined with spaces.
std::string commit_created_by(const Config& container);

}  // namespace stack::container
