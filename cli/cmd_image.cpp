// `stack image ...`: flags as the docker CLI's, output as docker prints it. Each
// subcommand parses flags and calls one engine/image Store function; formatting helpers
// live in cli/image_format. Errors print as "Error: <Docker's message>" and exit 1
// (there is no daemon between us and the store, so no "Error response from daemon:").
#include <unistd.h>

#include <ctime>
#include <iostream>
#include <set>

#include "cli/commands.h"
#include "cli/image_format.h"
#include "cli/state_flags.h"
#include "engine/image/digest.h"
#include "engine/image/reference.h"
#include "engine/image/store.h"

namespace stack::cli {
namespace {

using image::ImageSummary;
using image::Store;
using nlohmann::ordered_json;

int report_error(const Error& e) {
  std::cerr << "Error: " << e.to_string() << "\n";
  return 1;
}

Result<Store> open_store(const StateFlags& state) { return Store::open(state.state_root()); }

std::vector<std::pair<std::string, std::string>> parse_filters(const std::vector<std::string>& raw) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : raw) {
    auto eq = f.find('=');
    if (eq == std::string::npos) {
      out.emplace_back(f, "");
    } else if (eq > 0 && f[eq - 1] == '!') {
      out.emplace_back(f.substr(0, eq), f.substr(eq + 1));  // "label!=x" -> ("label!", "x")
    } else {
      out.emplace_back(f.substr(0, eq), f.substr(eq + 1));
    }
  }
  return out;
}

struct LsOptions {
  bool quiet = false, no_trunc = false, digests = false, all = false;
  std::vector<std::string> filters;
  std::string format;
  std::string repository;  // `image ls [REPOSITORY[:TAG]]`: a reference filter, as docker treats it
};

int run_ls(const StateFlags& state, const LsOptions& o) {
  auto store = open_store(state);
  if (!store) return report_error(store.error());
  auto images = store->list();
  if (!images) return report_error(images.error());
  auto filters = parse_filters(o.filters);
  std::vector<std::string> references;
  std::optional<bool> dangling;
  std::vector<std::string> labels;
  for (const auto& [k, v] : filters) {
    if (k == "reference") references.push_back(v);
    else if (k == "dangling") {
      if (v != "true" && v != "false" && v != "1" && v != "0") return report_error(Error{"invalid filter 'dangling=" + v + "'"});
      dangling = v == "true" || v == "1";
    } else if (k == "label") labels.push_back(v);
    else if (k != "before" && k != "since") return report_error(Error{"invalid filter '" + k + "'"});
  }
  if (!o.repository.empty()) references.push_back(o.repository);

  struct Row {
    const ImageSummary* image;
    std::string repository, tag;
  };
  std::vector<Row> rows;
  for (const auto& img : *images) {
    if (dangling && *dangling != img.repo_tags.empty()) continue;
    bool label_ok = true;
    for (const auto& l : labels) {
      auto eq = l.find('=');
      auto it = img.labels.find(l.substr(0, eq));
      if (it == img.labels.end() || (eq != std::string::npos && it->second != l.substr(eq + 1))) label_ok = false;
    }
    if (!label_ok) continue;
    if (img.repo_tags.empty()) {
      if (references.empty()) rows.push_back({&img, "<none>", "<none>"});
      continue;
    }
    for (const auto& t : img.repo_tags) {
      auto ref = image::parse_reference(t);
      std::string repo = ref ? ref->familiar_name() : t, tag = ref ? ref->tag : "";
      bool match = references.empty();
      for (const auto& pat : references)
        if (path_match(pat, repo) || path_match(pat, repo + ":" + tag)) match = true;
      if (match) rows.push_back({&img, repo, tag});
    }
  }

  auto id_of = [&](const ImageSummary& img) { return o.no_trunc ? img.id : image::short_id(img.id); };
  auto object = [&](const Row& r) {
    ordered_json j;
    j["Containers"] = "N/A";
    j["CreatedAt"] = go_time_string(r.image->created);
    j["CreatedSince"] = human_duration(std::time(nullptr) - r.image->created) + " ago";
    j["Digest"] = "<none>";
    j["ID"] = id_of(*r.image);
    j["Repository"] = r.repository;
    j["SharedSize"] = "N/A";
    j["Size"] = human_size(static_cast<double>(r.image->size), 3);
    j["Tag"] = r.tag;
    j["UniqueSize"] = "N/A";
    j["VirtualSize"] = human_size(static_cast<double>(r.image->size), 3);
    return j;
  };

  if (o.quiet) {
    for (const auto& r : rows) std::cout << id_of(*r.image) << "\n";
    return 0;
  }
  if (o.format == "json" || o.format == "{{json .}}") {
    for (const auto& r : rows) std::cout << object(r).dump() << "\n";
    return 0;
  }
  if (!o.format.empty() && !o.format.starts_with("table")) {
    for (const auto& r : rows) std::cout << render_template(o.format, object(r)) << "\n";
    return 0;
  }
  static const std::map<std::string, std::string> kHeaders = {
      {"ID", "IMAGE ID"}, {"Repository", "REPOSITORY"}, {"Tag", "TAG"}, {"Digest", "DIGEST"}, {"CreatedSince", "CREATED"},
      {"CreatedAt", "CREATED AT"}, {"Size", "SIZE"}, {"VirtualSize", "VIRTUAL SIZE"}, {"Containers", "CONTAINERS"}};
  std::string tmpl = o.format.empty() ? (o.digests ? "{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
                                                   : "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}")
                                      : o.format.substr(5);
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header;
  for (const auto& f : template_fields(tmpl)) header.push_back(kHeaders.count(f) ? kHeaders.at(f) : f);
  table.push_back(header);
  for (const auto& r : rows) {
    std::string line = render_template(tmpl, object(r));
    std::vector<std::string> cells;
    size_t s = 0;
    for (size_t t; (t = line.find('\t', s)) != std::string::npos; s = t + 1) cells.push_back(line.substr(s, t - s));
    cells.push_back(line.substr(s));
    table.push_back(cells);
  }
  std::cout << tabwrite(table);
  return 0;
}

// The docker client reports a missing image by the name as typed.
int report_lookup_error(const Error& e, const std::string& name) {
  if (e.message.starts_with("No such image: ")) return report_error(Error{"No such image: " + name});
  return report_error(e);
}

int run_inspect(const StateFlags& state, const std::vector<std::string>& names, const std::string& format) {
  auto store = open_store(state);
  if (!store) return report_error(store.error());
  ordered_json all = ordered_json::array();
  std::vector<std::string> errors;
  for (const auto& n : names) {
    auto j = store->inspect(n);
    if (!j) {
      errors.push_back(j.error().message.starts_with("No such image: ") ? "No such image: " + n : j.error().to_string());
      continue;
    }
    all.push_back(*j);
  }
  if (format.empty()) {
    std::cout << all.dump(4) << "\n";
  } else {
    for (const auto& j : all) std::cout << render_template(format, j) << "\n";
  }
  for (const auto& e : errors) std::cerr << "Error: " << e << "\n";
  return errors.empty() ? 0 : 1;
}

int run_rm(const StateFlags& state, const std::vector<std::string>& names, bool force) {
  auto store = open_store(state);
  if (!store) return report_error(store.error());
  int rc = 0;
  for (const auto& n : names) {
    auto items = store->remove(n, force);
    if (!items) {
      rc = report_lookup_error(items.error(), n);
      continue;
    }
    for (const auto& it : *items) {
      if (!it.untagged.empty()) std::cout << "Untagged: " << it.untagged << "\n";
      if (!it.deleted.empty()) std::cout << "Deleted: " << it.deleted << "\n";
    }
  }
  return rc;
}

int run_prune(const StateFlags& state, bool all, bool force, const std::vector<std::string>& filters) {
  if (!force) {
    std::cout << (all ? "WARNING! This will remove all images without at least one container associated to them.\n"
                      : "WARNING! This will remove all dangling images.\n")
              << "Are you sure you want to continue? [y/N] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y") return 0;
  }
  auto store = open_store(state);
  if (!store) return report_error(store.error());
  image::PruneOptions o;
  o.all = all;
  o.filters = parse_filters(filters);
  auto report = store->prune(o);
  if (!report) return report_error(report.error());
  if (!report->items.empty()) {
    std::cout << "Deleted Images:\n";
    for (const auto& it : report->items) {
      if (!it.untagged.empty()) std::cout << "untagged: " << it.untagged << "\n";
      if (!it.deleted.empty()) std::cout << "deleted: " << it.deleted << "\n";
    }
    std::cout << "\n";
  }
  std::cout << "Total reclaimed space: " << human_size(static_cast<double>(report->reclaimed), 4) << "\n";
  return 0;
}

int run_history(const StateFlags& state, const std::string& name, bool human, bool no_trunc, bool quiet,
                const std::string& format) {
  auto store = open_store(state);
  if (!store) return report_error(store.error());
  auto rows = store->history(name);
  if (!rows) return report_error(rows.error());
  auto id_of = [&](const std::string& id) { return id == "<missing>" || no_trunc ? id : image::short_id(id); };
  if (quiet) {
    for (const auto& r : *rows) std::cout << id_of(r.id) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> table{{"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"}};
  for (const auto& r : *rows) {
    std::string by = r.created_by;
    for (auto& c : by)
      if (c == '\t') c = ' ';
    // Docker truncates CREATED BY to 45 characters with an ellipsis.
    if (!no_trunc && by.size() > 45) by = by.substr(0, 44) + "…";
    std::string created = human ? human_duration(std::time(nullptr) - r.created) + " ago" : rfc3339_local(r.created);
    std::string size = human ? human_size(static_cast<double>(r.size), 3) : std::to_string(r.size);
    ordered_json j = {{"ID", id_of(r.id)}, {"CreatedSince", created}, {"CreatedAt", rfc3339_local(r.created)},
                      {"CreatedBy", by}, {"Size", size}, {"Comment", r.comment}};
    if (!format.empty()) {
      std::cout << render_template(format, j) << "\n";
      continue;
    }
    table.push_back({id_of(r.id), created, by, size, r.comment});
  }
  if (format.empty()) std::cout << tabwrite(table);
  return 0;
}

}  // namespace

Command add_image_command(CLI::App& app, const StateFlags& state) {
  auto* cmd = app.add_subcommand("image", "Manage images");
  cmd->require_subcommand(1);
  std::vector<Command> subs;

  {
    auto* c = cmd->add_subcommand("import", "Import the contents from a tarball to create a filesystem image");
    auto o = std::make_shared<image::ImportOptions>();
    c->add_option("-c,--change", o->changes, "Apply Dockerfile instruction to the created image")->allow_extra_args(false);
    c->add_option("-m,--message", o->message, "Set commit message for imported image");
    c->add_option("--platform", o->platform, "Set platform if server is multi-platform capable");
    c->add_option("file", o->source, "file|URL|-")->required();
    c->add_option("reference", o->reference, "REPOSITORY[:TAG]");
    subs.push_back({c, [&state, o] {
                      auto store = open_store(state);
                      if (!store) return report_error(store.error());
                      auto id = store->import_rootfs(*o);
                      if (!id) return report_error(id.error());
                      std::cout << *id << "\n";
                      return 0;
                    }});
  }
  {
    auto* c = cmd->add_subcommand("load", "Load an image from a tar archive or STDIN");
    auto input = std::make_shared<std::string>("-");
    c->add_option("-i,--input", *input, "Read from tar archive file, instead of STDIN");
    c->add_flag("-q,--quiet")->description("Suppress the load output");
    subs.push_back({c, [&state, input] {
                      if (*input == "-" && ::isatty(0)) {
                        std::cerr << "Error: requested load from stdin, but stdin is empty\n";
                        return 1;
                      }
                      auto store = open_store(state);
                      if (!store) return report_error(store.error());
                      auto report = store->load(*input);
                      if (!report) return report_error(report.error());
                      for (const auto& l : report->lines) std::cout << l << "\n";
                      return 0;
                    }});
  }
  {
    auto* c = cmd->add_subcommand("save", "Save one or more images to a tar archive (streamed to STDOUT by default)");
    auto output = std::make_shared<std::string>("-");
    auto names = std::make_shared<std::vector<std::string>>();
    c->add_option("-o,--output", *output, "Write to a file, instead of STDOUT");
    c->add_option("image", *names, "IMAGE")->required();
    subs.push_back({c, [&state, output, names] {
                      if (*output == "-" && ::isatty(1)) {
                        std::cerr << "Error: cowardly refusing to save to a terminal. Use the -o flag or redirect\n";
                        return 1;
                      }
                      auto store = open_store(state);
                      if (!store) return report_error(store.error());
                      if (auto r = store->save(*names, *output); !r) return report_error(r.error());
                      return 0;
                    }});
  }
  {
    auto* c = cmd->add_subcommand("ls", "List images");
    c->alias("list");
    auto o = std::make_shared<LsOptions>();
    c->add_flag("-a,--all", o->all, "Show all images (default hides intermediate images)");
    c->add_flag("-q,--quiet", o->quiet, "Only show image IDs");
    c->add_flag("--no-trunc", o->no_trunc, "Don't truncate output");
    c->add_flag("--digests", o->digests, "Show digests");
    c->add_option("-f,--filter", o->filters, "Filter output based on conditions provided")->allow_extra_args(false);
    c->add_option("--format", o->format, "Pretty-print images using a Go template, or json");
    c->add_option("repository", o->repository, "REPOSITORY[:TAG]");
    subs.push_back({c, [&state, o] { return run_ls(state, *o); }});
  }
  {
    auto* c = cmd->add_subcommand("inspect", "Display detailed information on one or more images");
    auto names = std::make_shared<std::vector<std::string>>();
    auto format = std::make_shared<std::string>();
    c->add_option("-f,--format", *format, "Format the output using the given Go template");
    c->add_option("image", *names, "IMAGE")->required();
    subs.push_back({c, [&state, names, format] { return run_inspect(state, *names, *format); }});
  }
  {
    auto* c = cmd->add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
    auto source = std::make_shared<std::string>(), target = std::make_shared<std::string>();
    c->add_option("source", *source, "SOURCE_IMAGE[:TAG]")->required();
    c->add_option("target", *target, "TARGET_IMAGE[:TAG]")->required();
    subs.push_back({c, [&state, source, target] {
                      auto store = open_store(state);
                      if (!store) return report_error(store.error());
                      if (auto r = store->tag(*source, *target); !r) return report_error(r.error());
                      return 0;
                    }});
  }
  {
    auto* c = cmd->add_subcommand("rm", "Remove one or more images");
    c->alias("remove");
    auto names = std::make_shared<std::vector<std::string>>();
    auto force = std::make_shared<bool>(false);
    c->add_flag("-f,--force", *force, "Force removal of the image");
    c->add_flag("--no-prune")->description("Do not delete untagged parents");
    c->add_option("image", *names, "IMAGE")->required();
    subs.push_back({c, [&state, names, force] { return run_rm(state, *names, *force); }});
  }
  {
    auto* c = cmd->add_subcommand("prune", "Remove unused images");
    auto all = std::make_shared<bool>(false), force = std::make_shared<bool>(false);
    auto filters = std::make_shared<std::vector<std::string>>();
    c->add_flag("-a,--all", *all, "Remove all unused images, not just dangling ones");
    c->add_flag("-f,--force", *force, "Do not prompt for confirmation");
    c->add_option("--filter", *filters, "Provide filter values (e.g. 'until=<timestamp>')")->allow_extra_args(false);
    subs.push_back({c, [&state, all, force, filters] { return run_prune(state, *all, *force, *filters); }});
  }
  {
    auto* c = cmd->add_subcommand("history", "Show the history of an image");
    auto name = std::make_shared<std::string>(), format = std::make_shared<std::string>();
    auto human = std::make_shared<bool>(true), no_trunc = std::make_shared<bool>(false), quiet = std::make_shared<bool>(false);
    c->add_option("-H,--human", *human, "Print sizes and dates in human readable format")->default_str("true");
    c->add_flag("--no-trunc", *no_trunc, "Don't truncate output");
    c->add_flag("-q,--quiet", *quiet, "Only show image IDs");
    c->add_option("--format", *format, "Pretty-print images using a Go template");
    c->add_option("image", *name, "IMAGE")->required();
    subs.push_back({c, [&state, name, human, no_trunc, quiet, format] {
                      return run_history(state, *name, *human, *no_trunc, *quiet, *format);
                    }});
  }

  return {cmd, [subs] {
            for (const auto& s : subs)
              if (s.app->parsed()) return s.run();
            return 1;
          }};
}

}  // namespace stack::cli
