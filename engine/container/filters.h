// GET /containers/json filters, as Docker's daemon/list.go applies them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/container/record.h"

namespace stack::container {

using Filters = std::map<std::string, std::vector<std::string>>;

// Parses the `filters` query parameter: {"status":["running"]} or the old
// {"status":{"running":true}} form. EINVAL on malformed JSON.
Result<Filters> parse_filters(const std::string& query_value);

// Checks the filter names and values (unknown filter -> EINVAL "invalid filter 'x'",
// bad status -> "invalid filter 'status=x'", ...). matches_filters checks too.
Result<void> validate_filters(const Filters& filters);

// Whether r passes every filter: id (prefix), name (regex search on the name
// with and without "/"), label (key or key=value, all must match), status, exited
// (requires status exited), ancestor (image as given or image id prefix),
// health (starting/healthy/unhealthy/none), network (the network name),
// publish/expose/volume (nothing matches until ports and volumes exist).
// before/since need other records: the caller resolves them and uses
// created_before(); they are skipped here.
Result<bool> matches_filters(const Record& r, const Filters& filters);

// Whether a was created strictly before b (Created times).
bool created_before(const Record& a, const Record& b);

}  // namespace stack::container
