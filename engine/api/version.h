// API versions as Docker negotiates them: paths may carry /v1.NN, the server answers
// every version between kMinApiVersion and kMaxApiVersion.
#pragma once

#include <string_view>

namespace stack::api {

inline constexpr std::string_view kMinApiVersion = "1.24";
inline constexpr std::string_view kMaxApiVersion = "1.43";
inline constexpr std::string_view kDefaultApiVersion = kMaxApiVersion;
// What `Server: Docker/<version> (linux)` reports.
inline constexpr std::string_view kEngineVersion = "0.1.0";

// Compares dotted versions numerically ("1.9" < "1.10"); <0, 0, >0. Missing parts count as 0.
int compare_versions(std::string_view a, std::string_view b);

}  // namespace stack::api
