#include "compose/loader.h"

#include <unistd.h>

#include <filesystem>

#include "common/files.h"
#include "common/strings.h"
#include "compose/decode.h"
#include "compose/discovery.h"
#include "compose/dotenv.h"
#include "compose/environment.h"
#include "compose/extends.h"
#include "compose/include.h"
#include "compose/interpolate.h"
#include "compose/merge.h"
#include "compose/normalize.h"
#include "compose/paths.h"
#include "compose/profiles.h"
#include "compose/project_name.h"
#include "compose/transform.h"
#include "compose/validate.h"
#include "compose/yaml_load.h"

extern char** environ;

namespace stack::compose {
namespace fs = std::filesystem;

namespace {

std::string absolute_from(const std::string& base, const std::string& path) {
  if (path.empty()) return base;
  fs::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (fs::path(base) / p).lexically_normal().string();
}

std::string home_dir(const std::map<std::string, std::string>& env) {
  auto it = env.find("HOME");
  return it == env.end() ? std::string("/root") : it->second;
}

// What one load works with: the files, where they live, and the variables interpolation sees.
struct Context {
  std::vector<std::string> files;         // absolute, or "-"
  std::vector<std::string> display_names; // as the user named them, for messages
  std::string project_dir;
  std::map<std::string, std::string> variables;  // shell environment over env files
  std::string home;
};

Lookup lookup_in(const std::map<std::string, std::string>& vars) {
  return [&vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Shell environment first; --env-file files (or <project dir>/.env) fill what it does not set.
Result<std::map<std::string, std::string>> project_variables(const LoadOptions& options,
                                                             const std::string& project_dir) {
  std::vector<std::string> env_files;
  if (!options.env_files.empty()) {
    for (const auto& f : options.env_files) env_files.push_back(absolute_from(options.working_dir, f));
  } else if (path_exists(project_dir + "/.env") && !is_directory(project_dir + "/.env")) {
    env_files.push_back(project_dir + "/.env");
  }
  std::map<std::string, std::string> from_files;
  auto lookup = [&](std::string_view name) -> std::optional<std::string> {
    auto key = std::string(name);
    if (auto it = options.environment.find(key); it != options.environment.end()) return it->second;
    if (auto it = from_files.find(key); it != from_files.end()) return it->second;
    return std::nullopt;
  };
  for (const auto& file : env_files) {
    auto vars = read_dotenv_file(file, lookup);
    if (!vars) return std::unexpected(vars.error());
    for (auto& [k, v] : *vars) from_files[k] = v;
  }
  std::map<std::string, std::string> out = from_files;
  for (const auto& [k, v] : options.environment) out[k] = v;
  return out;
}

Result<Context> make_context(const LoadOptions& options) {
  Context ctx;
  ctx.home = home_dir(options.environment);
  std::vector<std::string> files = options.files;
  if (files.empty()) files = files_from_environment(options.environment);
  if (files.empty() && options.project_directory) {
    // COMPOSE_FILE may also come from the project directory's .env.
    auto vars = project_variables(options, absolute_from(options.working_dir, *options.project_directory));
    if (vars) files = files_from_environment(*vars);
  }
  std::string search_dir = options.project_directory ? absolute_from(options.working_dir, *options.project_directory)
                                                     : options.working_dir;
  if (files.empty()) {
    auto found = discover_files(search_dir);
    if (!found) return std::unexpected(found.error());
    files = *found;
  }
  for (const auto& f : files) {
    if (f == "-") {
      ctx.files.push_back("-");
      ctx.display_names.push_back("-");
      continue;
    }
    std::string abs = absolute_from(options.working_dir, f);
    if (!path_exists(abs)) return fail("open " + abs, ENOENT);
    ctx.files.push_back(abs);
    ctx.display_names.push_back(f);
  }
  if (options.project_directory) {
    ctx.project_dir = absolute_from(options.working_dir, *options.project_directory);
  } else if (ctx.files.front() == "-") {
    ctx.project_dir = options.working_dir;
  } else {
    ctx.project_dir = fs::path(ctx.files.front()).parent_path().string();
  }
  auto vars = project_variables(options, ctx.project_dir);
  if (!vars) return std::unexpected(vars.error());
  ctx.variables = std::move(*vars);
  return ctx;
}

// One file: parse, interpolate, canonical form, paths made absolute against `base_dir`.
Result<Node> load_file(const std::string& path, const std::string& display, const LoadOptions& options,
                       const Context& ctx, const std::string& base_dir) {
  std::string text;
  if (path == "-") {
    if (!options.read_stdin) return fail("reading compose file from stdin is not available here");
    auto in = options.read_stdin();
    if (!in) return std::unexpected(in.error());
    text = std::move(*in);
  } else {
    auto content = read_file(path);
    if (!content) return std::unexpected(content.error());
    text = std::move(*content);
  }
  auto name = std::make_shared<const std::string>(display);
  auto docs = parse_yaml_documents(text, name);
  if (!docs) return std::unexpected(docs.error());
  if (docs->empty()) return fail_at(Mark{name, 0, 0}, "", "empty compose file");
  Node merged;
  for (size_t i = 0; i < docs->size(); ++i) {
    Node& doc = (*docs)[i];
    if (doc.is_null()) return fail_at(doc.mark(), "", "empty compose file");
    if (!doc.is_mapping()) return fail_at(doc.mark(), "", "top-level object must be a mapping");
    if (options.interpolate) {
      if (auto r = interpolate_node(doc, lookup_in(ctx.variables)); !r) return std::unexpected(r.error());
    }
    // Without interpolation, "${PORT}:80" cannot be parsed yet: compose keeps such strings as written.
    TransformOptions transform_options;
    transform_options.keep_unparsable = !options.interpolate;
    if (auto r = canonicalize_project(doc, transform_options); !r) return std::unexpected(r.error());
    if (options.resolve_paths) resolve_project_paths(doc, base_dir, ctx.home);
    if (i == 0) {
      merged = std::move(doc);
    } else {
      auto m = merge_projects(std::move(merged), doc);
      if (!m) return std::unexpected(m.error());
      merged = std::move(*m);
    }
  }
  return merged;
}

Result<Node> load_with_context(const LoadOptions& options, const Context& ctx);

Result<Node> load_included(const LoadOptions& parent, const IncludeLoadRequest& req) {
  LoadOptions sub = parent;
  sub.files = req.files;
  sub.project_directory = req.project_directory;
  sub.env_files = req.env_files;
  sub.project_name.reset();
  auto ctx = make_context(sub);
  if (!ctx) return std::unexpected(ctx.error());
  return load_with_context(sub, *ctx);
}

Result<Node> load_with_context(const LoadOptions& options, const Context& ctx) {
  Node project;
  for (size_t i = 0; i < ctx.files.size(); ++i) {
    auto doc = load_file(ctx.files[i], ctx.display_names[i], options, ctx, ctx.project_dir);
    if (!doc) return doc;
    if (doc->contains("include")) {
      IncludeLoader include_loader = [&](const IncludeLoadRequest& req) { return load_included(options, req); };
      if (auto r = apply_include(*doc, ctx.project_dir, include_loader, ctx.files[i]); !r) return std::unexpected(r.error());
    }
    if (i == 0) {
      project = std::move(*doc);
    } else {
      auto merged = merge_projects(std::move(project), *doc);
      if (!merged) return merged;
      project = std::move(*merged);
    }
  }
  // compose-go keeps one item per key in ports, volumes, secrets, ... even within a single file.
  if (auto r = enforce_unique_items(project); !r) return std::unexpected(r.error());
  // extends may name other files: those are loaded like -f files but resolve paths against their own folder.
  std::map<std::string, Node> cache;
  DocumentLoader loader = [&](const std::string& path) -> Result<Node> {
    if (auto it = cache.find(path); it != cache.end()) return it->second;
    std::string display = fs::path(path).lexically_relative(options.working_dir).string();
    if (display.empty() || display.starts_with("..")) display = path;
    auto doc = load_file(path, display, options, ctx, fs::path(path).parent_path().string());
    if (!doc) return doc;
    cache.emplace(path, *doc);
    return doc;
  };
  std::string first = ctx.files.front() == "-" ? ctx.project_dir + "/-" : ctx.files.front();
  if (auto r = apply_extends(project, first, loader, ctx.home); !r) return std::unexpected(r.error());
  strip_merge_tags(project);
  return project;
}

std::vector<std::string> split_profiles(const std::string& s) {
  std::vector<std::string> out;
  for (auto& p : split(s, ',')) {
    auto t = std::string(trim(p));
    if (!t.empty()) out.push_back(t);
  }
  return out;
}

// -p, then COMPOSE_PROJECT_NAME, then the top-level name, then the project folder's name.
Result<std::string> project_name_for(const LoadOptions& options, const Context& ctx, const Node& doc) {
  if (options.project_name) return validate_project_name(*options.project_name);
  if (auto it = ctx.variables.find("COMPOSE_PROJECT_NAME"); it != ctx.variables.end() && !it->second.empty()) {
    return validate_project_name(it->second);
  }
  // The top-level name is normalized like a folder name (compose-go does the same), not rejected.
  if (const Node* name = doc.find("name"); name && name->is_scalar()) {
    std::string normalized = normalize_project_name(name->value());
    if (!normalized.empty()) return normalized;
  }
  std::string base = fs::path(ctx.project_dir).filename().string();
  std::string normalized = normalize_project_name(base);
  if (normalized.empty()) {
    return fail("project name must not be empty: the folder name \"" + base +
                "\" has no usable characters; use -p or a top-level name");
  }
  return normalized;
}

struct Loaded {
  Context ctx;
  Node doc;
  std::string name;
  Node disabled;
};

Result<Loaded> load_all(const LoadOptions& options) {
  auto ctx = make_context(options);
  if (!ctx) return std::unexpected(ctx.error());
  auto doc = load_with_context(options, *ctx);
  if (!doc) return std::unexpected(doc.error());
  auto name = project_name_for(options, *ctx, *doc);
  if (!name) return std::unexpected(name.error());
  doc->set("name", Node::string(*name));

  ProfileSelection selection;
  selection.profiles = options.profiles;
  if (selection.profiles.empty()) {
    if (auto it = ctx->variables.find("COMPOSE_PROFILES"); it != ctx->variables.end()) {
      selection.profiles = split_profiles(it->second);
    }
  }
  selection.services = options.services;
  selection.check_dependencies = options.consistency;
  auto disabled = apply_profiles(*doc, selection);
  if (!disabled) return std::unexpected(disabled.error());
  return Loaded{std::move(*ctx), std::move(*doc), std::move(*name), std::move(*disabled)};
}

}  // namespace

LoadOptions options_from_process() {
  LoadOptions opts;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    opts.environment.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  std::error_code ec;
  opts.working_dir = fs::current_path(ec).string();
  opts.read_stdin = [] { return read_all_fd(STDIN_FILENO, "stdin"); };
  return opts;
}

Result<Node> load_document(const LoadOptions& options) {
  auto loaded = load_all(options);
  if (!loaded) return std::unexpected(loaded.error());
  return std::move(loaded->doc);
}

Result<Project> load_project(const LoadOptions& options) {
  auto loaded = load_all(options);
  if (!loaded) return std::unexpected(loaded.error());
  auto project = decode_project(loaded->doc, loaded->name);
  if (!project) return project;
  project->working_dir = loaded->ctx.project_dir;
  for (const auto& f : loaded->ctx.files) project->config_files.push_back(f);
  if (auto r = decode_disabled_services(*project, loaded->disabled); !r) return std::unexpected(r.error());
  if (options.resolve_environment) {
    if (auto r = resolve_environment(*project, lookup_in(loaded->ctx.variables)); !r) return std::unexpected(r.error());
  }
  for (const auto& [k, v] : loaded->ctx.variables) project->environment[k] = v;
  if (options.normalize) {
    if (auto r = normalize_project(*project); !r) return std::unexpected(r.error());
  }
  if (options.consistency) {
    if (auto r = validate_project(*project); !r) return std::unexpected(r.error());
  }
  return project;
}

}  // namespace stack::compose
