#include "engine/daemon/changes_routes.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "common/files.h"
#include "engine/api/run_blocking.h"
#include "engine/api/version.h"
#include "engine/container/changes_scan.h"
#include "engine/container/commit_config.h"
#include "engine/container/create.h"
#include "engine/container/inspect.h"
#include "engine/container/store.h"
#include "engine/container/update_resources.h"
#include "engine/daemon/store_temp_file.h"
#include "engine/image/layer_diff.h"
#include "engine/image/overlay_upper.h"
#include "engine/image/reference.h"
#include "engine/runtime/cgroups.h"
#include "engine/runtime/state.h"
#include "scheduler/restart_policy.h"

namespace stack::daemon {

namespace {

using api::Request;
using api::Responder;
using nlohmann::json;
using nlohmann::ordered_json;

// The image store and the scanners report errors without an errno; a 500 then.
Error with_status(Error e, int fallback) {
  if (e.errno_value == 0) e.errno_value = fallback;
  return e;
}

// A layer's unpacked size, which the store keeps beside its diff dir ("<chain>/size").
uint64_t layer_dir_size(const std::string& diff_dir) {
  auto slash = diff_dir.find_last_of('/');
  auto text = read_file(diff_dir.substr(0, slash) + "/size");
  return text ? std::strtoull(text->c_str(), nullptr, 10) : 0;
}

// --- docker update -------------------------------------------------------------------

scheduler::RestartPolicy scheduler_policy(const container::RestartPolicy& p) {
  auto parsed = scheduler::parse_restart_policy(p.name);
  scheduler::RestartPolicy out = parsed ? *parsed : scheduler::RestartPolicy{};
  out.max_retries = p.maximum_retry_count;
  return out;
}

Result<ordered_json> update_container(ContainerService& svc, const std::string& ref, const std::string& body_text) {
  json body = json::object();
  if (!body_text.empty()) {
    body = json::parse(body_text, nullptr, false);
    if (body.is_discarded()) return fail("invalid JSON in the update body", EINVAL);
    if (body.is_null()) body = json::object();
  }
  if (!body.is_object()) return fail("json: cannot unmarshal " + std::string(body.type_name()) + " into Go value of type container.UpdateConfig", EINVAL);
  auto request = container::decode_host_config(body);
  if (!request) return std::unexpected(request.error());
  bool restart_given = false;
  if (auto it = body.find("RestartPolicy"); it != body.end() && it->is_object()) {
    auto name = it->find("Name");
    restart_given = name != it->end() && name->is_string() && !name->get<std::string>().empty();
  }
  auto found = svc.find(ref);
  if (!found) return std::unexpected(found.error());
  auto entry = *found;
  container::Record& r = entry->record;
  const std::string cannot = "Cannot update container " + r.id + ": ";
  if (r.state.removal_in_progress || r.state.dead || entry->removing)
    return fail(cannot + "container is marked for removal and cannot be \"update\"", EIO);
  container::HostConfig updated = r.host_config;
  if (auto a = container::apply_update(updated, *request, restart_given); !a) {
    // Invalid values are refused before the container is named (verifyContainerSettings).
    if (a.error().errno_value == EINVAL) return std::unexpected(a.error());
    return fail(cannot + a.error().message, a.error().errno_value);
  }
  // A running container gets the new limits now; a stopped one at its next start.
  if (r.state.running && !r.state.restarting) {
    auto state = runtime::read_state(svc.paths().runtime_root, r.id);
    if (!state) return fail(cannot + state.error().message, EIO);
    auto cgroup = runtime::Cgroup::open(state->cgroups_path);
    if (!cgroup) return fail(cannot + cgroup.error().message, EIO);
    if (auto u = (*cgroup)->update(container::update_resources(updated)); !u) return fail(cannot + u.error().message, EIO);
  }
  r.host_config = std::move(updated);
  if (restart_given) entry->restart.set_policy(scheduler_policy(r.host_config.restart_policy));
  svc.save_record(*entry);  // the service's ordered writer, as every record change
  svc.publish(*entry, "update");
  ordered_json out;
  out["Warnings"] = nullptr;
  return out;
}

// --- docker commit -------------------------------------------------------------------

struct CommitPlan {
  image::CommitRequest request;
  RootfsLease lease;
};

Result<CommitPlan> plan_commit(ContainerService& svc, const Request& req) {
  std::string ref = req.query_value("container").value_or("");
  auto found = svc.find(ref);
  if (!found) return std::unexpected(found.error());
  const container::Record& r = (*found)->record;
  if (r.state.dead) return fail("You cannot commit container " + r.id + " which is Dead", EBUSY);
  if (r.state.removal_in_progress || (*found)->removing)
    return fail("cannot commit container " + r.id + " which is being removed", EBUSY);
  std::optional<container::Config> requested;
  if (!req.body.empty()) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return fail("invalid JSON in the commit body", EINVAL);
    if (!body.is_null()) {
      auto c = container::decode_config(body);
      if (!c) return std::unexpected(c.error());
      requested = std::move(*c);
    }
  }
  auto config = container::commit_config(r.config, requested, req.query_values("changes"));
  if (!config) return std::unexpected(config.error());
  CommitPlan plan;
  plan.request.parent = r.image_id;
  plan.request.config = std::move(*config);
  plan.request.container_config = container::config_json(r.config);
  plan.request.container_id = r.id;
  plan.request.author = req.query_value("author").value_or("");
  plan.request.comment = req.query_value("comment").value_or("");
  plan.request.created_by = container::commit_created_by(r.config);
  std::string repo = req.query_value("repo").value_or("");
  std::string tag = req.query_value("tag").value_or("");
  if (!repo.empty()) plan.request.reference = tag.empty() ? repo : repo + ":" + tag;
  // A bad name is refused before the container is paused or its layer written.
  if (!plan.request.reference.empty())
    if (auto ref = image::parse_tagged(plan.request.reference); !ref) return std::unexpected(with_status(ref.error(), EINVAL));
  auto lease = svc.lease_rootfs(r.id);
  if (!lease) return std::unexpected(lease.error());
  plan.lease = std::move(*lease);
  return plan;
}

Result<std::string> run_commit(image::Store& images, CommitPlan plan) {
  StoreTempFile tar(images, ".tar");
  auto stats = image::write_layer_diff(plan.lease.upper, tar.path(), container::runtime_made_paths());
  if (!stats) return std::unexpected(stats.error());
  if (stats->entries > 0) plan.request.layer_tar = tar.path();
  return images.commit(plan.request);
}

// --- docker system df ----------------------------------------------------------------

struct DfInput {
  ordered_json containers;  // the all-containers list
  std::map<std::string, std::string> upper_of;  // container ID -> its upper dir
};

Result<ordered_json> disk_usage(image::Store& images, DfInput in, const std::string& api_version) {
  auto list = images.list();
  if (!list) return std::unexpected(list.error());
  std::map<std::string, int> users;
  for (const auto& c : in.containers) users[c.value("ImageID", "")]++;
  // Every layer dir once, with how many images use it: shared layers count once in
  // LayersSize and as SharedSize in each image using them.
  std::map<std::string, std::vector<std::string>> layers_of;
  std::map<std::string, int> layer_users;
  std::map<std::string, uint64_t> layer_size;
  for (const auto& s : *list) {
    auto dirs = images.layer_dirs(s.id);
    if (!dirs) continue;
    layers_of[s.id] = *dirs;
    for (const auto& d : *dirs) {
      layer_users[d]++;
      if (!layer_size.contains(d)) layer_size[d] = layer_dir_size(d);
    }
  }
  uint64_t layers_total = 0;
  for (const auto& [_, size] : layer_size) layers_total += size;
  std::map<std::string, uint64_t> image_size;
  ordered_json images_out = ordered_json::array();
  for (const auto& s : *list) {
    uint64_t shared = 0;
    for (const auto& d : layers_of[s.id])
      if (layer_users[d] > 1) shared += layer_size[d];
    image_size[s.id] = s.size;
    ordered_json j;
    j["Containers"] = users.contains(s.id) ? users[s.id] : 0;
    j["Created"] = s.created;
    j["Id"] = s.id;
    j["Labels"] = s.labels.empty() ? ordered_json(nullptr) : ordered_json(s.labels);
    j["ParentId"] = "";
    j["RepoDigests"] = s.repo_digests.empty() ? ordered_json(nullptr) : ordered_json(s.repo_digests);
    j["RepoTags"] = s.repo_tags.empty() ? ordered_json(nullptr) : ordered_json(s.repo_tags);
    j["SharedSize"] = shared;
    j["Size"] = s.size;
    if (api::compare_versions(api_version, "1.44") < 0) j["VirtualSize"] = s.size;
    images_out.push_back(std::move(j));
  }
  ordered_json containers_out = ordered_json::array();
  for (auto c : in.containers) {
    std::string id = c.value("Id", "");
    uint64_t rw = image::tree_size(in.upper_of[id]);
    std::string image_id = c.value("ImageID", "");
    // Docker's omitempty: no SizeRw for a container that changed nothing.
    if (rw > 0) c["SizeRw"] = rw;
    c["SizeRootFs"] = rw + (image_size.contains(image_id) ? image_size[image_id] : 0);
    containers_out.push_back(std::move(c));
  }
  ordered_json out;
  out["LayersSize"] = layers_total;
  out["Images"] = std::move(images_out);
  out["Containers"] = std::move(containers_out);
  out["Volumes"] = ordered_json::array();
  out["BuildCache"] = nullptr;  // Docker 20.10's nil list: no builder here
  out["BuilderSize"] = 0;
  return out;
}

}  // namespace

void add_changes_routes(api::Router& router, ContainerService& svc, boost::asio::thread_pool& pool) {
  router.add("GET", "/containers/{id}/changes", [&svc, &pool](Request& req, Responder& res) -> net::awaitable<void> {
    auto lease = svc.lease_rootfs(req.params["id"]);
    if (!lease) {
      co_await res.error(lease.error());
      co_return;
    }
    auto job = [held = std::move(*lease)] { return container::scan_changes(held.upper, held.lower); };
    auto op = api::run_blocking(pool, std::move(job));
    auto changes = co_await std::move(op);
    if (!changes) {
      Error e = with_status(changes.error(), EIO);
      co_await res.error(e);
      co_return;
    }
    // Docker's nil slice when nothing changed.
    json out = changes->empty() ? json(nullptr) : json::array();
    for (const auto& c : *changes) out.push_back(json{{"Path", c.path}, {"Kind", static_cast<int>(c.kind)}});
    co_await res.json(200, out);
  });

  router.add("POST", "/commit", [&svc, &pool](Request& req, Responder& res) -> net::awaitable<void> {
    auto plan = plan_commit(svc, req);
    if (!plan) {
      co_await res.error(plan.error());
      co_return;
    }
    // Docker pauses by default (API >= 1.13) so the layer is taken from a still tree.
    const bool pause = req.query_value("pause") ? req.query_bool("pause") : true;
    const std::string id = plan->lease.id;
    bool paused_here = false;
    if (pause) {
      auto e = svc.find(id);
      if (e && (*e)->record.state.running && !(*e)->record.state.paused && !(*e)->record.state.restarting) {
        if (auto p = svc.pause(id); !p) {
          co_await res.error(p.error());
          co_return;
        }
        paused_here = true;
      }
    }
    auto job = [&svc, plan = std::move(*plan)]() mutable {
      return run_commit(svc.images(), std::move(plan));
    };
    auto op = api::run_blocking(pool, std::move(job));
    auto image_id = co_await std::move(op);
    if (paused_here) {
      auto e = svc.find(id);
      if (e && (*e)->record.state.paused) (void)svc.unpause(id);
    }
    if (!image_id) {
      Error e = with_status(image_id.error(), EIO);
      co_await res.error(e);
      co_return;
    }
    if (auto e = svc.find(id)) {
      std::string repo = req.query_value("repo").value_or("");
      std::string tag = req.query_value("tag").value_or("");
      std::string ref = repo.empty() ? "" : repo + ":" + (tag.empty() ? "latest" : tag);
      svc.publish(**e, "commit",
                  {{"comment", req.query_value("comment").value_or("")}, {"imageID", *image_id}, {"imageRef", ref}});
    }
    ordered_json out;
    out["Id"] = *image_id;
    co_await res.json(201, out);
  });

  router.add("POST", "/containers/{id}/update", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    auto out = update_container(svc, req.params["id"], req.body);
    if (!out) {
      co_await res.error(out.error());
      co_return;
    }
    co_await res.json(200, *out);
  });

  router.add("GET", "/system/df", [&svc, &pool](Request& req, Responder& res) -> net::awaitable<void> {
    auto list = svc.list(true, 0, {});
    if (!list) {
      co_await res.error(list.error());
      co_return;
    }
    auto store = container::Store::open(svc.paths().root);
    if (!store) {
      co_await res.error(store.error());
      co_return;
    }
    DfInput in;
    in.containers = std::move(*list);
    for (const auto& c : in.containers) {
      std::string id = c.value("Id", "");
      in.upper_of[id] = store->dir_of(id) + "/rootfs/upper";
    }
    auto job = [&svc, in = std::move(in), version = req.api_version]() mutable {
      return disk_usage(svc.images(), std::move(in), version);
    };
    auto op = api::run_blocking(pool, std::move(job));
    auto df = co_await std::move(op);
    if (!df) {
      Error e = with_status(df.error(), EIO);
      co_await res.error(e);
      co_return;
    }
    co_await res.json(200, *df);
  });
}

}  // namespace stack::daemon
