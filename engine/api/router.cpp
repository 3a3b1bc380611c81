#include "engine/api/router.h"

namespace stack::api {

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  size_t i = 0;
  if (!path.empty() && path[0] == '/') i = 1;
  while (i <= path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string_view::npos) slash = path.size();
    parts.emplace_back(path.substr(i, slash - i));
    i = slash + 1;
  }
  return parts;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler h) {
  Route route{std::move(method), {}, std::move(h)};
  for (auto& part : split_path(pattern)) {
    Segment seg;
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      std::string inner = part.substr(1, part.size() - 2);
      seg.param = true;
      if (auto colon = inner.find(':'); colon != std::string::npos) {
        seg.greedy = inner.substr(colon + 1) == ".*";
        inner.resize(colon);
      }
      seg.text = std::move(inner);
    } else {
      seg.text = std::move(part);
    }
    route.segments.push_back(std::move(seg));
  }
  routes_.push_back(std::move(route));
}

bool Router::match_segments(const std::vector<Segment>& pattern, size_t pi, const std::vector<std::string>& parts,
                            size_t si, std::map<std::string, std::string>& params) {
  if (pi == pattern.size()) return si == parts.size();
  if (si == parts.size()) return false;
  const Segment& seg = pattern[pi];
  if (!seg.param) {
    return seg.text == parts[si] && match_segments(pattern, pi + 1, parts, si + 1, params);
  }
  if (!seg.greedy) {
    if (parts[si].empty()) return false;
    if (!match_segments(pattern, pi + 1, parts, si + 1, params)) return false;
    params[seg.text] = parts[si];
    return true;
  }
  // Greedy: the longest run of segments that lets the rest of the pattern match.
  for (size_t end = parts.size(); end > si; --end) {
    if (match_segments(pattern, pi + 1, parts, end, params)) {
      std::string value = parts[si];
      for (size_t k = si + 1; k < end; ++k) value += "/" + parts[k];
      if (value.empty()) return false;
      params[seg.text] = std::move(value);
      return true;
    }
  }
  return false;
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  auto parts = split_path(path);
  for (const auto& route : routes_) {
    if (route.method != method) continue;
    std::map<std::string, std::string> params;
    if (match_segments(route.segments, 0, parts, 0, params)) return Match{&route.handler, std::move(params)};
  }
  return {};
}

}  // namespace stack::api
