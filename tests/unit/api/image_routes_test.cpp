// The image routes through the real server and client, on a temp image store.
#include "engine/daemon/image_routes.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <mutex>

#include "engine/api/request.h"
#include "engine/client/client.h"
#include "tests/unit/api/test_server.h"

namespace stack::daemon {
namespace {

// A tar with the given regular files, made in memory.
std::string make_tar(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out(1 << 16, '\0');
  size_t used = 0;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open_memory(a, out.data(), out.size(), &used);
  for (const auto& [name, content] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
    archive_entry_set_mtime(e, 946684800, 0);
    archive_write_header(a, e);
    archive_write_data(a, content.data(), content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

struct Recorded {
  std::string type, action, id;
  std::map<std::string, std::string> attributes;
};

class ImageRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = image::Store::open(server.dir() + "/root");
    ASSERT_TRUE(s) << s.error().to_string();
    store.emplace(std::move(*s));
    api::Router router;
    add_image_routes(router, *store, server.pool(),
                     [this](std::string type, std::string action, std::string id, std::map<std::string, std::string> a) {
                       std::lock_guard lock(mu);
                       events.push_back({std::move(type), std::move(action), std::move(id), std::move(a)});
                     });
    server.start(std::move(router));
  }
  void TearDown() override { server.stop(); }

  std::vector<std::string> actions() {
    std::lock_guard lock(mu);
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.action);
    return out;
  }

  // Imports a one-file rootfs; returns the image ID.
  std::string import(const std::string& repo, const std::string& tag, const std::string& content,
                     const std::string& extra_query = "") {
    client::Client c(server.socket());
    auto r = c.request("POST",
                       "/v1.43/images/create?fromSrc=-&repo=" + api::url_encode(repo) + "&tag=" + tag + extra_query,
                       make_tar({{"hello.txt", content}}), "application/x-tar");
    EXPECT_TRUE(r) << r.error().to_string();
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    auto j = nlohmann::json::parse(r->body.substr(0, r->body.find("\r\n")), nullptr, false);
    EXPECT_TRUE(r->body.ends_with("\r\n"));
    return j.is_object() ? j.value("status", "") : "";
  }

  api::testing::TestServer server;
  std::optional<image::Store> store;
  std::mutex mu;
  std::vector<Recorded> events;
};

TEST_F(ImageRoutes, ImportListInspectHistory) {
  std::string id = import("conformance/busybox", "1", "hi\n", "&changes=" + api::url_encode("LABEL team=core") +
                                                                  "&changes=" + api::url_encode("CMD [\"sh\"]"));
  ASSERT_TRUE(id.starts_with("sha256:")) << id;
  client::Client c(server.socket());

  auto list = c.get("/v1.43/images/json");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200);
  auto l = *list->json();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0]["Id"], id);
  EXPECT_EQ(l[0]["RepoTags"], nlohmann::json::array({"conformance/busybox:1"}));
  EXPECT_TRUE(l[0]["RepoDigests"].is_null());  // Docker: null for an image with no digest (recorded from 20.10)
  EXPECT_EQ(l[0]["ParentId"], "");
  EXPECT_EQ(l[0]["SharedSize"], -1);
  EXPECT_EQ(l[0]["Containers"], -1);
  EXPECT_EQ(l[0]["Labels"]["team"], "core");
  EXPECT_EQ(l[0]["VirtualSize"], l[0]["Size"]);
  EXPECT_GT(l[0]["Created"].get<int64_t>(), 1600000000);

  // Filters: label, reference, dangling; a bad filter is 400.
  auto labelled = c.get("/images/json?filters=" + api::url_encode(R"({"label":{"team=core":true}})"));
  EXPECT_EQ(labelled->json()->size(), 1u);
  auto other = c.get("/images/json?filters=" + api::url_encode(R"({"label":["team=web"]})"));
  EXPECT_EQ(other->json()->size(), 0u);
  auto ref = c.get("/images/json?filters=" + api::url_encode(R"({"reference":["conformance/*"]})"));
  EXPECT_EQ(ref->json()->size(), 1u);
  auto noref = c.get("/images/json?filters=" + api::url_encode(R"({"reference":["busybox"]})"));
  EXPECT_EQ(noref->json()->size(), 0u);
  auto dangling = c.get("/images/json?filters=" + api::url_encode(R"({"dangling":["true"]})"));
  EXPECT_EQ(dangling->json()->size(), 0u);
  auto bad = c.get("/images/json?filters=" + api::url_encode(R"({"bogus":["x"]})"));
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(client::error_from(*bad).message, "invalid filter 'bogus'");
  EXPECT_EQ(c.get("/images/json?filters=%7Bnope")->status, 400);

  // Inspect by a name with a slash (the greedy route), by ID, and a missing one.
  auto insp = c.get("/v1.43/images/conformance/busybox:1/json");
  ASSERT_EQ(insp->status, 200) << insp->body;
  EXPECT_EQ((*insp->json())["Id"], id);
  EXPECT_EQ((*insp->json())["Config"]["Cmd"], nlohmann::json::array({"sh"}));
  EXPECT_EQ(c.get("/images/" + id + "/json")->status, 200);
  auto missing = c.get("/images/nope:1/json");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(client::error_from(*missing).message, "No such image: nope:1");

  auto hist = c.get("/images/conformance/busybox:1/history");
  ASSERT_EQ(hist->status, 200) << hist->body;
  auto h = *hist->json();
  ASSERT_GE(h.size(), 1u);
  EXPECT_EQ(h[0]["Id"], id);
  EXPECT_EQ(h[0]["Tags"], nlohmann::json::array({"conformance/busybox:1"}));
  for (const char* k : {"Created", "CreatedBy", "Size", "Comment"}) EXPECT_TRUE(h[0].contains(k)) << k;

  auto a = actions();
  EXPECT_EQ(a, std::vector<std::string>{"import"});
}

TEST_F(ImageRoutes, TagDeleteAndEvents) {
  std::string id = import("app", "v1", "one\n");
  client::Client c(server.socket());
  auto t = c.request("POST", "/images/app:v1/tag?repo=example/app&tag=v2");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->status, 201) << t->body;
  EXPECT_EQ(c.request("POST", "/images/nope/tag?repo=x&tag=y")->status, 404);
  EXPECT_EQ(c.request("POST", "/images/app:v1/tag?tag=y")->status, 400);
  auto l = *c.get("/images/json")->json();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0]["RepoTags"].size(), 2u);
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].action, "tag");
    EXPECT_EQ(events[1].id, id);
    EXPECT_EQ(events[1].attributes.at("name"), "example/app:v2");
  }

  // Removing one of two tags only untags.
  auto d1 = c.del("/images/example/app:v2");
  ASSERT_EQ(d1->status, 200) << d1->body;
  EXPECT_EQ(*d1->json(), nlohmann::json::parse(R"([{"Untagged":"example/app:v2"}])"));
  // The last one deletes.
  auto d2 = c.del("/images/app:v1");
  ASSERT_EQ(d2->status, 200) << d2->body;
  auto items = *d2->json();
  EXPECT_EQ(items[0], nlohmann::json::parse(R"({"Untagged":"app:v1"})"));
  bool deleted = false;
  for (const auto& it : items) deleted |= it.value("Deleted", "") == id;
  EXPECT_TRUE(deleted) << items.dump();
  EXPECT_EQ(c.del("/images/app:v1")->status, 404);
  EXPECT_EQ(actions(), (std::vector<std::string>{"import", "tag", "untag", "untag", "delete"}));
  EXPECT_EQ(c.get("/images/json")->json()->size(), 0u);
}

TEST_F(ImageRoutes, SaveThenLoadRoundTrip) {
  std::string id = import("roundtrip", "latest", "payload\n");
  client::Client c(server.socket());
  std::string tar;
  client::Response head;
  auto st = c.stream("GET", "/images/get?names=roundtrip", {}, [&](std::string_view d) {
    tar.append(d);
    return true;
  }, &head);
  ASSERT_TRUE(st);
  ASSERT_EQ(*st, 200);
  EXPECT_EQ(head.header("content-type"), "application/x-tar");
  EXPECT_GT(tar.size(), 1024u);
  // /images/{name}/get gives the same archive shape.
  auto single = c.get("/images/roundtrip:latest/get");
  ASSERT_EQ(single->status, 200);
  EXPECT_GT(single->body.size(), 1024u);
  EXPECT_EQ(c.get("/images/get?names=nope")->status, 404);

  ASSERT_EQ(c.del("/images/roundtrip")->status, 200);
  auto load = c.request("POST", "/images/load?quiet=1", tar, "application/x-tar");
  ASSERT_TRUE(load);
  ASSERT_EQ(load->status, 200) << load->body;
  EXPECT_EQ(load->header("content-type"), "application/json");
  EXPECT_EQ(load->body, "{\"stream\":\"Loaded image: roundtrip:latest\\n\"}\n");
  auto insp = c.get("/images/roundtrip/json");
  ASSERT_EQ(insp->status, 200);
  EXPECT_EQ((*insp->json())["Id"], id);
  auto a = actions();
  EXPECT_NE(std::find(a.begin(), a.end(), "save"), a.end());
  EXPECT_EQ(a.back(), "load");
  // A body that is no archive.
  auto junk = c.request("POST", "/images/load", "not a tar", "application/x-tar");
  EXPECT_GE(junk->status, 400);
}

TEST_F(ImageRoutes, PruneAndUnsupported) {
  std::string keep = import("keep", "1", "k\n");
  std::string dangling = import("", "", "d\n");
  client::Client c(server.socket());
  auto dl = c.get("/images/json?filters=" + api::url_encode(R"({"dangling":["true"]})"));
  ASSERT_EQ(dl->json()->size(), 1u);
  EXPECT_EQ((*dl->json())[0]["Id"], dangling);
  EXPECT_EQ((*dl->json())[0]["RepoTags"], nlohmann::json::array());

  auto p = c.post("/images/prune", nullptr);
  ASSERT_EQ(p->status, 200) << p->body;
  auto body = *p->json();
  EXPECT_GT(body["SpaceReclaimed"].get<int64_t>(), 0);
  ASSERT_TRUE(body["ImagesDeleted"].is_array());
  EXPECT_EQ(body["ImagesDeleted"][0]["Deleted"], dangling);
  auto left = *c.get("/images/json")->json();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0]["Id"], keep);
  auto again = *c.post("/images/prune", nullptr)->json();
  EXPECT_TRUE(again["ImagesDeleted"].is_null());
  EXPECT_EQ(again["SpaceReclaimed"], 0);
  EXPECT_EQ(actions().back(), "prune");

  EXPECT_EQ(c.request("POST", "/images/create?fromImage=busybox&tag=latest")->status, 501);
  EXPECT_EQ(c.post("/images/prune?filters=" + api::url_encode(R"({"bogus":["x"]})"), nullptr)->status, 400);
}

}  // namespace
}  // namespace stack::daemon
