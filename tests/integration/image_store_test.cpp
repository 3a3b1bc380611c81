// Image store round trips on the real filesystem (root), each test with its own state
// root: import the busybox rootfs, save/load with digests verified, rm and prune freeing
// only layers nobody else uses, hostile and corrupt archives leaving nothing behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/image/digest.h"
#include "engine/image/layer_unpack.h"
#include "engine/image/reference.h"
#include "engine/image/store.h"
#include "tests/integration/image_test_helpers.h"

namespace stack::image {
namespace {

namespace fs = std::filesystem;
using testing::TarBuilder;
using testing::TempDir;

size_t count(const std::string& dir) {
  return fs::exists(dir) ? std::distance(fs::directory_iterator(dir), fs::directory_iterator()) : 0;
}

class StoreTest : public ::testing::Test {
 protected:
  // One busybox rootfs for the suite: building it forks once per applet.
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    shared_ = new TempDir;
    shared_rootfs_ = testing::make_busybox_rootfs(shared_->path());
  }
  static void TearDownTestSuite() {
    delete shared_;
    shared_ = nullptr;
  }
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    ASSERT_FALSE(shared_rootfs_.empty());
    rootfs_ = tmp_ / "rootfs.tar";
    fs::copy_file(shared_rootfs_, rootfs_);
    auto s = Store::open(tmp_ / "root");
    ASSERT_TRUE(s) << s.error().to_string();
    store_.emplace(std::move(*s));
  }
  void TearDown() override {
    if (store_) {
      EXPECT_EQ(count(store_->content().tmp_dir()), 0u) << "tmp/ must be empty after every operation";
    }
  }
  std::string import(const std::string& tar, const std::string& name, std::vector<std::string> changes = {}) {
    ImportOptions o{tar, name, std::move(changes), "", ""};
    auto id = store_->import_rootfs(o);
    EXPECT_TRUE(id) << id.error().to_string();
    return id.value_or("");
  }
  std::string blobs() const { return store_->content().dir() + "/blobs/sha256"; }
  std::string layers() const { return store_->content().layers_dir(); }

  static inline TempDir* shared_ = nullptr;
  static inline std::string shared_rootfs_;
  TempDir tmp_;
  std::string rootfs_;
  std::optional<Store> store_;
};

TEST_F(StoreTest, ImportBusyboxRootfs) {
  std::string id = import(rootfs_, "bench/busybox", {"CMD [\"sh\"]", "ENV PATH=/bin", "WORKDIR /tmp", "EXPOSE 80", "USER nobody",
                                                       "LABEL a=b", "VOLUME /data", "STOPSIGNAL SIGINT", "ENTRYPOINT [\"/bin/busybox\"]"});
  ASSERT_TRUE(is_sha256_digest(id));
  // The ID is the config's digest, and the one layer's diff ID is the tarball's digest.
  EXPECT_EQ(*sha256_file(store_->content().blob_path(id)), id);
  auto config = store_->config("bench/busybox:latest");
  ASSERT_TRUE(config);
  ASSERT_EQ(config->diff_ids.size(), 1u);
  EXPECT_EQ(config->diff_ids[0], *sha256_file(rootfs_));
  EXPECT_EQ(*config->config.cmd, std::vector<std::string>{"sh"});
  EXPECT_EQ(config->config.working_dir, "/tmp");
  EXPECT_EQ(config->config.user, "nobody");
  EXPECT_EQ(config->config.stop_signal, "SIGINT");
  EXPECT_TRUE(config->config.exposed_ports.count("80/tcp"));
  EXPECT_TRUE(config->config.volumes.count("/data"));

  // The unpacked layer is the rootfs: busybox runs from it, applets are absolute symlinks.
  auto dirs = store_->layer_dirs("bench/busybox");
  ASSERT_TRUE(dirs) << dirs.error().to_string();
  ASSERT_EQ(dirs->size(), 1u);
  std::string top = dirs->front();
  EXPECT_EQ(fs::read_symlink(top + "/bin/sh"), "/bin/busybox");
  EXPECT_EQ((fs::status(top + "/tmp").permissions() & fs::perms::sticky_bit), fs::perms::sticky_bit);
  EXPECT_EQ(testing::slurp(top + "/usr/share/conformance/seed.txt"), "seeded from the image\n");
  EXPECT_EQ(testing::sh(top + "/bin/busybox true"), 0);

  auto inspect = store_->inspect("bench/busybox");
  ASSERT_TRUE(inspect);
  EXPECT_EQ((*inspect)["Id"], id);
  EXPECT_EQ((*inspect)["RepoTags"][0], "bench/busybox:latest");
  EXPECT_EQ((*inspect)["RootFS"]["Layers"][0], config->diff_ids[0]);
  EXPECT_GT((*inspect)["Size"].get<uint64_t>(), 1000000u);
  EXPECT_EQ((*inspect)["Config"]["Entrypoint"][0], "/bin/busybox");
  // Short IDs resolve as in Docker.
  EXPECT_TRUE(store_->inspect(short_id(id)));
  EXPECT_EQ(store_->inspect("nope").error().message, "No such image: nope:latest");
}

TEST_F(StoreTest, CompressedRootfsHasTheUncompressedDiffId) {
  std::string gz = tmp_ / "rootfs.tar.gz";
  ASSERT_EQ(testing::sh("gzip -c " + rootfs_ + " > " + gz), 0);
  import(gz, "gz");
  EXPECT_EQ(store_->config("gz")->diff_ids[0], *sha256_file(rootfs_));
}

TEST_F(StoreTest, SaveThenLoadGivesTheSameImage) {
  std::string id = import(rootfs_, "bench/busybox", {"CMD [\"sh\"]"});
  ASSERT_TRUE(store_->tag("bench/busybox", "other:v1"));
  std::string archive = tmp_ / "img.tar";
  ASSERT_TRUE(store_->save({"bench/busybox", "other:v1"}, archive));
  // Saving is deterministic.
  std::string again = tmp_ / "img2.tar";
  ASSERT_TRUE(store_->save({"bench/busybox", "other:v1"}, again));
  EXPECT_EQ(*sha256_file(archive), *sha256_file(again));

  auto fresh = Store::open(tmp_ / "root2");
  ASSERT_TRUE(fresh);
  auto report = fresh->load(archive);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->lines, (std::vector<std::string>{"Loaded image: bench/busybox:latest", "Loaded image: other:v1"}));
  auto loaded = fresh->inspect("bench/busybox");
  ASSERT_TRUE(loaded);
  EXPECT_EQ((*loaded)["Id"], id);
  EXPECT_EQ((*loaded)["RootFS"], (*store_->inspect(id))["RootFS"]);
  // Every blob in the new store still matches its name.
  for (const auto& e : fs::directory_iterator(tmp_ / "root2/image/blobs/sha256"))
    EXPECT_EQ(*sha256_file(e.path()), "sha256:" + e.path().filename().string());
  EXPECT_EQ(count(tmp_ / "root2/image/tmp"), 0u);

  // Also as an OCI layout: the same archive without manifest.json loads through index.json.
  std::string oci = tmp_ / "oci";
  fs::create_directories(oci);
  ASSERT_EQ(testing::sh("tar -xf " + archive + " -C " + oci + " && rm " + oci + "/manifest.json " + oci +
                        "/repositories && tar -C " + oci + " -czf " + tmp_.path() + "/oci.tar.gz ."), 0);
  auto third = Store::open(tmp_ / "root3");
  auto r3 = third->load(tmp_ / "oci.tar.gz");
  ASSERT_TRUE(r3) << r3.error().to_string();
  EXPECT_EQ(r3->lines.front(), "Loaded image: bench/busybox:latest");
  EXPECT_EQ((*third->inspect("other:v1"))["Id"], id);
}

TEST_F(StoreTest, LoadRejectsLayerThatIsNotWhatTheConfigSays) {
  import(rootfs_, "a");
  std::string archive = tmp_ / "img.tar", stage = tmp_ / "stage";
  ASSERT_TRUE(store_->save({"a"}, archive));
  fs::create_directories(stage);
  auto diff = store_->config("a")->diff_ids[0];
  std::string layer = stage + "/blobs/sha256/" + diff.substr(7);
  ASSERT_EQ(testing::sh("tar -xf " + archive + " -C " + stage + " && echo tampered >> " + layer + " && tar -C " + stage +
                        " -cf " + tmp_.path() + "/bad.tar ."), 0);
  auto fresh = Store::open(tmp_ / "root2");
  auto r = fresh->load(tmp_ / "bad.tar");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("invalid diffID for layer 0"), std::string::npos) << r.error().to_string();
  EXPECT_TRUE(fresh->list()->empty());
  EXPECT_EQ(count(tmp_ / "root2/image/layers"), 0u);
  EXPECT_EQ(count(tmp_ / "root2/image/tmp"), 0u);
}

TEST_F(StoreTest, HostileLayerLeavesNothingBehind) {
  std::string evil = tmp_ / "evil.tar";
  { TarBuilder(evil).file("ok", "1").file("../../escape", "x"); }
  auto r = store_->import_rootfs(ImportOptions{evil, "evil", {}, "", ""});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().to_string().find("breakout"), std::string::npos) << r.error().to_string();
  EXPECT_EQ(count(layers()), 0u);
  EXPECT_TRUE(store_->list()->empty());
  EXPECT_FALSE(fs::exists(tmp_ / "escape"));
}

TEST_F(StoreTest, RemoveUntagsThenDeletesAndFreesOnlyUnsharedLayers) {
  // Two images sharing the busybox layer, the second with one more layer on top (made
  // by hand: a docker-save archive with two layers).
  std::string base = import(rootfs_, "base");
  std::string extra = tmp_ / "extra.tar";
  { TarBuilder(extra).file("extra", "more"); }
  std::string diff0 = *sha256_file(rootfs_), diff1 = *sha256_file(extra);
  std::string config = nlohmann::json{{"architecture", "amd64"}, {"os", "linux"}, {"created", "2024-01-01T00:00:00Z"},
                                      {"config", {{"Cmd", {"sh"}}}},
                                      {"rootfs", {{"type", "layers"}, {"diff_ids", {diff0, diff1}}}}}.dump();
  std::string stage = tmp_ / "two";
  fs::create_directories(stage + "/l0");
  fs::create_directories(stage + "/l1");
  fs::copy_file(rootfs_, stage + "/l0/layer.tar");
  fs::copy_file(extra, stage + "/l1/layer.tar");
  {
    std::ofstream(stage + "/config.json") << config;
    std::ofstream(stage + "/manifest.json")
        << R"([{"Config":"config.json","RepoTags":["two:latest"],"Layers":["l0/layer.tar","l1/layer.tar"]}])";
  }
  ASSERT_EQ(testing::sh("tar -C " + stage + " -cf " + tmp_.path() + "/two.tar ."), 0);
  auto loaded = store_->load(tmp_ / "two.tar");
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(count(layers()), 2u) << "the busybox layer is shared, not unpacked twice";
  auto dirs = store_->layer_dirs("two");
  ASSERT_EQ(dirs->size(), 2u);
  EXPECT_TRUE(fs::exists(dirs->at(0) + "/extra")) << "topmost first";
  EXPECT_EQ(dirs->at(1), store_->layer_dirs("base")->at(0));

  ASSERT_TRUE(store_->tag("base", "alias:1"));
  // By ID with two names: Docker's conflict without -f.
  auto conflict = store_->remove(short_id(base), false);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().message, "conflict: unable to delete " + short_id(base) +
                                          " (must be forced) - image is referenced in multiple repositories");
  // By name: only untagged.
  auto untag = store_->remove("alias:1", false);
  ASSERT_TRUE(untag);
  ASSERT_EQ(untag->size(), 1u);
  EXPECT_EQ(untag->at(0).untagged, "alias:1");
  // Last name: untagged and deleted; the shared layer stays.
  auto del = store_->remove("base", false);
  ASSERT_TRUE(del);
  ASSERT_EQ(del->size(), 2u);
  EXPECT_EQ(del->at(0).untagged, "base:latest");
  EXPECT_EQ(del->at(1).deleted, base);
  EXPECT_EQ(count(layers()), 2u);
  EXPECT_TRUE(fs::exists(store_->content().blob_path(diff0)));
  EXPECT_EQ(testing::sh(store_->layer_dirs("two")->at(1) + "/bin/busybox true"), 0);
  // The last image frees both layers and every blob.
  auto del2 = store_->remove("two", false);
  ASSERT_TRUE(del2);
  EXPECT_EQ(del2->size(), 4u);  // untagged, image, two layers
  EXPECT_EQ(count(layers()), 0u);
  EXPECT_EQ(count(blobs()), 0u);
}

TEST_F(StoreTest, RetagLeavesDanglingImageThatPruneRemoves) {
  std::string first = import(rootfs_, "app", {"LABEL v=1"});
  std::string second = import(rootfs_, "app", {"LABEL v=2"});
  ASSERT_NE(first, second);
  auto images = store_->list();
  ASSERT_EQ(images->size(), 2u);
  auto dangling = std::find_if(images->begin(), images->end(), [](const ImageSummary& s) { return s.repo_tags.empty(); });
  ASSERT_NE(dangling, images->end());
  EXPECT_EQ(dangling->id, first);
  // A label filter that does not match keeps it.
  PruneOptions keep;
  keep.filters = {{"label", "v=2"}};
  EXPECT_TRUE(store_->prune(keep)->items.empty());
  auto report = store_->prune(PruneOptions{});
  ASSERT_TRUE(report);
  ASSERT_EQ(report->items.size(), 1u);
  EXPECT_EQ(report->items[0].deleted, first);
  EXPECT_EQ(report->reclaimed, 0u) << "the layer is still used by app:latest";
  EXPECT_EQ(store_->list()->size(), 1u);
  // prune -a removes tagged images too.
  PruneOptions all;
  all.all = true;
  report = store_->prune(all);
  ASSERT_TRUE(report);
  EXPECT_GT(report->reclaimed, 1000000u);
  EXPECT_EQ(count(layers()), 0u);
  EXPECT_EQ(count(blobs()), 0u);
}

TEST_F(StoreTest, HistoryAndTagErrors) {
  std::string id = import(rootfs_, "h");
  auto rows = store_->history("h");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->at(0).id, id);
  EXPECT_EQ(rows->at(0).comment, "Imported from -");
  EXPECT_GT(rows->at(0).size, 0u);
  EXPECT_EQ(store_->tag("h", "x@sha256:" + std::string(64, 'a')).error().message, "refusing to create a tag with a digest reference");
  EXPECT_EQ(store_->tag("h", "Bad").error().message, "invalid reference format: repository name must be lowercase");
  EXPECT_EQ(store_->tag("missing", "x").error().message, "No such image: missing:latest");
}

TEST_F(StoreTest, CliEndToEnd) {
  std::string stack = std::string(STACK_BINARY) + " --root " + tmp_.path() + "/cli";
  std::string out = tmp_ / "out";
  ASSERT_EQ(testing::sh(stack + " image import " + rootfs_ + " bench/busybox > " + out), 0);
  std::string id = testing::slurp(out);
  ASSERT_EQ(id.size(), 72u);
  ASSERT_EQ(testing::sh(stack + " image ls > " + out), 0);
  std::string ls = testing::slurp(out);
  EXPECT_TRUE(ls.starts_with("REPOSITORY      TAG       IMAGE ID       CREATED"));
  EXPECT_NE(ls.find("bench/busybox   latest    " + short_id(id)), std::string::npos) << ls;
  ASSERT_EQ(testing::sh(stack + " image ls -q > " + out), 0);
  EXPECT_EQ(testing::slurp(out), short_id(id) + "\n");
  ASSERT_EQ(testing::sh(stack + " image save -o " + tmp_.path() + "/s.tar bench/busybox"), 0);
  ASSERT_EQ(testing::sh(stack + " image rm bench/busybox > " + out), 0);
  EXPECT_EQ(testing::slurp(out), "Untagged: bench/busybox:latest\nDeleted: " + id.substr(0, 71) + "\nDeleted: " +
                                     *sha256_file(rootfs_) + "\n");
  ASSERT_EQ(testing::sh(stack + " image load -i " + tmp_.path() + "/s.tar > " + out), 0);
  EXPECT_EQ(testing::slurp(out), "Loaded image: bench/busybox:latest\n");
  EXPECT_EQ(testing::sh(stack + " image inspect --format '{{.Id}}' bench/busybox > " + out), 0);
  EXPECT_EQ(testing::slurp(out), id);
  EXPECT_NE(testing::sh(stack + " image rm nothere 2> " + out), 0);
  EXPECT_EQ(testing::slurp(out), "Error: No such image: nothere\n");
  EXPECT_NE(testing::sh(stack + " image inspect nothere > " + out + " 2>/dev/null"), 0);
  EXPECT_EQ(testing::slurp(out), "[]\n");
}

}  // namespace
}  // namespace stack::image
