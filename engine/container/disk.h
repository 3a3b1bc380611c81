// The on-disk form of a Record (config.v2.json): every field, internal ones
// included, so a daemon restart restores the record. Versioned.
#pragma once

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "engine/container/record.h"

namespace stack::container {

inline constexpr int kDiskFormatVersion = 1;

nlohmann::json to_disk_json(const Record& r);
Result<Record> from_disk_json(const nlohmann::json& j);

}  // namespace stack::container
