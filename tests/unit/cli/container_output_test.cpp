// `container ls|stats|top|inspect` output and the attach demultiplexer, checked against
// what the docker CLI prints for the same API JSON.
#include <gtest/gtest.h>

#include "cli/attach.h"
#include "cli/container_output.h"

namespace stack::cli {
namespace {

using nlohmann::json;

const int64_t kNow = 1700000000;

json summary(const std::string& id, const std::string& name, const std::string& command, int64_t created,
             const std::string& status) {
  return {{"Id", id},
          {"Names", {"/" + name}},
          {"Image", "busybox"},
          {"ImageID", "sha256:abc"},
          {"Command", command},
          {"Created", created},
          {"Ports", json::array()},
          {"Labels", {{"b", "2"}, {"a", "1"}}},
          {"State", "running"},
          {"Status", status},
          {"Mounts", json::array()}};
}

const std::string kId1 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kId2 = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

TEST(ContainerOutput, Ellipsis) {
  EXPECT_EQ(ellipsis("short", 20), "short");
  EXPECT_EQ(ellipsis("sh -c 'trap \"exit 0\" TERM; sleep 1000'", 20), "sh -c 'trap \"exit 0…");
  EXPECT_EQ(ellipsis("12345678901234567890", 20), "12345678901234567890");
  EXPECT_EQ(ellipsis("123456789012345678901", 20), "1234567890123456789…");
}

TEST(ContainerOutput, GoQuote) {
  EXPECT_EQ(go_quote("sleep 1000"), "\"sleep 1000\"");
  EXPECT_EQ(go_quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
  EXPECT_EQ(go_quote("x…"), "\"x…\"");
  EXPECT_EQ(go_quote(std::string("\x01", 1)), "\"\\x01\"");
}

TEST(ContainerOutput, PsTable) {
  json list = json::array({summary(kId1, "web", "sh -c 'trap \"exit 0\" TERM; sleep 1000'", kNow - 5, "Up 4 seconds"),
                           summary(kId2, "db", "true", kNow - 7200, "Exited (0) 2 hours ago")});
  std::string out = format_ps(list, {}, kNow);
  EXPECT_EQ(out,
            "CONTAINER ID   IMAGE     COMMAND                   CREATED         STATUS                   PORTS     NAMES\n"
            "0123456789ab   busybox   \"sh -c 'trap \\\"exit 0…\"   5 seconds ago   Up 4 seconds                       web\n"
            "fedcba987654   busybox   \"true\"                    2 hours ago     Exited (0) 2 hours ago             db\n");
}

TEST(ContainerOutput, PsEmptyTableHasHeader) {
  EXPECT_EQ(format_ps(json::array(), {}, kNow), "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n");
}

TEST(ContainerOutput, PsQuietAndNoTrunc) {
  json list = json::array({summary(kId1, "web", "true", kNow, "Created")});
  PsOptions quiet;
  quiet.quiet = true;
  EXPECT_EQ(format_ps(list, quiet, kNow), "0123456789ab\n");
  quiet.no_trunc = true;
  EXPECT_EQ(format_ps(list, quiet, kNow), kId1 + "\n");
}

TEST(ContainerOutput, PsJsonAndTemplates) {
  json list = json::array({summary(kId1, "web", "echo hi", kNow - 1, "Up 1 second")});
  PsOptions o;
  o.format = "json";
  json line = json::parse(format_ps(list, o, kNow));
  EXPECT_EQ(line["ID"], "0123456789ab");
  EXPECT_EQ(line["Names"], "web");
  EXPECT_EQ(line["Command"], "\"echo hi\"");
  EXPECT_EQ(line["Labels"], "a=1,b=2");
  EXPECT_EQ(line["RunningFor"], "1 second ago");
  EXPECT_EQ(line["State"], "running");
  EXPECT_EQ(line["Size"], "0B");
  o.format = "{{.Names}} {{.Status}}";
  EXPECT_EQ(format_ps(list, o, kNow), "web Up 1 second\n");
  o.format = "table {{.Names}}\t{{.State}}";
  EXPECT_EQ(format_ps(list, o, kNow), "NAMES     STATE\nweb       running\n");
}

TEST(ContainerOutput, Ports) {
  json ports = json::parse(R"([
    {"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"},
    {"PrivatePort":443,"Type":"tcp"},
    {"PrivatePort":7000,"Type":"tcp"},{"PrivatePort":7001,"Type":"tcp"},{"PrivatePort":7002,"Type":"tcp"},
    {"IP":"127.0.0.1","PrivatePort":9000,"PublicPort":9000,"Type":"udp"}])");
  EXPECT_EQ(display_ports(ports), "443/tcp, 7000-7002/tcp, 127.0.0.1:9000->9000/udp, 0.0.0.0:8080->80/tcp");
  EXPECT_EQ(display_ports(json::array()), "");
}

TEST(ContainerOutput, FiltersJson) {
  EXPECT_EQ(filters_json({"name=web", "label=a=b", "status=exited", "status=created"}),
            json::parse(R"({"name":{"web":true},"label":{"a=b":true},"status":{"exited":true,"created":true}})"));
}

TEST(ContainerOutput, BytesSize) {
  EXPECT_EQ(bytes_size(0), "0B");
  EXPECT_EQ(bytes_size(1536 * 1024), "1.5MiB");
  EXPECT_EQ(bytes_size(8191.0 * 1024 * 1024), "7.999GiB");
}

TEST(ContainerOutput, StatsNumbersAsDockerComputesThem) {
  json s = json::parse(R"({
    "id":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","name":"/web",
    "cpu_stats":{"cpu_usage":{"total_usage":300000000},"system_cpu_usage":2000000000,"online_cpus":2},
    "precpu_stats":{"cpu_usage":{"total_usage":100000000},"system_cpu_usage":1000000000},
    "memory_stats":{"usage":10485760,"limit":104857600,"stats":{"total_inactive_file":2097152}},
    "networks":{"eth0":{"rx_bytes":1000,"tx_bytes":2000},"eth1":{"rx_bytes":500,"tx_bytes":0}},
    "blkio_stats":{"io_service_bytes_recursive":[{"op":"Read","value":4096},{"op":"Write","value":8192},{"op":"read","value":4096}]},
    "pids_stats":{"current":3}})");
  StatsRow r = stats_row(s);
  EXPECT_EQ(r.name, "web");
  EXPECT_DOUBLE_EQ(r.cpu_percent, 40.0);  // 0.2 s of 1 s system time, 2 CPUs
  EXPECT_DOUBLE_EQ(r.mem_usage, 8388608);
  EXPECT_DOUBLE_EQ(r.mem_percent, 8.0);
  EXPECT_DOUBLE_EQ(r.net_rx, 1500);
  EXPECT_DOUBLE_EQ(r.block_read, 8192);
  EXPECT_EQ(r.pids, 3u);
  EXPECT_EQ(format_stats({r}, "", false),
            "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O       BLOCK I/O         PIDS\n"
            "0123456789ab   web       40.00%    8MiB / 100MiB       8.00%     1.5kB / 2kB   8.19kB / 8.19kB   3\n");
  EXPECT_EQ(format_stats({r}, "{{.Name}} {{.MemUsage}}", false), "web 8MiB / 100MiB\n");
}

TEST(ContainerOutput, StatsOfAStoppedContainerAreZero) {
  StatsRow r = stats_row(json::parse(R"({"id":"abc","name":"/x","cpu_stats":{},"precpu_stats":{},"memory_stats":{}})"));
  EXPECT_EQ(r.cpu_percent, 0);
  EXPECT_EQ(r.mem_percent, 0);
  EXPECT_EQ(format_stats({r}, "{{.CPUPerc}} {{.MemPerc}} {{.PIDs}}", false), "0.00% 0.00% 0\n");
}

TEST(ContainerOutput, Top) {
  json top = json::parse(R"({"Titles":["UID","PID","PPID","C","STIME","TTY","TIME","CMD"],
    "Processes":[["root","1234","1200","0","12:00","?","00:00:00","sleep 1000"]]})");
  EXPECT_EQ(format_top(top),
            "UID                 PID                 PPID                C                   STIME               TTY                 TIME                CMD\n"
            "root                1234                1200                0                   12:00               ?                   00:00:00            sleep 1000\n");
}

TEST(ContainerOutput, InspectArrayAndTemplate) {
  nlohmann::ordered_json a = nlohmann::ordered_json::parse(R"({"Id":"abc","State":{"Status":"running","Running":true},"Config":{"Env":["A=1"]}})");
  EXPECT_EQ(format_inspect({}, ""), "[]\n");
  std::string all = format_inspect({a}, "");
  EXPECT_TRUE(all.starts_with("[\n    {\n        \"Id\": \"abc\",\n"));
  EXPECT_EQ(format_inspect({a}, "{{.State.Status}} {{.Id}}"), "running abc\n");
  EXPECT_EQ(format_inspect({a}, "{{json .Config}}"), "{\"Env\":[\"A=1\"]}\n");
}

TEST(Demuxer, SplitsFramesAcrossPieces) {
  std::string out, err;
  Demuxer d([&](int stream, std::string_view data) { (stream == 1 ? out : err).append(data); });
  auto frame = [](char stream, std::string_view data) {
    std::string f = {stream, 0, 0, 0, 0, 0, 0, static_cast<char>(data.size())};
    return f + std::string(data);
  };
  std::string all = frame(1, "hello ") + frame(2, "oops\n") + frame(1, "world\n") + frame(3, "system\n");
  // Feed byte by byte: headers and payloads split everywhere.
  for (char c : all) d.feed(std::string_view(&c, 1));
  EXPECT_EQ(out, "hello world\n");
  EXPECT_EQ(err, "oops\nsystem\n");
  EXPECT_TRUE(d.idle());
  // And all at once.
  out.clear();
  err.clear();
  d.feed(all);
  EXPECT_EQ(out, "hello world\n");
  EXPECT_EQ(err, "oops\nsystem\n");
}

}  // namespace
}  // namespace stack::cli
