#include "engine/image/content_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/files.h"
#include "engine/image/image_config.h"

namespace stack::image {
namespace {

namespace fs = std::filesystem;

class ContentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stack-cs-XXXXXX";
    ASSERT_TRUE(::mkdtemp(tmpl));
    root_ = tmpl;
    store_ = std::make_unique<ContentStore>(root_ + "/image");
    ASSERT_TRUE(store_->init());
  }
  void TearDown() override { fs::remove_all(root_); }
  size_t tmp_entries() const { return std::distance(fs::directory_iterator(store_->tmp_dir()), fs::directory_iterator()); }

  std::string root_;
  std::unique_ptr<ContentStore> store_;
};

TEST_F(ContentStoreTest, LayoutIsOci) {
  EXPECT_EQ(*read_file(root_ + "/image/oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
  EXPECT_TRUE(is_directory(root_ + "/image/blobs/sha256"));
  EXPECT_TRUE(path_exists(root_ + "/image/index.json"));
  EXPECT_TRUE(store_->init());  // idempotent
}

TEST_F(ContentStoreTest, PutReadRemove) {
  auto d = store_->put("hello");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(*d, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_TRUE(store_->has(*d));
  EXPECT_EQ(*store_->read(*d), "hello");
  EXPECT_EQ(*store_->blob_size(*d), 5u);
  ASSERT_TRUE(store_->remove(*d));
  EXPECT_FALSE(store_->has(*d));
  EXPECT_TRUE(store_->remove(*d));  // already gone is fine
}

TEST_F(ContentStoreTest, MismatchedDigestStoresNothing) {
  {
    auto w = store_->writer();
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->write("abc"));
    auto r = w->commit(std::string_view("sha256:0000000000000000000000000000000000000000000000000000000000000000"));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("digest mismatch"), std::string::npos);
  }
  EXPECT_EQ(tmp_entries(), 0u);
  EXPECT_FALSE(store_->has("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

TEST_F(ContentStoreTest, CorruptBlobIsDetectedOnRead) {
  auto d = store_->put("payload");
  ASSERT_TRUE(d);
  ASSERT_TRUE(write_file_atomic(store_->blob_path(*d), "tampered"));
  auto r = store_->read(*d);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("corrupt"), std::string::npos);
}

TEST_F(ContentStoreTest, RemoveTreeDoesNotFollowSymlinks) {
  std::string outside = root_ + "/outside";
  fs::create_directories(outside);
  ASSERT_TRUE(write_file_atomic(outside + "/keep", "x"));
  std::string tree = root_ + "/tree/a";
  fs::create_directories(tree);
  fs::create_directory_symlink(outside, tree + "/link");
  ASSERT_TRUE(remove_tree(root_ + "/tree"));
  EXPECT_FALSE(path_exists(root_ + "/tree"));
  EXPECT_TRUE(path_exists(outside + "/keep"));
}

TEST(ImageConfig, ParsesDockerFieldsAndRoundTrips) {
  const char* text = R"({"architecture":"amd64","os":"linux","created":"2024-01-02T03:04:05.5Z",
    "config":{"User":"nobody","Env":["PATH=/bin","A=1"],"Cmd":["sh"],"Entrypoint":null,"WorkingDir":"/w",
      "ExposedPorts":{"80/tcp":{}},"Volumes":{"/data":{}},"Labels":{"k":"v"},"StopSignal":"SIGINT",
      "Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":1000000000,"Retries":3}},
    "rootfs":{"type":"layers","diff_ids":["sha256:aa"]},
    "history":[{"created":"2024-01-02T03:04:05Z","created_by":"x","empty_layer":true}]})";
  auto c = parse_image_config(text);
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->config.user, "nobody");
  EXPECT_EQ(c->config.env.size(), 2u);
  EXPECT_EQ(*c->config.cmd, std::vector<std::string>{"sh"});
  EXPECT_FALSE(c->config.entrypoint);
  EXPECT_EQ(c->config.exposed_ports.count("80/tcp"), 1u);
  EXPECT_EQ(c->config.volumes.count("/data"), 1u);
  EXPECT_EQ(c->config.labels.at("k"), "v");
  EXPECT_EQ(c->config.stop_signal, "SIGINT");
  EXPECT_EQ(c->config.healthcheck->retries, 3);
  EXPECT_EQ(c->history.size(), 1u);
  EXPECT_TRUE(c->history[0].empty_layer);
  auto again = parse_image_config(serialize_image_config(*c));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->config.env, c->config.env);
  EXPECT_EQ(again->diff_ids, c->diff_ids);
  EXPECT_EQ(again->config.healthcheck->interval_ns, 1000000000);
  EXPECT_EQ(*parse_rfc3339("2024-01-02T03:04:05.5Z"), 1704164645);
  EXPECT_EQ(*parse_rfc3339("2024-01-02T04:04:05+01:00"), 1704164645);
}

TEST(ImageConfig, RejectsConfigWithoutLayers) {
  EXPECT_FALSE(parse_image_config("[]"));
  EXPECT_FALSE(parse_image_config(R"({"rootfs":{"type":"other","diff_ids":[]}})"));
  EXPECT_FALSE(parse_image_config(R"({"rootfs":{"type":"layers","diff_ids":[1]}})"));
}

TEST(ImageConfig, SetEnvReplaces) {
  std::vector<std::string> env{"A=1", "B=2"};
  set_env(env, "A", "3");
  set_env(env, "C", "4");
  EXPECT_EQ(env, (std::vector<std::string>{"A=3", "B=2", "C=4"}));
}

}  // namespace
}  // namespace stack::image
