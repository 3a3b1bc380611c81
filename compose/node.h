// The generic document tree every compose pipeline stage works on before the
// typed model is decoded. It is a plain value type
// (copies are deep, aliases are already expanded) and every node remembers
// where it came from, so any stage can report file:line:column.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace stack::compose {

// Position of a node in its source file (1-based line and column).
struct Mark {
  std::shared_ptr<const std::string> file;  // as the user named it; null for synthesized nodes
  int line = 0;
  int column = 0;

  bool known() const { return file && line > 0; }
  // "compose.yml:12:7" (or "" when unknown).
  std::string str() const;
};

class Node;

struct Entry;

class Node {
 public:
  enum class Kind { Null, Scalar, Sequence, Mapping };

  // Declared here, defaulted below once Entry is complete (vector<Entry> needs it).
  Node();
  ~Node();
  Node(const Node&);
  Node(Node&&) noexcept;
  Node& operator=(const Node&);
  Node& operator=(Node&&) noexcept;

  static Node null(Mark mark = {});
  // A scalar; `quoted` is true when the source wrote it in quotes (so "1" stays a string).
  static Node scalar(std::string value, Mark mark = {}, bool quoted = false);
  // Quoted scalar: always a string, never a number, bool or null.
  static Node string(std::string value, Mark mark = {}) { return scalar(std::move(value), std::move(mark), true); }
  static Node sequence(Mark mark = {});
  static Node mapping(Mark mark = {});

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_scalar() const { return kind_ == Kind::Scalar; }
  bool is_sequence() const { return kind_ == Kind::Sequence; }
  bool is_mapping() const { return kind_ == Kind::Mapping; }
  // "null", "string", "sequence", "mapping" for messages (scalars say what they look like).
  std::string kind_name() const;

  const Mark& mark() const { return mark_; }
  void set_mark(Mark m) { mark_ = std::move(m); }

  // YAML tag as written ("!reset", "!override"); empty when none.
  const std::string& tag() const { return tag_; }
  void set_tag(std::string t) { tag_ = std::move(t); }

  // Scalars.
  const std::string& value() const { return value_; }
  void set_value(std::string v) { value_ = std::move(v); }
  bool quoted() const { return quoted_; }
  void set_quoted(bool q) { quoted_ = q; }
  // YAML 1.2 core-schema resolution of a plain scalar.
  bool looks_like_bool() const;
  bool looks_like_int() const;
  bool looks_like_float() const;
  // Plain "~", "null", "Null", "NULL" scalars are null in YAML; the loader already
  // turns them into Kind::Null, this is for scalars produced by later stages.
  bool looks_like_null() const;

  // Sequences.
  std::vector<Node>& items() { return items_; }
  const std::vector<Node>& items() const { return items_; }
  void push_back(Node n) { items_.push_back(std::move(n)); }

  // Mappings: insertion order kept; keys are strings.
  std::vector<Entry>& entries() { return entries_; }
  const std::vector<Entry>& entries() const { return entries_; }
  const Node* find(std::string_view key) const;
  Node* find(std::string_view key);
  const Entry* find_entry(std::string_view key) const;
  Entry* find_entry(std::string_view key);
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  // Sets key (replacing the value, keeping the key's position if present).
  Node& set(std::string key, Node value, Mark key_mark = {});
  bool erase(std::string_view key);

  size_t size() const;

  // Structural equality (values, kinds, tags; marks ignored).
  bool operator==(const Node& other) const;

 private:
  Kind kind_ = Kind::Null;
  Mark mark_;
  std::string tag_;
  std::string value_;
  bool quoted_ = false;
  std::vector<Node> items_;
  std::vector<Entry> entries_;
};

struct Entry {
  std::string key;
  Mark key_mark;
  Node value;
};

inline Node::Node() = default;
inline Node::~Node() = default;
inline Node::Node(const Node&) = default;
inline Node::Node(Node&&) noexcept = default;
inline Node& Node::operator=(const Node&) = default;
inline Node& Node::operator=(Node&&) noexcept = default;

// An error located at a node: "compose.yml:12:7: services.web.ports[0]: invalid port \"80:abc\"".
// `path` is the key path in the project ("services.web.ports[0]"); either part may be empty.
Error node_error(const Mark& mark, std::string_view path, std::string_view message);
inline std::unexpected<Error> fail_at(const Mark& mark, std::string_view path, std::string_view message) {
  return std::unexpected(node_error(mark, path, message));
}

// Key path helpers: path_key("services", "web") = "services.web"; path_index("ports", 0) = "ports[0]".
std::string path_key(std::string_view parent, std::string_view key);
std::string path_index(std::string_view parent, size_t index);

}  // namespace stack::compose
