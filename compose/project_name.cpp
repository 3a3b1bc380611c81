#include "compose/project_name.h"

#include "common/strings.h"

namespace stack::compose {

std::string normalize_project_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!keep) continue;
    if (out.empty() && (c == '-' || c == '_')) continue;
    out += c;
  }
  return out;
}

Result<std::string> validate_project_name(std::string_view name) {
  if (name.empty()) return fail("project name must not be empty");
  // compose-go's test: a valid name is one that normalization leaves unchanged.
  if (normalize_project_name(name) != name) {
    return fail("invalid project name " + quoted(name) +
                ": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as "
                "start with a letter or number");
  }
  return std::string(name);
}

}  // namespace stack::compose
