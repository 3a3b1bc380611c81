#include "compose/node.h"

#include <algorithm>
#include <cctype>
#include <regex>

namespace stack::compose {

std::string Mark::str() const {
  if (!file) return "";
  if (line <= 0) return *file;
  return *file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

Node Node::null(Mark mark) {
  Node n;
  n.kind_ = Kind::Null;
  n.mark_ = std::move(mark);
  return n;
}

Node Node::scalar(std::string value, Mark mark, bool quoted) {
  Node n;
  n.kind_ = Kind::Scalar;
  n.value_ = std::move(value);
  n.mark_ = std::move(mark);
  n.quoted_ = quoted;
  return n;
}

Node Node::sequence(Mark mark) {
  Node n;
  n.kind_ = Kind::Sequence;
  n.mark_ = std::move(mark);
  return n;
}

Node Node::mapping(Mark mark) {
  Node n;
  n.kind_ = Kind::Mapping;
  n.mark_ = std::move(mark);
  return n;
}

std::string Node::kind_name() const {
  switch (kind_) {
    case Kind::Null: return "null";
    case Kind::Sequence: return "sequence";
    case Kind::Mapping: return "mapping";
    case Kind::Scalar:
      if (!quoted_) {
        if (looks_like_bool()) return "boolean";
        if (looks_like_int()) return "integer";
        if (looks_like_float()) return "number";
      }
      return "string";
  }
  return "?";
}

bool Node::looks_like_bool() const {
  if (kind_ != Kind::Scalar || quoted_) return false;
  static const char* words[] = {"true", "True", "TRUE", "false", "False", "FALSE"};
  return std::any_of(std::begin(words), std::end(words), [&](const char* w) { return value_ == w; });
}

bool Node::looks_like_int() const {
  if (kind_ != Kind::Scalar || quoted_ || value_.empty()) return false;
  static const std::regex re("[-+]?(0|[1-9][0-9]*)|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?[0-9]+");
  return std::regex_match(value_, re);
}

bool Node::looks_like_float() const {
  if (kind_ != Kind::Scalar || quoted_ || value_.empty()) return false;
  static const std::regex re(
      "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  return std::regex_match(value_, re);
}

bool Node::looks_like_null() const {
  if (kind_ == Kind::Null) return true;
  if (kind_ != Kind::Scalar || quoted_) return false;
  return value_.empty() || value_ == "~" || value_ == "null" || value_ == "Null" || value_ == "NULL";
}

const Entry* Node::find_entry(std::string_view key) const {
  for (const auto& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

Entry* Node::find_entry(std::string_view key) {
  for (auto& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

const Node* Node::find(std::string_view key) const {
  const Entry* e = find_entry(key);
  return e ? &e->value : nullptr;
}

Node* Node::find(std::string_view key) {
  Entry* e = find_entry(key);
  return e ? &e->value : nullptr;
}

Node& Node::set(std::string key, Node value, Mark key_mark) {
  if (kind_ != Kind::Mapping) {
    kind_ = Kind::Mapping;
    items_.clear();
    value_.clear();
  }
  if (Entry* e = find_entry(key)) {
    e->value = std::move(value);
    return e->value;
  }
  entries_.push_back(Entry{std::move(key), std::move(key_mark), std::move(value)});
  return entries_.back().value;
}

bool Node::erase(std::string_view key) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

size_t Node::size() const {
  switch (kind_) {
    case Kind::Sequence: return items_.size();
    case Kind::Mapping: return entries_.size();
    default: return 0;
  }
}

bool Node::operator==(const Node& other) const {
  if (kind_ != other.kind_ || tag_ != other.tag_) return false;
  switch (kind_) {
    case Kind::Null: return true;
    case Kind::Scalar: return value_ == other.value_;
    case Kind::Sequence: return items_ == other.items_;
    case Kind::Mapping:
      if (entries_.size() != other.entries_.size()) return false;
      for (size_t i = 0; i < entries_.size(); ++i) {
        if (entries_[i].key != other.entries_[i].key || !(entries_[i].value == other.entries_[i].value)) return false;
      }
      return true;
  }
  return false;
}

Error node_error(const Mark& mark, std::string_view path, std::string_view message) {
  std::string out;
  std::string where = mark.str();
  if (!where.empty()) out += where + ": ";
  if (!path.empty()) out += std::string(path) + ": ";
  out += message;
  return Error{std::move(out), 0};
}

std::string path_key(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

std::string path_index(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

}  // namespace stack::compose
