// Relative-path resolution on canonical documents (compose-go paths/resolve.go):
// every file-system path a compose file may hold is made absolute against the
// directory it is relative to, so later stages and the engine never guess.
#pragma once

#include <string>
#include <string_view>

#include "compose/node.h"

namespace stack::compose {

// Lexical clean as Go's filepath.Clean: collapses "//", drops ".", resolves ".."
// against the preceding element; "" becomes ".".
std::string clean_path(std::string_view path);

// filepath.Join(dir, path): clean(dir + "/" + path), ignoring empty elements.
std::string join_path(std::string_view dir, std::string_view path);

// "~..." -> home_dir joined with the rest (compose-go ExpandUser, which does not
// treat "~user" specially); unchanged when home_dir is empty or there is no "~".
std::string expand_user(std::string_view path, std::string_view home_dir);

// Makes `path` absolute against base_dir after "~" expansion; absolute and empty
// paths are returned as they are (compose-go absPath).
std::string absolute_path(std::string_view path, std::string_view base_dir, std::string_view home_dir);

// A build context that is not a local directory: "*://*", "service:*", or a git
// or http reference as BuildKit recognizes it.
bool is_remote_context(std::string_view context);

// Makes relative paths absolute against base_dir in one canonical service node:
// build.context and build.additional_contexts (unless remote), build.ssh key files,
// env_file[].path, label_file[], bind volumes' source, extends.file (unless remote),
// develop.watch[].path (its first symlink component resolved, as compose-go does).
void resolve_service_paths(Node& service, const std::string& base_dir, const std::string& home_dir);

// resolve_service_paths for every service, plus top-level configs/secrets `file`,
// local volumes' bind `driver_opts.device`, and include path/project_directory/env_file.
void resolve_project_paths(Node& project, const std::string& base_dir, const std::string& home_dir);

}  // namespace stack::compose
