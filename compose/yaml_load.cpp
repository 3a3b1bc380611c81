// YAML text -> Node with libyaml's event parser. libyaml is several times faster
// than building yaml-cpp's node graph (the loader's largest cost on big files),
// and its events carry everything we keep: positions, tags, scalar styles, anchors.
#include "compose/yaml_load.h"

#include <yaml.h>

#include <unordered_map>
#include <unordered_set>

namespace stack::compose {
namespace {

// Deep documents are hostile input (fuzzers); Compose files are shallow.
constexpr size_t kMaxDepth = 128;
// Aliases are expanded by copying: bound the total size so "billion laughs" fails cleanly.
constexpr size_t kMaxNodes = 5'000'000;

size_t count_nodes(const Node& n) {
  size_t total = 1;
  for (const Node& item : n.items()) total += count_nodes(item);
  for (const Entry& e : n.entries()) total += 1 + count_nodes(e.value);
  return total;
}

// Plain scalars that YAML resolves to null.
bool is_null_plain(std::string_view v) { return v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL"; }

class Builder {
 public:
  explicit Builder(std::shared_ptr<const std::string> file) : file_(std::move(file)) {}

  Result<std::vector<Node>> parse(std::string_view text) {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return fail("yaml: cannot initialize the parser");
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    Result<std::vector<Node>> out = run(parser);
    yaml_parser_delete(&parser);
    return out;
  }

 private:
  // A collection being filled; for mappings, `pending_key` holds a key waiting for its value.
  struct Open {
    Node node;
    std::string anchor;
    bool has_key = false;
    std::string pending_key;
    Mark pending_key_mark;
    bool pending_is_merge = false;
    std::unordered_map<std::string, int> key_lines;
    std::vector<Node> merges;
  };

  Mark mark_of(const yaml_mark_t& m) const {
    return Mark{file_, static_cast<int>(m.line) + 1, static_cast<int>(m.column) + 1};
  }

  Result<std::vector<Node>> run(yaml_parser_t& parser) {
    std::vector<Node> docs;
    for (;;) {
      yaml_event_t event;
      if (!yaml_parser_parse(&parser, &event)) return parser_error(parser);
      auto done = handle(event, docs);
      yaml_event_type_t type = event.type;
      yaml_event_delete(&event);
      if (!done) return std::unexpected(done.error());
      if (type == YAML_STREAM_END_EVENT) return docs;
    }
  }

  std::unexpected<Error> parser_error(const yaml_parser_t& parser) const {
    std::string message = "yaml: ";
    if (parser.context) message += std::string(parser.context) + ": ";
    message += parser.problem ? parser.problem : "invalid document";
    return fail_at(mark_of(parser.problem_mark), "", message);
  }

  static std::string text_of(const yaml_char_t* p) { return p ? reinterpret_cast<const char*>(p) : ""; }

  Result<void> handle(const yaml_event_t& ev, std::vector<Node>& docs) {
    switch (ev.type) {
      case YAML_DOCUMENT_START_EVENT:
        anchors_.clear();
        return {};
      case YAML_DOCUMENT_END_EVENT:
        docs.push_back(std::move(document_));
        document_ = Node();
        return {};
      case YAML_SCALAR_EVENT: {
        std::string value(reinterpret_cast<const char*>(ev.data.scalar.value), ev.data.scalar.length);
        std::string tag = text_of(ev.data.scalar.tag);
        bool plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        Mark mark = mark_of(ev.start_mark);
        Node node;
        if (tag == "tag:yaml.org,2002:null" || (plain && tag.empty() && is_null_plain(value))) {
          node = Node::null(mark);
        } else {
          // Quoted and block scalars, and explicit !!str, are always strings.
          bool quoted = !plain || tag == "tag:yaml.org,2002:str";
          node = Node::scalar(std::move(value), mark, quoted);
        }
        keep_tag(node, tag);
        // A plain `<<` in key position is a merge key.
        bool merge_key = plain && tag.empty() && node.is_scalar() && node.value() == "<<";
        return add(std::move(node), text_of(ev.data.scalar.anchor), merge_key);
      }
      case YAML_ALIAS_EVENT: {
        std::string name = text_of(ev.data.alias.anchor);
        auto it = anchors_.find(name);
        if (it == anchors_.end()) return fail_at(mark_of(ev.start_mark), "", "yaml: unknown anchor \"" + name + "\" referenced");
        expanded_ += it->second.second;
        if (expanded_ > kMaxNodes) return fail_at(mark_of(ev.start_mark), "", "document too large (alias expansion)");
        Node copy = it->second.first;
        return add(std::move(copy), "", false);
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        if (stack_.size() >= kMaxDepth) return fail_at(mark_of(ev.start_mark), "", "document nested too deeply");
        bool mapping = ev.type == YAML_MAPPING_START_EVENT;
        Mark mark = mark_of(ev.start_mark);
        Open open;
        open.node = mapping ? Node::mapping(mark) : Node::sequence(mark);
        std::string tag = text_of(mapping ? ev.data.mapping_start.tag : ev.data.sequence_start.tag);
        keep_tag(open.node, tag);
        open.anchor = text_of(mapping ? ev.data.mapping_start.anchor : ev.data.sequence_start.anchor);
        if (!stack_.empty() && stack_.back().node.is_mapping() && !stack_.back().has_key) {
          return fail_at(mark, "", std::string("mapping key must be a string, not a ") + (mapping ? "mapping" : "sequence"));
        }
        stack_.push_back(std::move(open));
        return {};
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        Open open = std::move(stack_.back());
        stack_.pop_back();
        if (open.node.is_mapping()) {
          if (auto r = apply_merges(open); !r) return r;
        }
        return add(std::move(open.node), open.anchor, false);
      }
      default:
        return {};
    }
  }

  static void keep_tag(Node& node, const std::string& tag) {
    // Standard tags only tell the type, which the node kind and quoting already say.
    if (!tag.empty() && tag != "!" && !tag.starts_with("tag:yaml.org,2002:")) node.set_tag(tag);
  }

  // Adds a finished node to the open collection (or makes it the document).
  Result<void> add(Node node, const std::string& anchor, bool merge_key) {
    if (!anchor.empty()) {
      size_t size = count_nodes(node);
      anchors_.insert_or_assign(anchor, std::make_pair(node, size));
    }
    ++expanded_;
    if (stack_.empty()) {
      document_ = std::move(node);
      return {};
    }
    Open& top = stack_.back();
    if (top.node.is_sequence()) {
      top.node.push_back(std::move(node));
      return {};
    }
    if (!top.has_key) {
      if (!node.is_scalar() && !node.is_null()) {
        return fail_at(node.mark(), "", "mapping key must be a string, not a " + node.kind_name());
      }
      if (node.is_null()) return fail_at(node.mark(), "", "mapping key must not be null");
      top.has_key = true;
      top.pending_is_merge = merge_key;
      top.pending_key = node.value();
      top.pending_key_mark = node.mark();
      return {};
    }
    top.has_key = false;
    if (top.pending_is_merge) {
      top.merges.push_back(std::move(node));
      return {};
    }
    auto [it, inserted] = top.key_lines.emplace(top.pending_key, top.pending_key_mark.line);
    if (!inserted) {
      return fail_at(top.pending_key_mark, "",
                     "mapping key \"" + top.pending_key + "\" already defined at line " + std::to_string(it->second));
    }
    top.node.entries().push_back(Entry{std::move(top.pending_key), top.pending_key_mark, std::move(node)});
    return {};
  }

  // YAML merge keys: explicit keys win, then earlier merged mappings win over later ones.
  static Result<void> apply_merges(Open& open) {
    for (const Node& merge : open.merges) {
      std::vector<const Node*> sources;
      if (merge.is_mapping()) {
        sources.push_back(&merge);
      } else if (merge.is_sequence()) {
        for (const Node& item : merge.items()) {
          if (!item.is_mapping()) return fail_at(item.mark(), "", "merge key \"<<\" needs mappings");
          sources.push_back(&item);
        }
      } else {
        return fail_at(merge.mark(), "", "merge key \"<<\" needs a mapping or a sequence of mappings");
      }
      for (const Node* src : sources) {
        for (const Entry& e : src->entries()) {
          if (open.key_lines.emplace(e.key, e.key_mark.line).second) open.node.entries().push_back(e);
        }
      }
    }
    return {};
  }

  std::shared_ptr<const std::string> file_;
  std::vector<Open> stack_;
  Node document_;
  std::unordered_map<std::string, std::pair<Node, size_t>> anchors_;
  size_t expanded_ = 0;
};

}  // namespace

Result<std::vector<Node>> parse_yaml_documents(std::string_view text, std::shared_ptr<const std::string> file) {
  Builder builder(std::move(file));
  return builder.parse(text);
}

Result<Node> parse_yaml(std::string_view text, std::shared_ptr<const std::string> file) {
  auto docs = parse_yaml_documents(text, file);
  if (!docs) return std::unexpected(docs.error());
  if (docs->empty()) return Node::null(Mark{file, 1, 1});
  if (docs->size() > 1) {
    return fail_at((*docs)[1].mark(), "", "several YAML documents in one file; use one document or several -f files");
  }
  return std::move(docs->front());
}

}  // namespace stack::compose
