// Docker's `filters` query parameter (api/types/filters): {"label":{"a=b":true}}, and
// the legacy {"label":["a=b"]} form.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace stack::api {

using Filters = std::map<std::string, std::vector<std::string>>;

// "" gives no filters; anything else that is not one of the two forms is EINVAL.
Result<Filters> parse_filters(std::string_view json);

// Docker's Args.Validate: EINVAL "invalid filter 'x'" for a key not in `accepted`.
Result<void> validate_filters(const Filters& filters, const std::vector<std::string_view>& accepted);

// Docker's ExactMatch/Match helpers for callers: true when `key` is absent.
bool filter_exact(const Filters& filters, const std::string& key, std::string_view value);

}  // namespace stack::api
