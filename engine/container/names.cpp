#include "engine/container/names.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace stack::container {
namespace {

// Our own word lists, in Docker's style (an adjective and a notable scientist
// or engineer's surname).
constexpr std::array kAdjectives = {
    "agile",    "amazing",  "bold",     "brave",    "bright",   "busy",     "calm",     "careful",  "charming",
    "cheerful", "clever",   "cool",     "crisp",    "curious",  "daring",   "dazzling", "eager",    "earnest",
    "elastic",  "elegant",  "epic",     "fervent",  "festive",  "fluffy",   "focused",  "friendly", "gallant",
    "gentle",   "gifted",   "glowing",  "happy",    "hardy",    "humble",   "jolly",    "keen",     "kind",
    "laughing", "lively",   "loving",   "lucid",    "merry",    "mighty",   "modest",   "nimble",   "noble",
    "patient",  "peaceful", "plucky",   "polite",   "proud",    "quick",    "quiet",    "radiant",  "relaxed",
    "serene",   "sharp",    "shiny",    "sleepy",   "smart",    "snappy",   "sober",    "steady",   "stoic",
    "sunny",    "swift",    "tender",   "thirsty",  "tidy",     "upbeat",   "vibrant",  "vivid",    "wizardly",
    "witty",    "zealous",  "zen",
};

constexpr std::array kSurnames = {
    "agnesi",    "al_khwarizmi", "archimedes", "babbage",   "backus",    "bardeen",  "bartik",    "bohr",
    "boole",     "cannon",       "cerf",       "chandrasekhar", "curie", "darwin",   "dijkstra",  "einstein",
    "euclid",    "euler",        "faraday",    "fermat",    "fermi",     "feynman",  "franklin",  "galileo",
    "gauss",     "germain",      "goldberg",   "goodall",   "hamilton",  "hawking",  "heisenberg", "hodgkin",
    "hopper",    "hypatia",      "jackson",    "johnson",   "kepler",    "khayyam",  "knuth",     "kowalevski",
    "lamarr",    "lamport",      "leavitt",    "liskov",    "lovelace",  "maxwell",  "mccarthy",  "meitner",
    "mendel",    "mirzakhani",   "newton",     "nightingale", "noether", "pascal",   "pasteur",   "planck",
    "ptolemy",   "raman",        "ritchie",    "rubin",     "sammet",    "shannon",  "shockley",  "sinoussi",
    "stallman",  "swartz",       "tesla",      "thompson",  "torvalds",  "turing",   "volta",     "wescoff",
    "wilson",    "wozniak",      "wright",     "yalow",     "yonath",
};

void random_bytes(void* buf, size_t len) {
  auto* p = static_cast<unsigned char*>(buf);
  while (len > 0) {
    ssize_t n = ::getrandom(p, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // getrandom cannot fail on Linux >= 3.17 with a valid buffer; abort rather
      // than hand out predictable ids.
      std::abort();
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
}

uint32_t random_below(uint32_t n) {
  uint32_t v = 0;
  random_bytes(&v, sizeof v);
  return v % n;
}

bool valid_first(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

std::string generate_id() {
  static constexpr char kHex[] = "0123456789abcdef";
  for (;;) {
    unsigned char raw[32];
    random_bytes(raw, sizeof raw);
    std::string id;
    id.reserve(64);
    for (unsigned char b : raw) {
      id += kHex[b >> 4];
      id += kHex[b & 0xf];
    }
    // As moby's stringid: a short id that parses as a number is ambiguous with
    // numeric names; draw again.
    bool all_digits = true;
    for (size_t i = 0; i < 12; ++i) all_digits = all_digits && id[i] >= '0' && id[i] <= '9';
    if (!all_digits) return id;
  }
}

std::string generate_name(const std::function<bool(const std::string&)>& taken, std::string_view id_fallback) {
  for (int attempt = 0; attempt < 6; ++attempt) {
    std::string name;
    do {
      name = std::string(kAdjectives[random_below(kAdjectives.size())]) + "_" +
             kSurnames[random_below(kSurnames.size())];
    } while (name == "boring_wozniak");  // Steve Wozniak is not boring (moby's rule).
    if (attempt > 0) name += static_cast<char>('0' + random_below(10));
    if (!taken || !taken(name)) return name;
  }
  return std::string(id_fallback.substr(0, 12));
}

Result<void> validate_name(std::string_view name) {
  std::string_view bare = name;
  if (!bare.empty() && bare.front() == '/') bare.remove_prefix(1);
  bool ok = bare.size() >= 2 && valid_first(bare.front());
  for (size_t i = 1; ok && i < bare.size(); ++i) {
    char c = bare[i];
    ok = valid_first(c) || c == '_' || c == '.' || c == '-';
  }
  if (!ok)
    return fail("Invalid container name (" + std::string(name) + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                EINVAL);
  return {};
}

std::string canonical_name(std::string_view name) {
  if (!name.empty() && name.front() == '/') return std::string(name);
  return "/" + std::string(name);
}

}  // namespace stack::container
