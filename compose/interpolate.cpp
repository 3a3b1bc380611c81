#include "compose/interpolate.h"

#include <spdlog/spdlog.h>

#include <expected>
#include <mutex>
#include <unordered_set>

namespace stack::compose {
namespace {

// compose-go reports two kinds of failure; callers word them differently.
struct TemplateError {
  enum class Kind { Invalid, Required } kind;
  std::string text;    // Invalid: the (innermost) template; Required: the variable
  std::string reason;  // Required: the interpolated error text, may be empty
};

using Expansion = std::expected<std::string, TemplateError>;

// compose-go matches names case-insensitively with [_a-z][_a-z0-9]*.
bool is_name_start(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

// Length of the operator (":-", "-", ":+", "+", ":?", "?") at `pos`, 0 when there is none.
size_t operator_length(std::string_view s, size_t pos) {
  if (pos >= s.size()) return 0;
  auto is_op = [](char c) { return c == '-' || c == '+' || c == '?'; };
  if (is_op(s[pos])) return 1;
  if (s[pos] == ':' && pos + 1 < s.size() && is_op(s[pos + 1])) return 2;
  return 0;
}

// compose-go's getFirstBraceClosingIndex, quirk included: the character right
// after every `{` is not looked at, so `${A:-{}}` does not balance and the
// expression runs to the last `}` on the line.
size_t first_closing_brace(std::string_view s) {
  int open = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '}' && --open == 0) return i;
    if (s[i] == '{') {
      ++open;
      ++i;
    }
  }
  return std::string_view::npos;
}

// Docker Compose warns on every use; once per variable is enough to be seen.
void warn_unset(std::string_view name) {
  static std::mutex mutex;
  static std::unordered_set<std::string> warned;
  {
    std::lock_guard lock(mutex);
    if (!warned.emplace(name).second) return;
  }
  spdlog::warn("The \"{}\" variable is not set. Defaulting to a blank string.", name);
}

std::unexpected<TemplateError> invalid(std::string_view tmpl) {
  return std::unexpected(TemplateError{TemplateError::Kind::Invalid, std::string(tmpl), {}});
}

// Go's %#v of a string, for the standalone "Invalid template" message.
std::string go_quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  return out + "\"";
}

class Expander {
 public:
  explicit Expander(const Lookup& lookup) : lookup_(lookup) {}

  Expansion expand(std::string_view tmpl) const {
    std::string out;
    out.reserve(tmpl.size());
    size_t pos = 0;
    for (;;) {
      size_t dollar = tmpl.find('$', pos);
      if (dollar == std::string_view::npos) {
        out.append(tmpl.substr(pos));
        return out;
      }
      out.append(tmpl.substr(pos, dollar - pos));
      size_t next = dollar + 1;
      char c = next < tmpl.size() ? tmpl[next] : '\0';
      if (c == '$') {
        out += '$';
        pos = next + 1;
      } else if (is_name_start(c)) {
        size_t end = name_end(tmpl, next);
        out += value_or_blank(tmpl.substr(next, end - next));
        pos = end;
      } else if (c == '{') {
        auto braced = expand_braced(tmpl, dollar, out);
        if (!braced) return std::unexpected(std::move(braced.error()));
        pos = *braced;
      } else {
        // Not an expression (`$` at the end, `$1`, `$-`): compose-go leaves it as is.
        out += '$';
        pos = next;
      }
    }
  }

 private:
  static size_t name_end(std::string_view s, size_t begin) {
    size_t end = begin + 1;
    while (end < s.size() && is_name_char(s[end])) ++end;
    return end;
  }

  std::optional<std::string> find(std::string_view name) const {
    if (!lookup_) return std::nullopt;
    return lookup_(name);
  }

  std::string value_or_blank(std::string_view name) const {
    auto value = find(name);
    if (!value) {
      warn_unset(name);
      return {};
    }
    return std::move(*value);
  }

  // `${...}` starting at `dollar`: appends its value to `out`, returns where scanning resumes.
  std::expected<size_t, TemplateError> expand_braced(std::string_view tmpl, size_t dollar, std::string& out) const {
    size_t name_begin = dollar + 2;
    if (name_begin >= tmpl.size() || !is_name_start(tmpl[name_begin])) return invalid(tmpl);
    size_t name_stop = name_end(tmpl, name_begin);
    std::string_view name = tmpl.substr(name_begin, name_stop - name_begin);
    if (name_stop < tmpl.size() && tmpl[name_stop] == '}') {
      out += value_or_blank(name);
      return name_stop + 1;
    }
    size_t op_len = operator_length(tmpl, name_stop);
    if (op_len == 0) return invalid(tmpl);

    // As compose-go's `(.*)}`: the candidate runs to the last `}` on the same line ...
    size_t line_end = tmpl.find('\n', name_stop);
    if (line_end == std::string_view::npos) line_end = tmpl.size();
    size_t last_brace = tmpl.substr(0, line_end).rfind('}');
    if (last_brace == std::string_view::npos || last_brace < name_stop) return invalid(tmpl);
    std::string_view match = tmpl.substr(dollar, last_brace - dollar + 1);

    // ... then is cut at the brace that balances the opening one; what follows is a template of its own.
    std::string_view rest;
    if (size_t close = first_closing_brace(match); close != std::string_view::npos) {
      rest = match.substr(close + 1);
      match = match.substr(0, close + 1);
    }
    std::string_view op = tmpl.substr(name_stop, op_len);
    size_t arg_begin = 2 + name.size() + op_len;
    std::string_view arg = match.substr(arg_begin, match.size() - arg_begin - 1);

    auto value = apply(name, op, arg);
    if (!value) return std::unexpected(std::move(value.error()));
    out += *value;
    if (!rest.empty()) {
      auto tail = expand(rest);
      if (!tail) return std::unexpected(std::move(tail.error()));
      out += *tail;
    }
    return last_brace + 1;
  }

  Expansion apply(std::string_view name, std::string_view op, std::string_view arg) const {
    std::optional<std::string> value = find(name);
    bool set = value.has_value();
    bool non_empty = set && !value->empty();
    bool colon = op.size() == 2;
    switch (op.back()) {
      case '-':
        if (colon ? non_empty : set) return std::move(*value);
        return expand(arg);
      case '+':
        if (colon ? non_empty : set) return expand(arg);
        return value.value_or("");
      default: {  // '?'
        if (colon ? non_empty : set) return std::move(*value);
        auto reason = expand(arg);
        if (!reason) return reason;
        return std::unexpected(TemplateError{TemplateError::Kind::Required, std::string(name), std::move(*reason)});
      }
    }
  }

  const Lookup& lookup_;
};

std::string required_message(const TemplateError& e) {
  std::string out = "required variable " + e.text + " is missing a value";
  if (!e.reason.empty()) out += ": " + e.reason;
  return out;
}

// The key path of a node, built only when an error needs it.
struct PathStep {
  const PathStep* parent;
  std::string_view key;
  size_t index;
  bool is_index;
};

std::string render_path(std::string_view root, const PathStep* step) {
  if (!step) return std::string(root);
  std::string parent = render_path(root, step->parent);
  return step->is_index ? path_index(parent, step->index) : path_key(parent, step->key);
}

Result<void> walk(Node& node, const Expander& expander, std::string_view root, const PathStep* step) {
  switch (node.kind()) {
    case Node::Kind::Null: return {};
    case Node::Kind::Scalar: {
      if (node.value().find('$') == std::string::npos) return {};
      auto expanded = expander.expand(node.value());
      if (expanded) {
        node.set_value(std::move(*expanded));
        return {};
      }
      const TemplateError& e = expanded.error();
      std::string path = render_path(root, step);
      if (e.kind == TemplateError::Kind::Invalid) {
        return fail_at(node.mark(), "",
                       "invalid interpolation format for " + path +
                           ".\nYou may need to escape any $ with another $.\n" + e.text);
      }
      return fail_at(node.mark(), "", "error while interpolating " + path + ": " + required_message(e));
    }
    case Node::Kind::Sequence: {
      auto& items = node.items();
      for (size_t i = 0; i < items.size(); ++i) {
        PathStep next{step, {}, i, true};
        if (auto r = walk(items[i], expander, root, &next); !r) return r;
      }
      return {};
    }
    case Node::Kind::Mapping:
      for (Entry& entry : node.entries()) {
        PathStep next{step, entry.key, 0, false};
        if (auto r = walk(entry.value, expander, root, &next); !r) return r;
      }
      return {};
  }
  return {};
}

}  // namespace

Result<std::string> interpolate_string(std::string_view text, const Lookup& lookup) {
  auto expanded = Expander(lookup).expand(text);
  if (expanded) return std::move(*expanded);
  const TemplateError& e = expanded.error();
  if (e.kind == TemplateError::Kind::Invalid) return fail("Invalid template: " + go_quoted(e.text));
  return fail(required_message(e));
}

Result<void> interpolate_node(Node& node, const Lookup& lookup, std::string_view path) {
  return walk(node, Expander(lookup), path, nullptr);
}

}  // namespace stack::compose
