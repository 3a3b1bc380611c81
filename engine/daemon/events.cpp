#include "engine/daemon/events.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <set>

#include "engine/image/image_config.h"

namespace stack::daemon {

int64_t now_nano() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

nlohmann::ordered_json event_json(const Event& e) {
  nlohmann::ordered_json j;
  if (e.type == "container" || e.type == "image") {
    j["status"] = e.action;
    j["id"] = e.id;
    if (auto it = e.attributes.find("image"); e.type == "container" && it != e.attributes.end()) j["from"] = it->second;
  }
  j["Type"] = e.type;
  j["Action"] = e.action;
  nlohmann::ordered_json attrs = nlohmann::ordered_json::object();
  for (const auto& [k, v] : e.attributes) attrs[k] = v;
  j["Actor"] = {{"ID", e.id}, {"Attributes", attrs}};
  j["scope"] = "local";
  j["time"] = e.time_nano / 1000000000;
  j["timeNano"] = e.time_nano;
  return j;
}

Result<void> validate_event_filters(const EventFilters& filters) {
  static const std::set<std::string> known = {"container", "daemon", "event", "image", "label", "network", "node",
                                              "plugin", "scope", "secret", "service", "type", "volume", "config"};
  for (const auto& [key, _] : filters) {
    if (!known.contains(key)) return fail("invalid filter '" + key + "'", EINVAL);
  }
  if (auto it = filters.find("type"); it != filters.end()) {
    static const std::set<std::string> types = {"builder", "config", "container", "daemon", "image", "network",
                                                "node", "plugin", "secret", "service", "volume"};
    for (const auto& t : it->second) {
      if (!types.contains(t)) return fail("Invalid event type \"" + t + "\"", EINVAL);
    }
  }
  return {};
}

namespace {

bool any_of(const EventFilters& filters, const std::string& key, const std::function<bool(const std::string&)>& pred) {
  auto it = filters.find(key);
  if (it == filters.end() || it->second.empty()) return true;
  for (const auto& v : it->second) {
    if (pred(v)) return true;
  }
  return false;
}

std::string attr(const Event& e, const std::string& key) {
  auto it = e.attributes.find(key);
  return it == e.attributes.end() ? std::string() : it->second;
}

// An id filter matches the full id or a prefix of it, as Docker's events filter does.
bool id_or_name(const Event& e, const std::string& v) {
  return (!v.empty() && e.id.starts_with(v)) || attr(e, "name") == v;
}

}  // namespace

bool event_matches(const Event& e, const EventFilters& f) {
  const bool container = e.type == "container";
  const bool image = e.type == "image";
  return any_of(f, "type", [&](const std::string& v) { return v == e.type; }) &&
         any_of(f, "event",
                [&](const std::string& v) {
                  // "health_status" matches "health_status: healthy", as Docker's prefix rule does.
                  return v == e.action || (e.action.starts_with(v) && e.action.size() > v.size() && e.action[v.size()] == ':');
                }) &&
         any_of(f, "container", [&](const std::string& v) { return container && id_or_name(e, v); }) &&
         any_of(f, "image",
                [&](const std::string& v) {
                  if (image) return id_or_name(e, v) || e.id == v;
                  std::string img = attr(e, "image");
                  return img == v || (img.rfind(':') != std::string::npos && img.substr(0, img.rfind(':')) == v);
                }) &&
         any_of(f, "label",
                [&](const std::string& v) {
                  auto eq = v.find('=');
                  if (eq == std::string::npos) return e.attributes.contains(v);
                  return attr(e, v.substr(0, eq)) == v.substr(eq + 1) && e.attributes.contains(v.substr(0, eq));
                }) &&
         any_of(f, "daemon", [&](const std::string&) { return e.type == "daemon"; }) &&
         any_of(f, "network", [&](const std::string& v) { return e.type == "network" && id_or_name(e, v); }) &&
         any_of(f, "volume", [&](const std::string& v) { return e.type == "volume" && id_or_name(e, v); });
}

void EventBus::publish(Event e) {
  if (e.time_nano == 0) e.time_nano = now_nano();
  history_.push_back(e);
  if (history_.size() > kHistory) history_.pop_front();
  // Copy: a subscriber may unsubscribe (client gone) while we deliver.
  auto subscribers = subscribers_;
  for (auto& [_, s] : subscribers) s(e);
}

uint64_t EventBus::subscribe(Subscriber s) {
  uint64_t token = next_token_++;
  subscribers_.emplace(token, std::move(s));
  return token;
}

void EventBus::unsubscribe(uint64_t token) { subscribers_.erase(token); }

std::vector<Event> EventBus::history(int64_t since_nano, int64_t until_nano) const {
  std::vector<Event> out;
  for (const auto& e : history_) {
    if (e.time_nano >= since_nano && e.time_nano <= until_nano) out.push_back(e);
  }
  return out;
}

Result<int64_t> parse_event_time(const std::string& text, int64_t now) {
  if (text.empty()) return fail("empty timestamp", EINVAL);
  // Go duration relative to now: "10m", "1h30m", "5s"
  if (std::isalpha(static_cast<unsigned char>(text.back())) && !text.contains('T')) {
    double total = 0;
    std::size_t i = 0;
    while (i < text.size()) {
      std::size_t used = 0;
      double value = 0;
      try {
        value = std::stod(text.substr(i), &used);
      } catch (...) {
        return fail("failed to parse value as time or duration: \"" + text + "\"", EINVAL);
      }
      i += used;
      std::string unit;
      while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) unit += text[i++];
      double scale = unit == "ns" ? 1 : unit == "us" ? 1e3 : unit == "ms" ? 1e6 : unit == "s" ? 1e9 : unit == "m" ? 60e9 : unit == "h" ? 3600e9 : -1;
      if (scale < 0) return fail("failed to parse value as time or duration: \"" + text + "\"", EINVAL);
      total += value * scale;
    }
    return now - static_cast<int64_t>(total);
  }
  if (text.contains('T') || text.contains('-')) {
    auto secs = image::parse_rfc3339(text);
    if (!secs) return fail("failed to parse value as time or duration: \"" + text + "\"", EINVAL);
    return *secs * 1000000000;
  }
  std::size_t dot = text.find('.');
  try {
    int64_t secs = std::stoll(text.substr(0, dot));
    int64_t nanos = 0;
    if (dot != std::string::npos) {
      std::string frac = text.substr(dot + 1);
      frac.resize(9, '0');
      nanos = std::stoll(frac);
    }
    return secs * 1000000000 + nanos;
  } catch (...) {
    return fail("failed to parse value as time or duration: \"" + text + "\"", EINVAL);
  }
}

}  // namespace stack::daemon
