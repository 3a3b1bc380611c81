// The `merge` stage: several compose files (-f a.yml -f b.yml) become one
// document by the compose-spec merge rules, with compose-go v2's per-path
// exceptions (override/merge.go) and its "unique items" pass
// (override/uncity.go). Both inputs are in the canonical long form of
// compose/CANONICAL.md.
//
// In short: mappings are merged key by key, scalars replaced, sequences
// appended; `command`, `entrypoint`, `healthcheck.test` and each `ulimits`
// entry are replaced; `environment`, `labels` and the other key=value maps let
// an override null win; `extra_hosts` adds addresses it does not have yet;
// `logging` with a different driver is replaced whole; sequences compose-go
// treats as sets (ports, volumes, secrets, configs, devices, env_file, expose,
// dns, cap_add, ...) keep one item per key, a later item replacing an earlier
// one in the earlier one's place. `!reset` on an override value removes the
// key, `!override` replaces the value without merging.
//
// The result keeps base keys in place and appends new ones; a value that wins
// keeps its own Mark (override values point into the override file).
#pragma once

#include <string_view>

#include "common/error.h"
#include "compose/node.h"

namespace stack::compose {

// `override` onto `base`, whole documents (services, networks, volumes,
// secrets, configs, include, name, x-*). Merge tags of `override` are consumed;
// any left in `base` are resolved first (as compose-go does for every file), so
// the result carries none. Unique items are enforced on the result.
Result<Node> merge_projects(Node base, const Node& override);

// One service onto another (also used by `extends`, which then applies its own
// not-inherited rules). `path` names the service for errors ("services.web");
// the per-key rules are those of `services.*`. Unique items are enforced on the result.
Result<Node> merge_services(Node base, const Node& override, std::string_view path);

// Removes merge tags left after all merging: a `!reset` value is dropped with
// its key (or its sequence item; the node itself becomes null when it is the
// root), an `!override` value keeps its value. Other tags are left alone.
void strip_merge_tags(Node& node);

// compose-go's EnforceUnicity over a whole document: in the sequences it treats
// as sets (services.*.ports by host_ip:published:target/protocol, volumes and
// devices by target, secrets by target or /run/secrets/<source>, configs by
// target or /<source>, env_file by path, cap_add, dns, profiles, tmpfs, ... by
// the text before '=') a later item replaces an earlier one with the same key.
// compose-go runs it after every file, the first one included, so the loader
// should call it when there is a single file (merge_projects already does).
Result<void> enforce_unique_items(Node& project);

// The same for one service; `path` names it for errors ("services.web").
Result<void> enforce_unique_service_items(Node& service, std::string_view path);

}  // namespace stack::compose
