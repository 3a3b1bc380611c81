#include "engine/image/changes.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "common/strings.h"

namespace stack::image {
namespace {

// Dockerfile words: split on whitespace, double/single quotes group, backslash escapes.
std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < s.size()) cur += s[++i];
      else cur += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < s.size()) {
      cur += s[++i];
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) out.push_back(std::move(cur));
  return out;
}

// JSON (exec) form if it parses as an array of strings, else nullopt.
std::optional<std::vector<std::string>> json_form(std::string_view rest) {
  if (rest.empty() || rest.front() != '[') return std::nullopt;
  auto j = nlohmann::json::parse(rest, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& v : j) {
    if (!v.is_string()) return std::nullopt;
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::vector<std::string> command_form(std::string_view rest) {
  if (auto j = json_form(rest)) return *j;
  return {"/bin/sh", "-c", std::string(rest)};
}

// "K=V K2=V2" or the legacy "K V with spaces".
Result<std::vector<std::pair<std::string, std::string>>> key_values(std::string_view rest, const char* what) {
  std::vector<std::pair<std::string, std::string>> out;
  auto w = words(rest);
  if (w.empty()) return fail(std::string(what) + " requires at least one argument");
  if (w[0].find('=') == std::string::npos) {
    if (w.size() < 2) return fail(std::string(what) + " must have two arguments");
    auto space = rest.find_first_of(" \t");
    auto value = trim(rest.substr(space));
    auto vw = words(value);
    out.emplace_back(w[0], join(vw, " "));
    return out;
  }
  for (const auto& kv : w) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return fail(std::string("Syntax error - can't find = in \"") + kv + "\". Must be of the form: name=value");
    out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return out;
}

}  // namespace

Result<int64_t> parse_go_duration(std::string_view text) {
  if (text.empty()) return fail("invalid duration \"\"");
  double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (start == i) return fail("invalid duration \"" + std::string(text) + "\"");
    double n = std::stod(std::string(text.substr(start, i - start)));
    size_t us = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(us, i - us);
    double mult;
    if (unit == "ns") mult = 1;
    else if (unit == "us" || unit == "µs") mult = 1e3;
    else if (unit == "ms") mult = 1e6;
    else if (unit == "s") mult = 1e9;
    else if (unit == "m") mult = 60e9;
    else if (unit == "h") mult = 3600e9;
    else return fail("invalid duration \"" + std::string(text) + "\"");
    total += n * mult;
  }
  return static_cast<int64_t>(total);
}

Result<void> apply_change(RunConfig& rc, std::string_view instruction) {
  std::string_view line = trim(instruction);
  auto space = line.find_first_of(" \t");
  std::string cmd = to_lower(line.substr(0, space));
  std::string_view rest = space == std::string_view::npos ? std::string_view{} : trim(line.substr(space));
  if (cmd.empty()) return fail("empty change command");

  if (cmd == "cmd") {
    rc.cmd = command_form(rest);
  } else if (cmd == "entrypoint") {
    rc.entrypoint = command_form(rest);
  } else if (cmd == "env") {
    auto kvs = key_values(rest, "ENV");
    if (!kvs) return std::unexpected(kvs.error());
    for (const auto& [k, v] : *kvs) set_env(rc.env, k, v);
  } else if (cmd == "label") {
    auto kvs = key_values(rest, "LABEL");
    if (!kvs) return std::unexpected(kvs.error());
    for (const auto& [k, v] : *kvs) rc.labels[k] = v;
  } else if (cmd == "expose") {
    auto ports = words(rest);
    if (ports.empty()) return fail("EXPOSE requires at least one argument");
    for (auto p : ports) {
      std::string proto = "tcp";
      if (auto slash = p.find('/'); slash != std::string::npos) {
        proto = to_lower(p.substr(slash + 1));
        p = p.substr(0, slash);
      }
      if (proto != "tcp" && proto != "udp" && proto != "sctp") return fail("invalid proto: " + proto);
      auto dash = p.find('-');
      auto num = [](const std::string& s) -> std::optional<int> {
        if (s.empty() || !std::all_of(s.begin(), s.end(), ::isdigit) || s.size() > 5) return std::nullopt;
        int n = std::stoi(s);
        return n >= 1 && n <= 65535 ? std::optional<int>(n) : std::nullopt;
      };
      auto lo = num(p.substr(0, dash)), hi = dash == std::string::npos ? lo : num(p.substr(dash + 1));
      if (!lo || !hi || *hi < *lo) return fail("invalid containerPort: " + p);
      for (int n = *lo; n <= *hi; ++n) rc.exposed_ports.insert(std::to_string(n) + "/" + proto);
    }
  } else if (cmd == "volume") {
    auto vols = json_form(rest);
    std::vector<std::string> list = vols ? *vols : words(rest);
    if (list.empty()) return fail("VOLUME requires at least one argument");
    for (const auto& v : list) {
      if (trim(v).empty()) return fail("VOLUME specified can not be an empty string");
      rc.volumes.insert(v);
    }
  } else if (cmd == "user") {
    if (rest.empty()) return fail("USER requires exactly one argument");
    rc.user = std::string(rest);
  } else if (cmd == "workdir") {
    if (rest.empty()) return fail("WORKDIR requires exactly one argument");
    std::string dir(rest);
    // Relative WORKDIRs build on the previous one, as in a Dockerfile.
    if (dir.front() != '/') dir = (rc.working_dir.empty() ? std::string("/") : rc.working_dir + "/") + dir;
    rc.working_dir = dir;
  } else if (cmd == "stopsignal") {
    if (rest.empty()) return fail("STOPSIGNAL requires exactly one argument");
    rc.stop_signal = std::string(rest);
  } else if (cmd == "onbuild") {
    if (rest.empty()) return fail("ONBUILD requires at least one argument");
    rc.on_build.emplace_back(rest);
  } else if (cmd == "healthcheck") {
    HealthConfig h;
    std::string_view r = rest;
    while (r.starts_with("--")) {
      auto sp = r.find_first_of(" \t");
      std::string flag(r.substr(2, sp == std::string_view::npos ? sp : sp - 2));
      r = sp == std::string_view::npos ? std::string_view{} : trim(r.substr(sp));
      auto eq = flag.find('=');
      if (eq == std::string::npos) return fail("HEALTHCHECK flag --" + flag + " needs a value");
      std::string name = flag.substr(0, eq), value = flag.substr(eq + 1);
      if (name == "retries") {
        if (value.empty() || !std::all_of(value.begin(), value.end(), ::isdigit)) return fail("invalid --retries " + value);
        h.retries = std::stoi(value);
        continue;
      }
      auto d = parse_go_duration(value);
      if (!d) return std::unexpected(d.error());
      if (name == "interval") h.interval_ns = *d;
      else if (name == "timeout") h.timeout_ns = *d;
      else if (name == "start-period") h.start_period_ns = *d;
      else if (name == "start-interval") h.start_interval_ns = *d;
      else return fail("Unknown flag: " + name);
    }
    auto sp = r.find_first_of(" \t");
    std::string kind = to_lower(r.substr(0, sp));
    std::string_view args = sp == std::string_view::npos ? std::string_view{} : trim(r.substr(sp));
    if (kind == "none") {
      h.test = {"NONE"};
    } else if (kind == "cmd") {
      if (auto j = json_form(args)) {
        h.test = {"CMD"};
        h.test.insert(h.test.end(), j->begin(), j->end());
      } else {
        h.test = {"CMD-SHELL", std::string(args)};
      }
    } else {
      return fail("Unknown type \"" + kind + "\" in HEALTHCHECK (try CMD)");
    }
    rc.healthcheck = h;
  } else {
    return fail(cmd + " is not a valid change command");
  }
  return {};
}

}  // namespace stack::image
