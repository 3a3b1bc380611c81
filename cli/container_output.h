// Output of `stack container ls|stats|top|inspect`, shaped as the docker CLI prints it:
// the ps table (CONTAINER ID, IMAGE, COMMAND truncated and quoted, CREATED "5 seconds
// ago", STATUS, PORTS, NAMES), --format json|table ...|{{Go template}}, -q, --no-trunc;
// the stats table and its numbers computed from the API's stats JSON as docker does.
// Pure functions over API JSON: unit-tested without a daemon.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stack::cli {

// docker's formatter.Ellipsis: at most `width` characters, the last one "…" when cut.
std::string ellipsis(std::string_view s, size_t width);
// Go's strconv.Quote (printable UTF-8 kept, \" \\ \n \t \xNN escaped).
std::string go_quote(std::string_view s);
// go-units BytesSize: binary units, "%.4g" ("1.5MiB", "7.629GiB", "0B").
std::string bytes_size(double bytes);
// text/tabwriter with padding 3 and the given minimum cell width (docker: 10 for ps and
// stats, 20 for top); the last column is not padded.
std::string tab_table(const std::vector<std::vector<std::string>>& rows, size_t min_width);

// "0.0.0.0:8080->80/tcp, 443/tcp" from a summary's Ports (docker's DisplayablePorts:
// sorted, consecutive ports compacted into ranges).
std::string display_ports(const nlohmann::json& ports);

// `--filter k=v` (repeated) -> the `filters` query JSON {"k":{"v":true}} docker sends.
nlohmann::json filters_json(const std::vector<std::string>& filters);

struct PsOptions {
  bool quiet = false;
  bool no_trunc = false;
  bool size = false;
  std::string format;  // "", "table", "table TEMPLATE", "json", or a Go template
};

// One container summary (GET /containers/json element) as the fields docker's ps
// formatter offers: ID, Image, Command, CreatedAt, RunningFor, Ports, State, Status,
// Size, Names, Labels, Mounts, Networks, LocalVolumes.
nlohmann::ordered_json ps_fields(const nlohmann::json& summary, bool trunc, int64_t now);
// The whole `container ls` output for a list of summaries.
std::string format_ps(const nlohmann::json& summaries, const PsOptions& options, int64_t now);

// One container's numbers from GET /containers/{id}/stats?stream=false, as docker stats
// computes them (CPU from the delta to precpu_stats; memory without the page cache).
struct StatsRow {
  std::string id, name;
  double cpu_percent = 0, mem_usage = 0, mem_limit = 0, mem_percent = 0;
  double net_rx = 0, net_tx = 0, block_read = 0, block_write = 0;
  uint64_t pids = 0;
};
StatsRow stats_row(const nlohmann::json& stats);
// The `stats --no-stream` table (or --format json / template); ids truncated to 12 unless no_trunc.
std::string format_stats(const std::vector<StatsRow>& rows, const std::string& format, bool no_trunc);

// GET /containers/{id}/top's {"Titles":[...],"Processes":[[...]]} as docker top prints it.
std::string format_top(const nlohmann::json& top);

// `inspect` output: an indented JSON array (4 spaces, as docker), or each object through
// the Go template given with -f.
std::string format_inspect(const std::vector<nlohmann::ordered_json>& objects, const std::string& format);

}  // namespace stack::cli
