// Shared by the validate_*.cpp files; not part of the public API.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "compose/types.h"

namespace stack::compose::validate_detail {

// An error whose shown key path differs from the key it points at: compose-go
// words some messages as "services.web: can't set ... 'scale' ...", which we
// print with path "services.web" but locate at "services.web.scale".
std::unexpected<Error> fail_at_mark(const Project& project, std::string_view mark_path, std::string_view shown_path,
                                    std::string_view message);

// Whether the user wrote `path` (the decoder recorded it in project.sources).
bool declared(const Project& project, std::string_view path);

// Go's net.ParseIP: dotted IPv4 (no leading zeros) or IPv6 without a zone.
bool is_ip_address(const std::string& text);

// compose-go loader/validate.go checkConsistency, for one service.
Result<void> check_service_consistency(const Project& project, const ServiceConfig& service);

}  // namespace stack::compose::validate_detail
