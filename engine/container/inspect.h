// Docker's JSON views of a container: GET /containers/{id}/json (inspect) and
// the GET /containers/json list item, with Docker's field names and order.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/container/record.h"

namespace stack::container {

nlohmann::ordered_json inspect_json(const Record& r);
// The list item; `now` for the Status text.
nlohmann::ordered_json summary_json(const Record& r, std::chrono::system_clock::time_point now);

// Config and HostConfig alone (also used by the list and by compose).
nlohmann::ordered_json config_json(const Config& c);
nlohmann::ordered_json host_config_json(const HostConfig& h);

// Docker's State.String(): "Up 5 seconds", "Exited (0) 3 minutes ago", "Created",
// "Up 2 minutes (healthy)", "Up 1 second (health: starting)", "Restarting (1) 2 seconds ago",
// "Up 3 seconds (Paused)", "Dead", "Removal In Progress".
std::string docker_status_text(const State& s, std::chrono::system_clock::time_point now);

// go-units HumanDuration: "Less than a second", "1 second", "%d seconds", "About a minute", ...
std::string human_duration(std::chrono::nanoseconds d);

// network_mode "container:<id>": the container has no network of its own.
bool is_container_network(const HostConfig& h);

// The list's "Command": Path and Args joined by spaces, as Docker shows it.
std::string command_line(const Record& r);

}  // namespace stack::container
