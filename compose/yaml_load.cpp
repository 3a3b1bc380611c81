#include "compose/yaml_load.h"

#include <yaml-cpp/yaml.h>

#include <unordered_map>

namespace stack::compose {
namespace {

// Deep documents are hostile input (alias bombs, fuzzers); Compose files are shallow.
constexpr int kMaxDepth = 128;
// Aliases are expanded by copying: bound the total size so "billion laughs" fails cleanly.
constexpr size_t kMaxNodes = 5'000'000;

class Converter {
 public:
  explicit Converter(std::shared_ptr<const std::string> file) : file_(std::move(file)) {}

  Result<Node> convert(const YAML::Node& in, int depth) {
    if (depth > kMaxDepth) return fail_at(mark_of(in), "", "document nested too deeply");
    if (++count_ > kMaxNodes) return fail_at(mark_of(in), "", "document too large (alias expansion)");
    Mark mark = mark_of(in);
    std::string tag = in.Tag();
    Node out;
    switch (in.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out = Node::null(mark);
        break;
      case YAML::NodeType::Scalar:
        // yaml-cpp gives "!" for quoted scalars and "?" for plain ones.
        out = Node::scalar(in.Scalar(), mark, tag == "!");
        break;
      case YAML::NodeType::Sequence: {
        out = Node::sequence(mark);
        out.items().reserve(in.size());
        for (const auto& item : in) {
          auto child = convert(item, depth + 1);
          if (!child) return child;
          out.push_back(std::move(*child));
        }
        break;
      }
      case YAML::NodeType::Map: {
        auto mapped = convert_map(in, mark, depth);
        if (!mapped) return mapped;
        out = std::move(*mapped);
        break;
      }
    }
    if (!tag.empty() && tag != "!" && tag != "?") out.set_tag(tag);
    return out;
  }

 private:
  Mark mark_of(const YAML::Node& n) const {
    YAML::Mark m = n.Mark();
    if (m.is_null()) return Mark{file_, 0, 0};
    return Mark{file_, m.line + 1, m.column + 1};
  }

  Result<Node> convert_map(const YAML::Node& in, const Mark& mark, int depth) {
    Node out = Node::mapping(mark);
    std::unordered_map<std::string, int> seen_line;
    std::vector<Node> merges;  // values of "<<" keys, applied after explicit keys
    for (const auto& kv : in) {
      const YAML::Node& key = kv.first;
      Mark key_mark = mark_of(key);
      if (!key.IsScalar()) {
        if (key.IsNull()) return fail_at(key_mark, "", "mapping key must not be null");
        return fail_at(key_mark, "", "mapping key must be a string, not a " +
                                         std::string(key.IsMap() ? "mapping" : "sequence"));
      }
      const std::string& name = key.Scalar();
      if (name == "<<" && key.Tag() != "!") {
        auto merged = convert(kv.second, depth + 1);
        if (!merged) return merged;
        merges.push_back(std::move(*merged));
        continue;
      }
      auto [it, inserted] = seen_line.emplace(name, key_mark.line);
      if (!inserted) {
        return fail_at(key_mark, "",
                       "mapping key \"" + name + "\" already defined at line " + std::to_string(it->second));
      }
      auto value = convert(kv.second, depth + 1);
      if (!value) return value;
      out.entries().push_back(Entry{name, key_mark, std::move(*value)});
    }
    // YAML merge keys: explicit keys win, then earlier merged mappings win over later ones.
    for (const Node& merge : merges) {
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
          if (!out.find(e.key)) out.entries().push_back(e);
        }
      }
    }
    return out;
  }

  std::shared_ptr<const std::string> file_;
  size_t count_ = 0;
};

Mark exception_mark(const YAML::Exception& ex, const std::shared_ptr<const std::string>& file) {
  if (ex.mark.is_null()) return Mark{file, 0, 0};
  return Mark{file, ex.mark.line + 1, ex.mark.column + 1};
}

}  // namespace

Result<std::vector<Node>> parse_yaml_documents(std::string_view text, std::shared_ptr<const std::string> file) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& ex) {
    return fail_at(exception_mark(ex, file), "", "yaml: " + ex.msg);
  } catch (const std::exception& ex) {
    return fail_at(Mark{file, 0, 0}, "", std::string("yaml: ") + ex.what());
  }
  std::vector<Node> out;
  Converter converter(file);
  for (const auto& doc : docs) {
    try {
      auto node = converter.convert(doc, 0);
      if (!node) return std::unexpected(node.error());
      out.push_back(std::move(*node));
    } catch (const YAML::Exception& ex) {
      return fail_at(exception_mark(ex, file), "", "yaml: " + ex.msg);
    }
  }
  return out;
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
