// The container store on disk, the disk form's round trip, and the per-container files.
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>

#include "common/files.h"
#include "engine/container/create.h"
#include "engine/container/disk.h"
#include "engine/container/files.h"
#include "engine/container/store.h"
#include "tests/unit/compose/temp_dir.h"

namespace stack::container {
namespace {

using nlohmann::json;
using stack::testing::TempDir;

Record full_record(const std::string& root) {
  image::ImageConfig img;
  img.config.env = {"PATH=/bin"};
  img.config.cmd = std::vector<std::string>{"sh"};
  json body = {{"Image", "busybox"},
               {"Entrypoint", json::array()},
               {"Tty", true},
               {"Labels", {{"a", "b"}}},
               {"Healthcheck", {{"Test", {"CMD-SHELL", "true"}}, {"Interval", 2000000}, {"Retries", 2}}},
               {"StopTimeout", 7},
               {"HostConfig",
                {{"RestartPolicy", {{"Name", "on-failure"}, {"MaximumRetryCount", 4}}},
                 {"Binds", {"/x:/y"}},
                 {"CapAdd", {"NET_ADMIN"}},
                 {"Memory", 64 << 20},
                 {"PidsLimit", 50},
                 {"Init", true},
                 {"Tmpfs", {{"/run", "size=1m"}}},
                 {"Ulimits", {{{"Name", "nofile"}, {"Soft", 10}, {"Hard", 20}}}},
                 {"PortBindings", {{"80/tcp", {{{"HostIp", ""}, {"HostPort", "8080"}}}}}},
                 {"LogConfig", {{"Type", "json-file"}, {"Config", {{"max-size", "1m"}}}}}}}};
  auto r = record_from_create(body, "web", img, "sha256:" + std::string(64, 'd'));
  EXPECT_TRUE(r) << r.error().message;
  set_paths(*r, root);
  set_running(r->state, 1234, "2024-01-01T00:00:00.5Z");
  r->state.health = HealthState{"unhealthy", 3, {{"s", "e", 1, "out"}}};
  r->restart_count = 2;
  r->has_been_started_before = true;
  r->monitor_pid = 999;
  r->monitor_start_time = 123456789;
  r->exec_ids = {"e1"};
  return *r;
}

TEST(ContainerDisk, RoundTripKeepsEverything) {
  Record r = full_record("/var/lib/stack");
  json j = to_disk_json(r);
  auto back = from_disk_json(j);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(to_disk_json(*back), j);
  EXPECT_EQ(back->config.entrypoint, std::vector<std::string>{});
  EXPECT_EQ(back->host_config.pids_limit, 50);
  EXPECT_EQ(back->host_config.restart_policy.maximum_retry_count, 4);
  EXPECT_EQ(back->monitor_pid, 999);
  EXPECT_EQ(back->monitor_start_time, 123456789u);
  EXPECT_EQ(back->state.health->failing_streak, 3);
  EXPECT_EQ(back->state.status, "running");
  EXPECT_EQ(back->host_config.port_bindings, r.host_config.port_bindings);

  EXPECT_FALSE(from_disk_json(json::array()));
  json future = j;
  future["Version"] = kDiskFormatVersion + 1;
  EXPECT_FALSE(from_disk_json(future));
}

TEST(ContainerStore, SaveLoadRemove) {
  TempDir d;
  auto store = Store::open(d.path());
  ASSERT_TRUE(store) << store.error().message;
  Record a = full_record(d.path());
  Record b = full_record(d.path());
  ASSERT_TRUE(store->save(a));
  ASSERT_TRUE(store->save(b));
  b.restart_count = 5;
  ASSERT_TRUE(store->save(b));  // replace
  EXPECT_TRUE(path_exists(store->dir_of(a.id) + "/config.v2.json"));

  auto all = store->load_all();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  for (const auto& r : *all) {
    const Record& want = r.id == a.id ? a : b;
    EXPECT_EQ(to_disk_json(r), to_disk_json(want));
  }

  ASSERT_TRUE(store->remove(a.id));
  EXPECT_FALSE(path_exists(store->dir_of(a.id)));
  EXPECT_EQ(store->load_all()->size(), 1u);
  EXPECT_FALSE(store->save(Record{}));  // no id
}

TEST(ContainerStore, HalfMadeCreateIsCleanedUpAndCorruptRecordIsKept) {
  TempDir d;
  auto store = Store::open(d.path());
  ASSERT_TRUE(store);
  Record good = full_record(d.path());
  ASSERT_TRUE(store->save(good));
  std::string half(64, 'e'), corrupt(64, 'f');
  d.write("containers/" + half + "/rootfs/upper/file", "x");
  d.write("containers/" + half + "/hostname", "h\n");
  d.write("containers/" + corrupt + "/config.v2.json", "{not json");
  d.write("containers/not-an-id/keep", "x");

  auto all = store->load_all();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().id, good.id);
  EXPECT_FALSE(path_exists(store->dir_of(half)));
  EXPECT_TRUE(path_exists(store->dir_of(corrupt)));
  EXPECT_TRUE(path_exists(d.file("containers/not-an-id/keep")));
}

TEST(ContainerFiles, HostsHostnameResolvConf) {
  TempDir d;
  Record r = full_record(d.path());
  r.host_config.extra_hosts = std::vector<std::string>{"db:10.0.0.2"};
  EXPECT_EQ(hostname_content(r), r.config.hostname + "\n");
  EXPECT_EQ(hosts_content(r),
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
            "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n10.0.0.2\tdb\n");

  const char* host = "# comment\nnameserver 127.0.0.53\nnameserver 10.1.1.1\nnameserver ::1\nnameserver fd00::1\n"
                     "search example.com\noptions edns0\n";
  EXPECT_EQ(resolv_conf_content(r, host),
            "# comment\nnameserver 10.1.1.1\nsearch example.com\noptions edns0\n");
  EXPECT_EQ(resolv_conf_content(r, "nameserver 127.0.0.53\n"), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  r.host_config.dns = std::vector<std::string>{"1.1.1.1"};
  r.host_config.dns_search = std::vector<std::string>{"a.test", "b.test"};
  r.host_config.dns_options = std::vector<std::string>{"ndots:2"};
  EXPECT_EQ(resolv_conf_content(r, host),
            "# comment\nnameserver 1.1.1.1\nsearch a.test b.test\noptions ndots:2\n");
  r.host_config.dns.reset();
  r.host_config.dns_search.reset();
  r.host_config.dns_options.reset();
  r.host_config.network_mode = "host";
  EXPECT_EQ(resolv_conf_content(r, "nameserver 127.0.0.53\n"), "nameserver 127.0.0.53\n");

  r.host_config.network_mode = "default";
  std::filesystem::create_directories(d.file("containers/" + r.id));
  std::string host_file = d.write("host-resolv.conf", "nameserver 10.9.9.9\n");
  ASSERT_TRUE(write_container_files(r, host_file));
  EXPECT_EQ(read_file(r.hostname_path).value(), r.config.hostname + "\n");
  EXPECT_EQ(read_file(r.resolv_conf_path).value(), "nameserver 10.9.9.9\n");
  EXPECT_TRUE(read_file(r.hosts_path).value().starts_with("127.0.0.1\tlocalhost\n"));
}

}  // namespace
}  // namespace stack::container
