#include "compose/merge.h"

#include <algorithm>
#include <utility>

#include "compose/merge_path.h"

namespace stack::compose {

using merge_detail::DocPath;

namespace {

// How the value at a path is merged; compose-go's mergeSpecials table.
enum class Rule {
  Deep,          // mappings key by key, sequences appended, scalars replaced
  Replace,       // the override value wins whole
  KeyValue,      // KEY -> value maps: per key, the override value wins (even null)
  NamedMapping,  // name -> options maps that may still be written as a list of names
  DependsOn,     // as NamedMapping; a listed name gets compose's default condition
  Build,         // a string is {context: S}
  ExtraHosts,    // host -> addresses: addresses not there yet are appended
  Logging,       // a different driver replaces the whole block
  IpamConfig,    // networks.*.ipam.config: merged by subnet
};

struct PathRule {
  std::string_view pattern;
  Rule rule;
};

constexpr PathRule kRules[] = {
    {"networks.*.ipam.config", Rule::IpamConfig},
    {"networks.*.labels", Rule::KeyValue},
    {"volumes.*.labels", Rule::KeyValue},
    {"services.*.annotations", Rule::KeyValue},
    {"services.*.build", Rule::Build},
    {"services.*.build.args", Rule::KeyValue},
    {"services.*.build.additional_contexts", Rule::KeyValue},
    {"services.*.build.extra_hosts", Rule::ExtraHosts},
    {"services.*.build.labels", Rule::KeyValue},
    {"services.*.command", Rule::Replace},
    {"services.*.depends_on", Rule::DependsOn},
    {"services.*.deploy.labels", Rule::KeyValue},
    {"services.*.entrypoint", Rule::Replace},
    {"services.*.environment", Rule::KeyValue},
    {"services.*.extra_hosts", Rule::ExtraHosts},
    {"services.*.healthcheck.test", Rule::Replace},
    {"services.*.labels", Rule::KeyValue},
    {"services.*.logging", Rule::Logging},
    {"services.*.models", Rule::NamedMapping},
    {"services.*.networks", Rule::NamedMapping},
    {"services.*.sysctls", Rule::KeyValue},
    {"services.*.ulimits.*", Rule::Replace},
};

Rule rule_at(const DocPath& at) {
  for (const auto& r : kRules)
    if (at.matches(r.pattern)) return r.rule;
  return Rule::Deep;
}

bool is_reset(const Node& n) { return n.tag() == "!reset"; }
bool is_override(const Node& n) { return n.tag() == "!override"; }

Node without_tags(const Node& n) {
  Node copy = n;
  strip_merge_tags(copy);
  return copy;
}

std::unexpected<Error> cannot_override(const Node& base, const Node& over, const DocPath& at) {
  return fail_at(over.mark(), at.text, "cannot override " + base.kind_name() + " with " + over.kind_name());
}

std::string_view text_of(const Node* n) {
  return n && n->is_scalar() ? std::string_view(n->value()) : std::string_view();
}

class Merger {
 public:
  Result<Node> merge(Node base, const Node& over, const DocPath& at) {
    if (is_reset(over)) return Node::null(over.mark());
    if (is_override(over)) return without_tags(over);
    switch (rule_at(at)) {
      case Rule::Replace: return without_tags(over);
      case Rule::KeyValue: return merge_key_values(std::move(base), over, at);
      case Rule::NamedMapping: return merge_named(std::move(base), over, at, false);
      case Rule::DependsOn: return merge_named(std::move(base), over, at, true);
      case Rule::Build: return merge_build(std::move(base), over, at);
      case Rule::ExtraHosts: return merge_extra_hosts(std::move(base), over, at);
      case Rule::Logging: return merge_logging(std::move(base), over, at);
      case Rule::IpamConfig: return merge_ipam_config(std::move(base), over, at);
      case Rule::Deep: break;
    }
    return merge_deep(std::move(base), over, at);
  }

 private:
  Result<Node> merge_deep(Node base, const Node& over, const DocPath& at) {
    if (over.is_null()) return base;
    if (base.is_mapping()) {
      if (!over.is_mapping()) return cannot_override(base, over, at);
      auto done = merge_entries(base, over, at, false);
      if (!done) return std::unexpected(done.error());
      return base;
    }
    if (base.is_sequence()) {
      if (!over.is_sequence()) return cannot_override(base, over, at);
      append_items(base, over);
      return base;
    }
    return without_tags(over);
  }

  // Entry by entry; `replace_values` is the key=value rule where the override
  // value wins whole, null included (compose-go turns such maps into K=V lists).
  Result<void> merge_entries(Node& base, const Node& over, const DocPath& at, bool replace_values) {
    for (const Entry& e : over.entries()) {
      if (is_reset(e.value)) {
        base.erase(e.key);
        continue;
      }
      Entry* mine = base.find_entry(e.key);
      if (!mine) {
        base.entries().push_back(Entry{e.key, e.key_mark, without_tags(e.value)});
        continue;
      }
      if (replace_values || is_override(e.value)) {
        mine->key_mark = e.key_mark;
        mine->value = without_tags(e.value);
        continue;
      }
      auto merged = merge(std::move(mine->value), e.value, at.key(e.key));
      if (!merged) return std::unexpected(merged.error());
      mine->value = std::move(*merged);
    }
    return {};
  }

  static void append_items(Node& base, const Node& over) {
    for (const Node& item : over.items())
      if (!is_reset(item)) base.push_back(without_tags(item));
  }

  Result<Node> merge_key_values(Node base, const Node& over, const DocPath& at) {
    if (over.is_null()) return base;
    if (base.is_null()) return without_tags(over);
    // Both still lists (not canonicalized): appended; unique items keeps the last per key.
    if (base.is_sequence() && over.is_sequence()) {
      append_items(base, over);
      return base;
    }
    auto mine = as_key_values(std::move(base), at);
    if (!mine) return mine;
    auto theirs = as_key_values(over, at);
    if (!theirs) return theirs;
    if (!mine->is_mapping() || !theirs->is_mapping()) return cannot_override(*mine, over, at);
    auto done = merge_entries(*mine, *theirs, at, true);
    if (!done) return std::unexpected(done.error());
    return mine;
  }

  // A ["K=V", "K"] list as the mapping {K: V, K: null}.
  static Result<Node> as_key_values(Node n, const DocPath& at) {
    if (!n.is_sequence()) return n;
    Node out = Node::mapping(n.mark());
    out.set_tag(n.tag());
    for (size_t i = 0; i < n.items().size(); ++i) {
      const Node& item = n.items()[i];
      if (!item.is_scalar())
        return fail_at(item.mark(), at.index(i).text, "expected a KEY=VALUE string, got " + item.kind_name());
      const std::string& text = item.value();
      size_t eq = text.find('=');
      Node value = eq == std::string::npos ? Node::null(item.mark()) : Node::string(text.substr(eq + 1), item.mark());
      value.set_tag(item.tag());
      out.set(text.substr(0, eq), std::move(value), item.mark());
    }
    return out;
  }

  Result<Node> merge_named(Node base, const Node& over, const DocPath& at, bool depends_on) {
    if (over.is_null()) return base;
    if (base.is_null()) return without_tags(over);
    auto mine = as_named(std::move(base), at, depends_on);
    if (!mine) return mine;
    auto theirs = as_named(over, at, depends_on);
    if (!theirs) return theirs;
    return merge_deep(std::move(*mine), *theirs, at);
  }

  // A list of names as name -> null, or for depends_on name -> the defaults
  // compose-go fills in ({condition: service_started, required: true}).
  static Result<Node> as_named(Node n, const DocPath& at, bool depends_on) {
    if (!n.is_sequence()) return n;
    Node out = Node::mapping(n.mark());
    out.set_tag(n.tag());
    for (size_t i = 0; i < n.items().size(); ++i) {
      const Node& item = n.items()[i];
      if (!item.is_scalar())
        return fail_at(item.mark(), at.index(i).text, "expected a name, got " + item.kind_name());
      Node value = Node::null(item.mark());
      if (depends_on) {
        value = Node::mapping(item.mark());
        value.set("condition", Node::string("service_started", item.mark()), item.mark());
        value.set("required", Node::scalar("true", item.mark()), item.mark());
      }
      out.set(item.value(), std::move(value), item.mark());
    }
    return out;
  }

  Result<Node> merge_build(Node base, const Node& over, const DocPath& at) {
    auto as_build = [](Node n) {
      if (!n.is_scalar()) return n;
      Node out = Node::mapping(n.mark());
      out.set("context", std::move(n), out.mark());
      return out;
    };
    if (over.is_null()) return base;
    return merge_deep(as_build(std::move(base)), as_build(over), at);
  }

  Result<Node> merge_extra_hosts(Node base, const Node& over, const DocPath& at) {
    if (over.is_null()) return base;
    if (base.is_null()) return without_tags(over);
    if (!base.is_mapping()) return fail_at(base.mark(), at.text, "expected a mapping, got " + base.kind_name());
    if (!over.is_mapping()) return cannot_override(base, over, at);
    for (const Entry& e : over.entries()) {
      if (is_reset(e.value)) {
        base.erase(e.key);
        continue;
      }
      Entry* mine = base.find_entry(e.key);
      if (!mine) {
        base.entries().push_back(Entry{e.key, e.key_mark, without_tags(e.value)});
        continue;
      }
      if (is_override(e.value)) {
        mine->value = without_tags(e.value);
        continue;
      }
      Node addresses = as_list(std::move(mine->value));
      const std::vector<Node> known = addresses.items();
      const Node added = as_list(e.value);
      for (const Node& ip : added.items()) {
        bool seen = std::any_of(known.begin(), known.end(), [&](const Node& k) { return k.value() == ip.value(); });
        if (!seen && !is_reset(ip)) addresses.push_back(without_tags(ip));
      }
      mine->value = std::move(addresses);
    }
    return base;
  }

  // Canonical extra_hosts values are lists; a lone scalar is tolerated as one item.
  static Node as_list(Node n) {
    if (n.is_sequence()) return n;
    Node out = Node::sequence(n.mark());
    if (!n.is_null()) out.push_back(std::move(n));
    return out;
  }

  // Driver options only make sense for their driver: compose-go merges the
  // blocks when both name the same driver (or either names none), else the
  // override block replaces the base one.
  Result<Node> merge_logging(Node base, const Node& over, const DocPath& at) {
    if (base.is_mapping() && over.is_mapping()) {
      const Node* mine = base.find("driver");
      const Node* theirs = over.find("driver");
      if (mine && theirs && text_of(mine) != text_of(theirs)) return without_tags(over);
    }
    return merge_deep(std::move(base), over, at);
  }

  // compose-go's mergeIPAMConfig, step for step (with value semantics): each
  // base config is merged with the override configs of its subnet, an override
  // config of another subnet is added once, and a base config that no override
  // config shares a subnet with is dropped when there are override configs.
  Result<Node> merge_ipam_config(Node base, const Node& over, const DocPath& at) {
    if (over.is_null()) return base;
    if (!base.is_sequence()) return fail_at(base.mark(), at.text, "expected a sequence, got " + base.kind_name());
    if (!over.is_sequence()) return cannot_override(base, over, at);
    auto subnet = [](const Node& n) { return std::string(text_of(n.is_mapping() ? n.find("subnet") : nullptr)); };
    Node result = Node::sequence(base.mark());
    auto index_of = [&](const std::string& s) -> std::ptrdiff_t {
      auto& items = result.items();
      auto it = std::find_if(items.begin(), items.end(), [&](const Node& n) { return subnet(n) == s; });
      return it == items.end() ? -1 : it - items.begin();
    };
    for (size_t i = 0; i < base.items().size(); ++i) {
      Node right = std::move(base.items()[i]);
      for (const Node& left : over.items()) {
        if (is_reset(left)) continue;
        if (subnet(left) != subnet(right) && index_of(subnet(left)) < 0) {
          result.push_back(without_tags(left));
          continue;
        }
        auto merged = merge_deep(std::move(right), left, at.index(i));
        if (!merged) return merged;
        right = std::move(*merged);
        std::ptrdiff_t existing = index_of(subnet(right));
        if (existing >= 0) {
          result.items()[static_cast<size_t>(existing)] = right;
        } else {
          result.push_back(right);
        }
      }
    }
    return result;
  }
};

}  // namespace

void strip_merge_tags(Node& node) {
  if (is_reset(node)) {
    node = Node::null(node.mark());
    return;
  }
  if (is_override(node)) node.set_tag("");
  if (node.is_mapping()) {
    std::erase_if(node.entries(), [](const Entry& e) { return is_reset(e.value); });
    for (Entry& e : node.entries()) strip_merge_tags(e.value);
  } else if (node.is_sequence()) {
    std::erase_if(node.items(), [](const Node& n) { return is_reset(n); });
    for (Node& n : node.items()) strip_merge_tags(n);
  }
}

Result<Node> merge_projects(Node base, const Node& override) {
  strip_merge_tags(base);
  if (base.is_null()) base = Node::mapping(override.mark());
  if (!base.is_mapping()) return fail_at(base.mark(), "", "top-level object must be a mapping");
  if (!override.is_null() && !override.is_mapping())
    return fail_at(override.mark(), "", "top-level object must be a mapping");
  Merger merger;
  auto merged = merger.merge(std::move(base), override, DocPath{});
  if (!merged) return merged;
  auto unique = enforce_unique_items(*merged);
  if (!unique) return std::unexpected(unique.error());
  return merged;
}

Result<Node> merge_services(Node base, const Node& override, std::string_view path) {
  strip_merge_tags(base);
  Merger merger;
  auto merged = merger.merge(std::move(base), override, merge_detail::service_path(path));
  if (!merged) return merged;
  auto unique = enforce_unique_service_items(*merged, path);
  if (!unique) return std::unexpected(unique.error());
  return merged;
}

}  // namespace stack::compose
