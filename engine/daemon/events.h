// The daemon's event log, as Docker's events service: every object change is published
// once, kept in a bounded history (for `since`), and fanned out to live subscribers
// (GET /events), each with its own filters. io thread only.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"

namespace stack::daemon {

struct Event {
  std::string type;    // "container", "image", "network", "volume", "daemon"
  std::string action;  // "create", "start", "die", "health_status: healthy", ...
  std::string id;
  std::map<std::string, std::string> attributes;
  int64_t time_nano = 0;
};

// Docker's message JSON (with the legacy status/id/from fields for containers and images).
nlohmann::ordered_json event_json(const Event& e);

// Docker's event filters: container, event, image, label, type, daemon (+ name/id alias).
using EventFilters = std::map<std::string, std::vector<std::string>>;
Result<void> validate_event_filters(const EventFilters& filters);
bool event_matches(const Event& e, const EventFilters& filters);

class EventBus {
 public:
  using Subscriber = std::function<void(const Event&)>;

  void publish(Event e);
  // Returns a token for unsubscribe.
  uint64_t subscribe(Subscriber s);
  void unsubscribe(uint64_t token);
  // Events with since <= time_nano <= until (nanoseconds), from the history.
  std::vector<Event> history(int64_t since_nano, int64_t until_nano) const;

 private:
  static constexpr std::size_t kHistory = 1024;  // Docker keeps 256; a little more is cheap
  std::deque<Event> history_;
  std::map<uint64_t, Subscriber> subscribers_;
  uint64_t next_token_ = 1;
};

int64_t now_nano();
// Docker's since/until query values: unix seconds with an optional fraction
// ("1700000000.123456789"), an RFC 3339 time, or a Go duration relative to now ("10m").
Result<int64_t> parse_event_time(const std::string& text, int64_t now);

}  // namespace stack::daemon
