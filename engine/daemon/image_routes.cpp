#include "engine/daemon/image_routes.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>

#include "common/files.h"
#include "engine/api/filters.h"
#include "engine/api/run_blocking.h"
#include "engine/api/version.h"
#include "engine/daemon/store_temp_file.h"

namespace stack::daemon {

namespace {

using api::Request;
using api::Responder;
using nlohmann::json;
using nlohmann::ordered_json;

Result<void> write_body(const std::string& path, std::string_view body) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail_errno("create " + path);
  while (!body.empty()) {
    ssize_t n = ::write(fd, body.data(), body.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      return fail("write " + path, saved);
    }
    body.remove_prefix(static_cast<size_t>(n));
  }
  if (::close(fd) != 0) return fail_errno("close " + path);
  return {};
}

// Docker's image event attributes: the image's labels plus "name".
std::map<std::string, std::string> attributes_for(const ordered_json& inspect, const std::string& name) {
  std::map<std::string, std::string> attrs;
  if (auto c = inspect.find("Config"); c != inspect.end() && c->is_object()) {
    if (auto l = c->find("Labels"); l != c->end() && l->is_object()) {
      for (const auto& [k, v] : l->items()) {
        if (v.is_string()) attrs[k] = v.get<std::string>();
      }
    }
  }
  attrs["name"] = name;
  return attrs;
}

std::string repo_of(const std::string& familiar_tag) {
  size_t slash = familiar_tag.rfind('/');
  size_t colon = familiar_tag.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) return familiar_tag.substr(0, colon);
  return familiar_tag;
}

// Docker's reference filter: path.Match of the pattern against "repo:tag" or the repo.
bool reference_matches(const std::string& pattern, const std::string& familiar_tag) {
  if (::fnmatch(pattern.c_str(), familiar_tag.c_str(), FNM_PATHNAME) == 0) return true;
  return ::fnmatch(pattern.c_str(), repo_of(familiar_tag).c_str(), FNM_PATHNAME) == 0;
}

bool labels_match(const std::map<std::string, std::string>& labels, const std::vector<std::string>& wanted) {
  for (const auto& w : wanted) {
    size_t eq = w.find('=');
    auto it = labels.find(w.substr(0, eq));
    if (it == labels.end()) return false;
    if (eq != std::string::npos && it->second != w.substr(eq + 1)) return false;
  }
  return true;
}

Result<bool> bool_filter(const api::Filters& f, const std::string& key) {
  const auto& values = f.at(key);
  for (const auto& v : values) {
    if (v != "true" && v != "false" && v != "1" && v != "0") {
      return fail("invalid filter '" + key + "=" + v + "'", EINVAL);
    }
  }
  return values.empty() || values.front() == "true" || values.front() == "1";
}

struct ListOptions {
  bool all = false;
  api::Filters filters;
};

Result<json> list_images(const image::Store& store, const ListOptions& o, const std::string& api_version) {
  auto images = store.list();
  if (!images) return std::unexpected(images.error());
  const auto& f = o.filters;
  std::optional<bool> dangling;
  if (f.contains("dangling")) {
    auto d = bool_filter(f, "dangling");
    if (!d) return std::unexpected(d.error());
    dangling = *d;
  }
  // before/since name images; compare creation times as Docker does.
  std::optional<int64_t> before, since;
  for (const char* key : {"before", "since"}) {
    auto it = f.find(key);
    if (it == f.end() || it->second.empty()) continue;
    auto ref = store.inspect(it->second.front());
    if (!ref) return std::unexpected(ref.error());
    int64_t created = 0;
    for (const auto& s : *images) {
      if (s.id == (*ref)["Id"].get<std::string>()) created = s.created;
    }
    (std::string_view(key) == "before" ? before : since) = created;
  }
  auto refs = f.find("reference");
  auto labels = f.find("label");
  json out = json::array();
  for (const auto& s : *images) {
    bool is_dangling = s.repo_tags.empty();
    if (dangling && *dangling != is_dangling) continue;
    if (before && s.created >= *before) continue;
    if (since && s.created <= *since) continue;
    if (labels != f.end() && !labels_match(s.labels, labels->second)) continue;
    std::vector<std::string> tags = s.repo_tags;
    if (refs != f.end() && !refs->second.empty()) {
      // Only the tags that match stay listed; an image without one is left out.
      std::erase_if(tags, [&](const std::string& t) {
        return std::none_of(refs->second.begin(), refs->second.end(),
                            [&](const std::string& p) { return reference_matches(p, t); });
      });
      if (tags.empty()) continue;
    }
    json j;
    j["Containers"] = -1;
    j["Created"] = s.created;
    j["Id"] = s.id;
    j["Labels"] = s.labels.empty() ? json(nullptr) : json(s.labels);
    j["ParentId"] = "";
    j["RepoDigests"] = s.repo_digests.empty() ? json(nullptr) : json(s.repo_digests);  // Docker: null when none
    j["RepoTags"] = tags;
    j["SharedSize"] = -1;
    j["Size"] = s.size;
    if (api::compare_versions(api_version, "1.44") < 0) j["VirtualSize"] = s.size;
    out.push_back(std::move(j));
  }
  (void)o.all;  // no intermediate (parent) images here: -a lists the same set
  return out;
}

// The image store's errors carry Docker's messages but no errno: the status comes from
// the message, as moby's errdefs classes would give it.
Error classify(const Error& e) {
  Error out = e;
  // Wrapped store errors: Docker's text is the innermost one.
  if (auto at = out.message.find("No such image: "); at != std::string::npos && at > 0) out.message = out.message.substr(at);
  if (out.errno_value != 0) return out;
  std::string_view m = out.message;
  if (m.starts_with("No such image")) out.errno_value = ENOENT;
  else if (m.starts_with("conflict:")) out.errno_value = EEXIST;
  else if (m.starts_with("invalid") || m.starts_with("refusing") || m.find("invalid reference format") != m.npos)
    out.errno_value = EINVAL;
  return out;
}

net::awaitable<void> reply_error(Responder& res, const Error& e) {
  Error mapped = classify(e);
  co_await res.error(mapped);
}

json remove_items_json(const std::vector<image::RemoveItem>& items) {
  json out = json::array();
  for (const auto& it : items) {
    if (!it.untagged.empty()) out.push_back(json{{"Untagged", it.untagged}});
    if (!it.deleted.empty()) out.push_back(json{{"Deleted", it.deleted}});
  }
  return out;
}

// Docker's events for a removal: untag (with the image ID as its name) and delete.
void publish_removal(const EventSink& events, const std::vector<image::RemoveItem>& items, const std::string& image_id,
                     const std::map<std::string, std::string>& labels) {
  if (!events) return;
  for (const auto& it : items) {
    if (!it.untagged.empty()) {
      auto attrs = labels;
      attrs["name"] = image_id;
      events("image", "untag", image_id, attrs);
    }
    // Layer chain IDs are "Deleted" too; only images make events.
    if (!it.deleted.empty() && it.deleted == image_id) {
      auto attrs = labels;
      attrs["name"] = image_id;
      events("image", "delete", image_id, attrs);
    }
  }
}

// Streams a file as the response body, reading it on the pool.
net::awaitable<void> stream_file(Responder& res, net::thread_pool& pool, const std::string& path,
                                 std::string_view content_type) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::string message = Error{"open " + path, errno}.to_string();
    co_await res.error(500, message);
    co_return;
  }
  UniqueFd owned(fd);
  co_await res.start_stream(200, content_type);
  std::string buf;
  for (;;) {
    auto n = co_await api::run_blocking(pool, [&buf, fd]() -> ssize_t {
      buf.resize(1 << 20);
      ssize_t r;
      do {
        r = ::read(fd, buf.data(), buf.size());
      } while (r < 0 && errno == EINTR);
      return r;
    });
    if (n <= 0) break;  // a read error mid-stream: the client sees a short tar
    if (!co_await res.write(std::string_view(buf.data(), static_cast<size_t>(n)))) co_return;
  }
  co_await res.finish();
}

}  // namespace

void add_image_routes(api::Router& router, image::Store& store, net::thread_pool& pool, EventSink events,
                      ImageUsage usage) {
  auto sink = std::make_shared<EventSink>(std::move(events));

  router.add("GET", "/images/json", [&store, &pool](Request& req, Responder& res) -> net::awaitable<void> {
    ListOptions o;
    o.all = req.query_bool("all");
    auto f = api::parse_filters(req.query_value("filters").value_or(""));
    if (!f) {
      co_await reply_error(res, f.error());
      co_return;
    }
    if (auto v = api::validate_filters(*f, {"dangling", "label", "before", "since", "reference", "until"}); !v) {
      co_await reply_error(res, v.error());
      co_return;
    }
    o.filters = std::move(*f);
    // API < 1.41: ?filter=PATTERN is a reference filter.
    if (auto legacy = req.query_value("filter"); legacy && !legacy->empty()) o.filters["reference"].push_back(*legacy);
    std::string version = req.api_version;
    auto list = co_await api::run_blocking(pool, [&] { return list_images(store, o, version); });
    if (!list) {
      co_await reply_error(res, list.error());
      co_return;
    }
    co_await res.json(200, *list);
  });

  router.add("GET", "/images/get", [&store, &pool, sink](Request& req, Responder& res) -> net::awaitable<void> {
    auto names = req.query_values("names");
    StoreTempFile out(store, ".tar");
    auto saved = co_await api::run_blocking(pool, [&] { return store.save(names, out.path()); });
    if (!saved) {
      co_await reply_error(res, saved.error());
      co_return;
    }
    for (const auto& n : names) {
      auto i = co_await api::run_blocking(pool, [&] { return store.inspect(n); });
      if (i && *sink) {
        std::string id = (*i)["Id"].get<std::string>();
        (*sink)("image", "save", id, attributes_for(*i, id));
      }
    }
    co_await stream_file(res, pool, out.path(), "application/x-tar");
  });

  router.add("POST", "/images/load", [&store, &pool, sink](Request& req, Responder& res) -> net::awaitable<void> {
    StoreTempFile in(store, ".tar");
    std::string body = std::move(req.body);
    struct Loaded {
      image::LoadReport report;
      std::vector<std::pair<std::string, ordered_json>> images;  // ID, inspect
    };
    auto loaded = co_await api::run_blocking(pool, [&]() -> Result<Loaded> {
      if (auto w = write_body(in.path(), body); !w) return std::unexpected(w.error());
      body.clear();
      body.shrink_to_fit();
      auto r = store.load(in.path());
      if (!r) return std::unexpected(r.error());
      Loaded l{std::move(*r), {}};
      for (const auto& line : l.report.lines) {
        std::string ref;
        if (line.starts_with("Loaded image ID: ")) ref = line.substr(17);
        else if (line.starts_with("Loaded image: ")) ref = line.substr(14);
        if (ref.empty()) continue;
        if (auto i = store.inspect(ref)) l.images.emplace_back((*i)["Id"].get<std::string>(), std::move(*i));
      }
      return l;
    });
    if (!loaded) {
      co_await reply_error(res, loaded.error());
      co_return;
    }
    if (*sink) {
      for (const auto& [id, inspect] : loaded->images) (*sink)("image", "load", id, attributes_for(inspect, id));
    }
    // Docker's jsonmessage stream: one {"stream": "..."} object per line.
    std::string out;
    for (const auto& line : loaded->report.lines) {
      json m = {{"stream", line + "\n"}};
      out += m.dump() + "\n";
    }
    co_await res.start_stream(200, "application/json");
    co_await res.write(out);
    co_await res.finish();
  });

  router.add("POST", "/images/create", [&store, &pool, sink](Request& req, Responder& res) -> net::awaitable<void> {
    auto from_image = req.query_value("fromImage").value_or("");
    auto from_src = req.query_value("fromSrc").value_or("");
    if (!from_image.empty() || from_src.empty()) {
      co_await res.error(501, "pulling images is not supported: stack has no registry client; use image load or import");
      co_return;
    }
    if (from_src != "-") {
      co_await res.error(501, "importing from a URL is not supported: send the archive as the request body (fromSrc=-)");
      co_return;
    }
    image::ImportOptions o;
    std::string repo = req.query_value("repo").value_or("");
    std::string tag = req.query_value("tag").value_or("");
    o.reference = repo.empty() || tag.empty() ? repo : repo + ":" + tag;
    o.changes = req.query_values("changes");
    o.message = req.query_value("message").value_or("");
    o.platform = req.query_value("platform").value_or("");
    StoreTempFile in(store, ".tar");
    o.source = in.path();
    std::string body = std::move(req.body);
    auto id = co_await api::run_blocking(pool, [&]() -> Result<std::pair<std::string, ordered_json>> {
      if (auto w = write_body(in.path(), body); !w) return std::unexpected(w.error());
      body.clear();
      body.shrink_to_fit();
      auto r = store.import_rootfs(o);
      if (!r) return std::unexpected(r.error());
      auto i = store.inspect(*r);
      return std::pair{*r, i ? std::move(*i) : ordered_json::object()};
    });
    if (!id) {
      co_await reply_error(res, id.error());
      co_return;
    }
    if (*sink) (*sink)("image", "import", id->first, attributes_for(id->second, id->first));
    // streamformatter.FormatStatus: {"status":"<id>"} and CRLF.
    json status = {{"status", id->first}};
    co_await res.start_stream(200, "application/json");
    co_await res.write(status.dump() + "\r\n");
    co_await res.finish();
  });

  router.add("POST", "/images/prune", [&store, &pool, sink](Request& req, Responder& res) -> net::awaitable<void> {
    auto f = api::parse_filters(req.query_value("filters").value_or(""));
    if (!f) {
      co_await reply_error(res, f.error());
      co_return;
    }
    if (auto v = api::validate_filters(*f, {"dangling", "label", "label!", "until"}); !v) {
      co_await reply_error(res, v.error());
      co_return;
    }
    image::PruneOptions o;
    if (f->contains("dangling")) {
      auto d = bool_filter(*f, "dangling");
      if (!d) {
        co_await reply_error(res, d.error());
        co_return;
      }
      o.all = !*d;
    }
    for (const char* key : {"label", "label!"}) {
      if (auto it = f->find(key); it != f->end()) {
        for (const auto& v : it->second) o.filters.emplace_back(key, v);
      }
    }
    if (f->contains("until")) {
      co_await res.error(400, "the until filter is not supported by stack's image prune");
      co_return;
    }
    // Labels of the images about to go, for the events.
    auto before = co_await api::run_blocking(pool, [&] { return store.list(); });
    auto report = co_await api::run_blocking(pool, [&] { return store.prune(o); });
    if (!report) {
      co_await reply_error(res, report.error());
      co_return;
    }
    if (*sink && before) {
      for (const auto& s : *before) {
        bool gone = std::any_of(report->items.begin(), report->items.end(),
                                [&](const image::RemoveItem& it) { return it.deleted == s.id; });
        if (!gone) continue;
        std::vector<image::RemoveItem> mine;
        for (const auto& t : s.repo_tags) mine.push_back({t, ""});
        mine.push_back({"", s.id});
        publish_removal(*sink, mine, s.id, s.labels);
      }
      (*sink)("image", "prune", "", {{"reclaimed", std::to_string(report->reclaimed)}});
    }
    json body;
    json deleted = remove_items_json(report->items);
    body["ImagesDeleted"] = deleted.empty() ? json(nullptr) : deleted;
    body["SpaceReclaimed"] = report->reclaimed;
    co_await res.json(200, body);
  });

  // The greedy routes last: "/images/{name:.*}/json" would not take /images/json, but
  // "/images/{name:.*}" (DELETE) takes anything.
  router.add("GET", "/images/{name:.*}/json", [&store, &pool](Request& req, Responder& res) -> net::awaitable<void> {
    std::string name = req.params["name"];
    auto i = co_await api::run_blocking(pool, [&] { return store.inspect(name); });
    if (!i) {
      co_await reply_error(res, i.error());
      co_return;
    }
    // Docker's overlay2 fields for an image: its top layer's directories.
    if ((*i)["GraphDriver"]["Data"].is_object()) {
      auto& data = (*i)["GraphDriver"]["Data"];
      if (data.contains("UpperDir") == false) {
        auto layers = store.layer_dirs(name);
        if (layers && !layers->empty()) {
          std::string top = layers->front();
          std::string base = top.substr(0, top.rfind('/'));
          data["MergedDir"] = base + "/merged";
          data["UpperDir"] = top;
          data["WorkDir"] = base + "/work";
        }
      }
    }
    co_await res.json(200, *i);
  });

  router.add("GET", "/images/{name:.*}/history", [&store, &pool](Request& req, Responder& res) -> net::awaitable<void> {
    std::string name = req.params["name"];
    auto rows = co_await api::run_blocking(pool, [&]() -> Result<ordered_json> {
      auto h = store.history(name);
      if (!h) return std::unexpected(h.error());
      auto i = store.inspect(name);
      if (!i) return std::unexpected(i.error());
      ordered_json out = ordered_json::array();
      for (size_t k = 0; k < h->size(); ++k) {
        const auto& r = (*h)[k];
        ordered_json j;
        j["Id"] = r.id;
        j["Created"] = r.created;
        j["CreatedBy"] = r.created_by;
        // The image's tags on its own row (the top one), null below.
        j["Tags"] = k == 0 && !(*i)["RepoTags"].empty() ? (*i)["RepoTags"] : ordered_json(nullptr);
        j["Size"] = r.size;
        j["Comment"] = r.comment;
        out.push_back(std::move(j));
      }
      return out;
    });
    if (!rows) {
      co_await reply_error(res, rows.error());
      co_return;
    }
    co_await res.json(200, *rows);
  });

  router.add("GET", "/images/{name:.*}/get", [&store, &pool, sink](Request& req, Responder& res) -> net::awaitable<void> {
    std::vector<std::string> names{req.params["name"]};
    StoreTempFile out(store, ".tar");
    auto saved = co_await api::run_blocking(pool, [&]() -> Result<ordered_json> {
      auto s = store.save(names, out.path());
      if (!s) return std::unexpected(s.error());
      auto i = store.inspect(names.front());
      return i ? std::move(*i) : ordered_json::object();
    });
    if (!saved) {
      co_await reply_error(res, saved.error());
      co_return;
    }
    if (*sink && saved->contains("Id")) {
      std::string id = (*saved)["Id"].get<std::string>();
      (*sink)("image", "save", id, attributes_for(*saved, id));
    }
    co_await stream_file(res, pool, out.path(), "application/x-tar");
  });

  router.add("POST", "/images/{name:.*}/tag", [&store, &pool, sink](Request& req, Responder& res) -> net::awaitable<void> {
    std::string name = req.params["name"];
    std::string repo = req.query_value("repo").value_or("");
    std::string tag = req.query_value("tag").value_or("");
    if (repo.empty()) {
      co_await res.error(400, "repository name must have at least one component");
      co_return;
    }
    std::string target = tag.empty() ? repo : repo + ":" + tag;
    auto tagged = co_await api::run_blocking(pool, [&]() -> Result<ordered_json> {
      if (auto t = store.tag(name, target); !t) return std::unexpected(t.error());
      return store.inspect(target);
    });
    if (!tagged) {
      co_await reply_error(res, tagged.error());
      co_return;
    }
    if (*sink) {
      std::string id = (*tagged)["Id"].get<std::string>();
      // Docker names the new tag in its familiar form: "busybox:latest" for "busybox".
      std::string familiar = target;
      for (const auto& t : (*tagged)["RepoTags"]) {
        std::string s = t.get<std::string>();
        if (s == target || s == target + ":latest" || s.ends_with("/" + target) ||
            s.ends_with("/" + target + ":latest")) {
          familiar = s;
          break;
        }
      }
      (*sink)("image", "tag", id, attributes_for(*tagged, familiar));
    }
    co_await res.empty(201);
  });

  router.add("DELETE", "/images/{name:.*}", [&store, &pool, sink, usage](Request& req, Responder& res) -> net::awaitable<void> {
    std::string name = req.params["name"];
    bool force = req.query_bool("force");
    // Docker's conflicts: the last reference to an image a container uses.
    if (usage) {
      if (auto i = store.inspect(name)) {
        std::string id = (*i)["Id"].get<std::string>();
        std::size_t tags = (*i)["RepoTags"].is_array() ? (*i)["RepoTags"].size() : 0;
        bool by_id = id.find(name) != std::string::npos;
        if (auto user = usage(id); user && (by_id || tags <= 1)) {
          std::string short_image = id.substr(7, 12), short_container = user->container_id.substr(0, 12);
          std::string message;
          if (user->running && (force || by_id)) {
            message = "conflict: unable to delete " + short_image + " (cannot be forced) - image is being used by running container " + short_container;
          } else if (!force && by_id) {
            message = "conflict: unable to delete " + short_image + " (must be forced) - image is being used by stopped container " + short_container;
          } else if (!force) {
            message = "conflict: unable to remove repository reference \"" + name + "\" (must force) - container " + short_container + " is using its referenced image " + short_image;
          }
          if (!message.empty()) {
            co_await res.error(409, message);
            co_return;
          }
        }
      }
    }
    struct Removed {
      std::vector<image::RemoveItem> items;
      std::string id;
      std::map<std::string, std::string> labels;
    };
    auto removed = co_await api::run_blocking(pool, [&]() -> Result<Removed> {
      Removed r;
      if (auto i = store.inspect(name)) {
        r.id = (*i)["Id"].get<std::string>();
        r.labels = attributes_for(*i, "");
        r.labels.erase("name");
      }
      auto items = store.remove(name, force);
      if (!items) return std::unexpected(items.error());
      r.items = std::move(*items);
      return r;
    });
    if (!removed) {
      co_await reply_error(res, removed.error());
      co_return;
    }
    if (*sink) publish_removal(*sink, removed->items, removed->id, removed->labels);
    json body = remove_items_json(removed->items);
    co_await res.json(200, body);
  });
}

}  // namespace stack::daemon
