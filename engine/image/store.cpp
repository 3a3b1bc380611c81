#include "engine/image/store.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <set>

#include "common/files.h"
#include "common/strings.h"
#include "engine/image/changes.h"
#include "engine/image/digest.h"
#include "engine/image/layer_unpack.h"
#include "engine/image/reference.h"

namespace stack::image {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kIndexType = "application/vnd.oci.image.index.v1+json";
constexpr const char* kConfigType = "application/vnd.oci.image.config.v1+json";
constexpr const char* kLayerType = "application/vnd.oci.image.layer.v1.tar";
constexpr const char* kDockerManifestType = "application/vnd.docker.distribution.manifest.v2+json";
constexpr const char* kDockerListType = "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr const char* kNameAnnotation = "io.containerd.image.name";
constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";
constexpr const char* kIdAnnotation = "io.stack.image.id";
constexpr const char* kTagTimeAnnotation = "io.stack.image.tagged";

std::string hex_of(const std::string& digest) { return digest.substr(digest.find(':') + 1); }

// A temp directory that removes itself unless released.
class TempTree {
 public:
  explicit TempTree(std::string path) : path_(std::move(path)) {}
  TempTree(const TempTree&) = delete;
  ~TempTree() {
    if (!path_.empty()) (void)remove_tree(path_);
  }
  const std::string& path() const { return path_; }
  void release() { path_.clear(); }

 private:
  std::string path_;
};

std::string familiar(const std::string& full) {
  auto ref = parse_reference(full);
  return ref ? ref->familiar_string() : full;
}

bool is_hex_prefix(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'); });
}

// Docker's isImageIDPrefix.
bool is_id_prefix(const std::string& id, const std::string& text) {
  return id.starts_with(text) || hex_of(id).starts_with(text);
}

std::string manifest_json(const std::string& config_digest, uint64_t config_size, const std::vector<std::string>& diff_ids,
                          const std::vector<uint64_t>& layer_sizes) {
  ordered_json m;
  m["schemaVersion"] = 2;
  m["mediaType"] = kManifestType;
  m["config"] = {{"mediaType", kConfigType}, {"digest", config_digest}, {"size", config_size}};
  m["layers"] = ordered_json::array();
  for (size_t i = 0; i < diff_ids.size(); ++i)
    m["layers"].push_back({{"mediaType", kLayerType}, {"digest", diff_ids[i]}, {"size", layer_sizes[i]}});
  return m.dump();
}

// Reads an archive's regular files into a staging dir; symlinks are kept as a map so the
// legacy docker-save layout (layer.tar links between layer dirs) resolves.
class Staging {
 public:
  explicit Staging(std::string dir) : tree_(std::move(dir)) {}

  Result<void> read(const std::string& archive_path) {
    std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    const char* name = archive_path == "-" ? nullptr : archive_path.c_str();
    if (archive_read_open_filename(a.get(), name, 1 << 16) != ARCHIVE_OK)
      return fail(std::string("open ") + archive_path + ": " + archive_error_string(a.get()));
    archive_entry* e;
    int n = 0;
    for (;;) {
      int r = archive_read_next_header(a.get(), &e);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return fail(std::string("read archive: ") + archive_error_string(a.get()));
      std::string path = clean(archive_entry_pathname(e));
      if (path.empty()) continue;
      if (archive_entry_filetype(e) == AE_IFLNK) {
        std::string dir = path.find('/') == std::string::npos ? "" : path.substr(0, path.rfind('/') + 1);
        const char* target = archive_entry_symlink(e);
        links_[path] = clean(target && target[0] == '/' ? std::string(target) : dir + (target ? target : ""));
        continue;
      }
      if (archive_entry_filetype(e) != AE_IFREG) continue;
      std::string file = tree_.path() + "/f" + std::to_string(n++);
      UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
      if (!fd) return fail_errno("create " + file);
      const void* buf;
      size_t size;
      la_int64_t offset;
      for (;;) {
        int d = archive_read_data_block(a.get(), &buf, &size, &offset);
        if (d == ARCHIVE_EOF) break;
        if (d != ARCHIVE_OK) return fail(std::string("read archive entry ") + path + ": " + archive_error_string(a.get()));
        if (::pwrite(fd.get(), buf, size, offset) != static_cast<ssize_t>(size)) return fail_errno("write " + file);
      }
      files_[path] = file;
    }
    return {};
  }

  // The staged file for an archive path, following the archive's own symlinks.
  Result<std::string> file(const std::string& raw) const {
    std::string path = clean(raw);
    for (int hops = 0; hops < 16; ++hops) {
      if (auto it = files_.find(path); it != files_.end()) return it->second;
      auto l = links_.find(path);
      if (l == links_.end()) break;
      path = l->second;
    }
    return fail("archive has no file " + raw);
  }
  bool has(const std::string& path) const { return file(path).has_value(); }
  Result<std::string> text(const std::string& path) const {
    auto f = file(path);
    if (!f) return std::unexpected(f.error());
    return read_file(*f);
  }

 private:
  // Lexically cleaned, relative; "" for paths that climb out (never used then).
  static std::string clean(const std::string& p) {
    std::vector<std::string> out;
    for (const auto& c : [&] {
           std::vector<std::string> parts;
           size_t s = 0;
           while (s <= p.size()) {
             size_t n = p.find('/', s);
             parts.push_back(p.substr(s, n == std::string::npos ? std::string::npos : n - s));
             if (n == std::string::npos) break;
             s = n + 1;
           }
           return parts;
         }()) {
      if (c.empty() || c == ".") continue;
      if (c == "..") {
        if (out.empty()) return "";
        out.pop_back();
      } else {
        out.push_back(c);
      }
    }
    std::string r;
    for (const auto& c : out) r += (r.empty() ? "" : "/") + c;
    return r;
  }

  TempTree tree_;
  std::map<std::string, std::string> files_;
  std::map<std::string, std::string> links_;
};

struct ArchiveWriter {
  std::unique_ptr<archive, int (*)(archive*)> a{archive_write_new(), archive_write_free};

  Result<void> open(const std::string& path) {
    archive_write_set_format_pax_restricted(a.get());
    int r = path == "-" ? archive_write_open_fd(a.get(), 1) : archive_write_open_filename(a.get(), path.c_str());
    if (r != ARCHIVE_OK) return fail("open " + path + ": " + archive_error_string(a.get()));
    return {};
  }
  Result<void> header(const std::string& name, unsigned type, int64_t size) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), type);
    archive_entry_set_perm(e.get(), type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_size(e.get(), size);
    archive_entry_set_mtime(e.get(), 0, 0);  // fixed: the same image saves to the same bytes
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK)
      return fail("write archive entry " + name + ": " + archive_error_string(a.get()));
    return {};
  }
  Result<void> dir(const std::string& name) { return header(name, AE_IFDIR, 0); }
  Result<void> text(const std::string& name, std::string_view data) {
    if (auto r = header(name, AE_IFREG, static_cast<int64_t>(data.size())); !r) return r;
    if (archive_write_data(a.get(), data.data(), data.size()) != static_cast<la_ssize_t>(data.size()))
      return fail("write archive entry " + name + ": " + archive_error_string(a.get()));
    return {};
  }
  Result<void> file(const std::string& name, const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return fail_errno("open " + path);
    struct stat st {};
    ::fstat(fd.get(), &st);
    if (auto r = header(name, AE_IFREG, st.st_size); !r) return r;
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0) return fail_errno("read " + path);
      if (n == 0) break;
      if (archive_write_data(a.get(), buf, static_cast<size_t>(n)) != n)
        return fail("write archive entry " + name + ": " + archive_error_string(a.get()));
    }
    return {};
  }
  Result<void> close() {
    if (archive_write_close(a.get()) != ARCHIVE_OK) return fail(std::string("close archive: ") + archive_error_string(a.get()));
    return {};
  }
};

std::unexpected<Error> no_such_image(const std::string& reference) {
  std::string shown = reference;
  if (!is_hex_prefix(reference) && !reference.starts_with("sha256:"))
    if (auto ref = parse_tagged(reference)) shown = ref->familiar_string();
  return fail("No such image: " + shown);
}

bool label_matches(const std::map<std::string, std::string>& labels, const std::string& filter) {
  auto eq = filter.find('=');
  if (eq == std::string::npos) return labels.count(filter) > 0;
  auto it = labels.find(filter.substr(0, eq));
  return it != labels.end() && it->second == filter.substr(eq + 1);
}

}  // namespace

Result<Store> Store::open(const std::string& state_root) {
  ContentStore content(state_root + "/image");
  if (auto r = content.init(); !r) return std::unexpected(r.error().wrapped("open image store"));
  return Store(std::move(content));
}

// ---- index -----------------------------------------------------------------------

Result<Store::Index> Store::read_index() const {
  auto text = read_file(content_.index_path());
  if (!text) return std::unexpected(text.error());
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(content_.index_path() + ": not a JSON object");
  Index index;
  for (const auto& d : j.value("manifests", json::array())) {
    json ann = d.value("annotations", json::object());
    std::string id = ann.value(kIdAnnotation, "");
    if (!is_sha256_digest(id)) continue;  // not ours
    auto it = std::find_if(index.records.begin(), index.records.end(), [&](const Record& r) { return r.id == id; });
    if (it == index.records.end()) {
      index.records.push_back(Record{id, d.value("digest", ""), d.value("size", uint64_t{0}), {}, ann.value(kTagTimeAnnotation, "")});
      it = index.records.end() - 1;
    }
    if (std::string name = ann.value(kNameAnnotation, ""); !name.empty()) it->names.push_back(name);
  }
  return index;
}

Result<void> Store::write_index(const Index& index) const {
  ordered_json j;
  j["schemaVersion"] = 2;
  j["mediaType"] = kIndexType;
  j["manifests"] = ordered_json::array();
  for (const Record& r : index.records) {
    auto add = [&](const std::string& name) {
      ordered_json ann = ordered_json::object();
      if (!name.empty()) {
        ann[kNameAnnotation] = name;
        if (auto ref = parse_reference(name); ref && !ref->tag.empty()) ann[kRefNameAnnotation] = ref->tag;
      }
      ann[kIdAnnotation] = r.id;
      if (!r.last_tag_time.empty()) ann[kTagTimeAnnotation] = r.last_tag_time;
      j["manifests"].push_back({{"mediaType", kManifestType}, {"digest", r.manifest_digest}, {"size", r.manifest_size}, {"annotations", ann}});
    };
    if (r.names.empty()) add("");
    for (const auto& n : r.names) add(n);
  }
  return write_file_atomic(content_.index_path(), j.dump(2) + "\n");
}

Result<size_t> Store::resolve(const Index& index, const std::string& reference) const {
  auto by_id = [&](const std::string& id) -> std::optional<size_t> {
    for (size_t i = 0; i < index.records.size(); ++i)
      if (index.records[i].id == id) return i;
    return std::nullopt;
  };
  // A full ID, with or without "sha256:".
  if (is_sha256_digest(reference)) {
    if (auto i = by_id(reference)) return *i;
    return no_such_image(reference);
  }
  if (is_full_hex_id(reference)) {
    if (auto i = by_id("sha256:" + reference)) return *i;
    return no_such_image(reference);
  }
  auto ref = parse_tagged(reference);
  if (ref) {
    std::string full = ref->string();
    for (size_t i = 0; i < index.records.size(); ++i)
      for (const auto& n : index.records[i].names)
        if (n == full) return i;
  }
  // A short ID, as Docker's digest-set search: unique prefix only.
  std::string prefix = reference.starts_with("sha256:") ? reference.substr(7) : reference;
  if (is_hex_prefix(prefix)) {
    std::optional<size_t> found;
    for (size_t i = 0; i < index.records.size(); ++i) {
      if (hex_of(index.records[i].id).starts_with(prefix)) {
        if (found) return no_such_image(reference);  // ambiguous
        found = i;
      }
    }
    if (found) return *found;
  } else if (!ref) {
    return std::unexpected(ref.error());
  }
  return no_such_image(reference);
}

Result<ImageConfig> Store::read_config(const std::string& id) const {
  auto text = content_.read(id);
  if (!text) return std::unexpected(text.error());
  auto c = parse_image_config(*text);
  if (!c) return std::unexpected(c.error().wrapped("image " + id));
  return c;
}

uint64_t Store::layer_size(const std::string& chain_id) const {
  auto text = read_file(content_.layers_dir() + "/" + hex_of(chain_id) + "/size");
  if (!text) return 0;
  return std::strtoull(text->c_str(), nullptr, 10);
}

uint64_t Store::image_size(const ImageConfig& config) const {
  uint64_t total = 0;
  for (const auto& c : chain_ids(config.diff_ids)) total += layer_size(c);
  return total;
}

// ---- writing images --------------------------------------------------------------

Result<std::string> Store::ingest_layer(const std::string& path) {
  auto w = content_.writer();
  if (!w) return std::unexpected(w.error());
  auto r = decompress_file(path, [&](const void* data, size_t size) { return w->write(data, size); });
  if (!r) return std::unexpected(r.error().wrapped("read layer"));
  return w->commit();
}

Result<void> Store::ensure_layer(const std::string& chain_id, const std::string& diff_id) {
  std::string final_dir = content_.layers_dir() + "/" + hex_of(chain_id);
  if (is_directory(final_dir)) return {};
  auto tmp = content_.make_temp_dir("layer");
  if (!tmp) return std::unexpected(tmp.error());
  TempTree guard(*tmp);
  std::string diff = *tmp + "/diff";
  if (::mkdir(diff.c_str(), 0755) != 0) return fail_errno("mkdir " + diff);
  auto stats = unpack_layer(content_.blob_path(diff_id), diff);
  if (!stats) return std::unexpected(stats.error().wrapped("layer " + diff_id));
  if (auto r = write_file_atomic(*tmp + "/size", std::to_string(stats->size)); !r) return r;
  if (auto r = write_file_atomic(*tmp + "/diff_id", diff_id); !r) return r;
  // The unpacked tree appears all at once or not at all.
  if (::rename(tmp->c_str(), final_dir.c_str()) != 0) return fail_errno("rename " + *tmp + " to " + final_dir);
  guard.release();
  return {};
}

Result<std::string> Store::commit_image(Index& index, const std::string& config_text) {
  auto config = parse_image_config(config_text);
  if (!config) return std::unexpected(config.error());
  std::vector<uint64_t> sizes;
  for (const auto& d : config->diff_ids) {
    auto size = content_.blob_size(d);
    if (!size) return fail("layer " + d + " is missing from the store");
    sizes.push_back(*size);
  }
  auto chains = chain_ids(config->diff_ids);
  for (size_t i = 0; i < chains.size(); ++i)
    if (auto r = ensure_layer(chains[i], config->diff_ids[i]); !r) return std::unexpected(r.error());
  auto id = content_.put(config_text);
  if (!id) return std::unexpected(id.error());
  std::string manifest = manifest_json(*id, config_text.size(), config->diff_ids, sizes);
  auto mdigest = content_.put(manifest);
  if (!mdigest) return std::unexpected(mdigest.error());
  auto it = std::find_if(index.records.begin(), index.records.end(), [&](const Record& r) { return r.id == *id; });
  if (it == index.records.end()) index.records.push_back(Record{*id, *mdigest, manifest.size(), {}, ""});
  return *id;
}

std::string Store::set_name(Index& index, const std::string& id, const std::string& name) const {
  std::string previous;
  for (Record& r : index.records) {
    auto it = std::find(r.names.begin(), r.names.end(), name);
    if (it == r.names.end()) continue;
    if (r.id == id) return "";
    r.names.erase(it);
    previous = r.id;
  }
  for (Record& r : index.records) {
    if (r.id != id) continue;
    r.names.push_back(name);
    r.last_tag_time = rfc3339_now();
  }
  return previous;
}

Result<std::string> Store::import_rootfs(const ImportOptions& o) {
  std::optional<Reference> ref;
  if (!o.reference.empty()) {
    auto r = parse_tagged(o.reference);
    if (!r) return std::unexpected(r.error());
    if (!r->digest.empty()) return fail("refusing to create a tag with a digest reference");
    ref = *r;
  }
  ImageConfig config;
  config.architecture = host_architecture();
  config.os = "linux";
  if (!o.platform.empty()) {
    auto parts = split(o.platform, '/');
    if (parts.size() < 2 || parts[0].empty() || parts[1].empty()) return fail("invalid platform " + o.platform + ": want os/arch[/variant]");
    config.os = parts[0];
    config.architecture = parts[1];
    if (parts.size() > 2) config.variant = parts[2];
  }
  for (const auto& c : o.changes)
    if (auto r = apply_change(config.config, c); !r) return std::unexpected(r.error());

  auto lock = StoreLock::acquire(content_, StoreLock::Mode::exclusive);
  if (!lock) return std::unexpected(lock.error());
  auto index = read_index();
  if (!index) return std::unexpected(index.error());
  auto diff_id = ingest_layer(o.source == "-" ? "/dev/stdin" : o.source);
  if (!diff_id) return std::unexpected(diff_id.error().wrapped("import " + o.source));
  config.created = rfc3339_now();
  config.diff_ids = {*diff_id};
  config.history = {HistoryEntry{config.created, "", "", o.message.empty() ? "Imported from -" : o.message, false}};
  auto id = commit_image(*index, serialize_image_config(config));
  if (!id) return std::unexpected(id.error().wrapped("import " + o.source));
  if (ref) set_name(*index, *id, ref->string());
  if (auto r = write_index(*index); !r) return std::unexpected(r.error());
  return *id;
}

Result<LoadReport> Store::load(const std::string& archive_path) {
  auto lock = StoreLock::acquire(content_, StoreLock::Mode::exclusive);
  if (!lock) return std::unexpected(lock.error());
  auto index = read_index();
  if (!index) return std::unexpected(index.error());
  auto staging_dir = content_.make_temp_dir("load");
  if (!staging_dir) return std::unexpected(staging_dir.error());
  Staging staging(*staging_dir);
  if (auto r = staging.read(archive_path); !r) return std::unexpected(r.error());

  LoadReport report;
  auto add_image = [&](const std::string& config_text, const std::vector<std::string>& layer_paths,
                       const std::vector<std::string>& layer_digests, const std::vector<std::string>& names) -> Result<void> {
    auto config = parse_image_config(config_text);
    if (!config) return std::unexpected(config.error());
    if (config->diff_ids.size() != layer_paths.size())
      return fail("invalid manifest, layers length mismatch: expected " + std::to_string(config->diff_ids.size()) +
                  ", got " + std::to_string(layer_paths.size()));
    for (size_t i = 0; i < layer_paths.size(); ++i) {
      auto file = staging.file(layer_paths[i]);
      if (!file) return std::unexpected(file.error());
      if (!layer_digests.empty() && !layer_digests[i].empty()) {
        auto got = sha256_file(*file);
        if (!got) return std::unexpected(got.error());
        if (*got != layer_digests[i]) return fail("layer " + layer_paths[i] + ": digest mismatch: content is " + *got + ", manifest says " + layer_digests[i]);
      }
      auto diff_id = ingest_layer(*file);
      if (!diff_id) return std::unexpected(diff_id.error());
      // Docker's wording for a layer that is not what the config says.
      if (*diff_id != config->diff_ids[i])
        return fail("invalid diffID for layer " + std::to_string(i) + ": expected \"" + config->diff_ids[i] + "\", got \"" + *diff_id + "\"");
    }
    auto id = commit_image(*index, config_text);
    if (!id) return std::unexpected(id.error());
    bool named = false;
    for (const auto& n : names) {
      auto ref = parse_tagged(n);
      if (!ref || !ref->digest.empty()) return fail("invalid tag \"" + n + "\" in archive");
      std::string old = set_name(*index, *id, ref->string());
      if (!old.empty())
        report.lines.push_back("The image " + ref->familiar_string() + " already exists, renaming the old one with ID " + old + " to empty string");
      report.lines.push_back("Loaded image: " + ref->familiar_string());
      named = true;
    }
    if (!named) report.lines.push_back("Loaded image ID: " + *id);
    return {};
  };

  if (staging.has("manifest.json")) {
    auto text = staging.text("manifest.json");
    if (!text) return std::unexpected(text.error());
    json m = json::parse(*text, nullptr, false);
    if (m.is_discarded() || !m.is_array()) return fail("invalid archive: manifest.json is not a JSON array");
    for (const auto& entry : m) {
      if (!entry.is_object() || !entry.contains("Config") || !entry["Config"].is_string()) return fail("invalid archive: manifest.json entry without Config");
      auto config_text = staging.text(entry["Config"].get<std::string>());
      if (!config_text) return std::unexpected(config_text.error());
      std::vector<std::string> layers, names;
      for (const auto& l : entry.value("Layers", json::array())) layers.push_back(l.get<std::string>());
      if (auto t = entry.find("RepoTags"); t != entry.end() && t->is_array())
        for (const auto& n : *t) names.push_back(n.get<std::string>());
      if (auto r = add_image(*config_text, layers, {}, names); !r) return std::unexpected(r.error().wrapped("load " + archive_path));
    }
  } else if (staging.has("index.json")) {
    auto blob = [&](const json& desc) -> Result<std::string> {
      std::string digest = desc.value("digest", "");
      auto hex = digest_hex(digest);
      if (!hex) return std::unexpected(hex.error());
      auto text = staging.text("blobs/sha256/" + *hex);
      if (!text) return std::unexpected(text.error());
      if (sha256_digest(*text) != digest) return fail("blob " + digest + ": content does not match its digest");
      return text;
    };
    std::function<Result<void>(const json&, std::vector<std::string>)> visit = [&](const json& desc, std::vector<std::string> names) -> Result<void> {
      std::string type = desc.value("mediaType", "");
      auto text = blob(desc);
      if (!text) return std::unexpected(text.error());
      json doc = json::parse(*text, nullptr, false);
      if (doc.is_discarded()) return fail("blob " + desc.value("digest", "") + " is not JSON");
      if (type.empty()) type = doc.value("mediaType", "");
      if (type == kIndexType || type == kDockerListType) {
        // Multi-platform: take the entry for this host.
        std::string arch = host_architecture();
        for (const auto& d : doc.value("manifests", json::array())) {
          json p = d.value("platform", json::object());
          if (p.empty() || (p.value("os", "") == "linux" && p.value("architecture", "") == arch)) return visit(d, names);
        }
        return fail("no manifest for linux/" + arch + " in " + desc.value("digest", ""));
      }
      if (type != kManifestType && type != kDockerManifestType) return fail("unsupported media type " + type);
      auto config_text = blob(doc.value("config", json::object()));
      if (!config_text) return std::unexpected(config_text.error());
      std::vector<std::string> paths, digests;
      for (const auto& l : doc.value("layers", json::array())) {
        auto hex = digest_hex(l.value("digest", ""));
        if (!hex) return std::unexpected(hex.error());
        paths.push_back("blobs/sha256/" + *hex);
        digests.push_back(l.value("digest", ""));
      }
      return add_image(*config_text, paths, digests, names);
    };
    auto text = staging.text("index.json");
    if (!text) return std::unexpected(text.error());
    json idx = json::parse(*text, nullptr, false);
    if (idx.is_discarded() || !idx.is_object()) return fail("invalid archive: index.json is not a JSON object");
    for (const auto& d : idx.value("manifests", json::array())) {
      json ann = d.value("annotations", json::object());
      std::vector<std::string> names;
      std::string name = ann.value(kNameAnnotation, "");
      // A bare tag in ref.name ("latest") names nothing on its own.
      if (name.empty()) {
        std::string r = ann.value(kRefNameAnnotation, "");
        if (r.find_first_of(":/") != std::string::npos && parse_reference(r)) name = r;
      }
      if (!name.empty()) names.push_back(name);
      if (auto r = visit(d, names); !r) return std::unexpected(r.error().wrapped("load " + archive_path));
    }
  } else {
    return fail("load " + archive_path + ": not an image archive: no manifest.json or index.json");
  }
  if (auto r = write_index(*index); !r) return std::unexpected(r.error());
  return report;
}

Result<void> Store::save(const std::vector<std::string>& references, const std::string& output) {
  auto lock = StoreLock::acquire(content_, StoreLock::Mode::shared);
  if (!lock) return std::unexpected(lock.error());
  auto index = read_index();
  if (!index) return std::unexpected(index.error());
  // Image ID -> the names asked for. Docker saves by-ID requests without tags.
  std::vector<std::pair<std::string, std::vector<std::string>>> images;
  for (const auto& r : references) {
    auto pos = resolve(*index, r);
    if (!pos) return std::unexpected(pos.error());
    const Record& rec = index->records[*pos];
    auto it = std::find_if(images.begin(), images.end(), [&](const auto& p) { return p.first == rec.id; });
    if (it == images.end()) {
      images.push_back({rec.id, {}});
      it = images.end() - 1;
    }
    auto ref = parse_tagged(r);
    if (ref && !is_id_prefix(rec.id, r) && std::find(rec.names.begin(), rec.names.end(), ref->string()) != rec.names.end())
      if (std::find(it->second.begin(), it->second.end(), ref->string()) == it->second.end()) it->second.push_back(ref->string());
  }

  std::string tmp_out = output == "-" ? "-" : output + ".tmp." + std::to_string(::getpid());
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      if (!path.empty() && path != "-") ::unlink(path.c_str());
    }
  } cleanup{tmp_out};
  ArchiveWriter w;
  if (auto r = w.open(tmp_out); !r) return r;
  if (auto r = w.dir("blobs/"); !r) return r;
  if (auto r = w.dir("blobs/sha256/"); !r) return r;
  std::set<std::string> written;
  ordered_json manifest = ordered_json::array();
  ordered_json oci_index = {{"schemaVersion", 2}, {"mediaType", kIndexType}, {"manifests", ordered_json::array()}};
  ordered_json repositories = ordered_json::object();
  auto put_blob = [&](const std::string& digest) -> Result<void> {
    if (!written.insert(digest).second) return {};
    return w.file("blobs/sha256/" + hex_of(digest), content_.blob_path(digest));
  };
  for (const auto& [id, names] : images) {
    auto config = read_config(id);
    if (!config) return std::unexpected(config.error());
    ordered_json layers = ordered_json::array();
    for (const auto& d : config->diff_ids) {
      if (auto r = put_blob(d); !r) return r;
      layers.push_back("blobs/sha256/" + hex_of(d));
    }
    if (auto r = put_blob(id); !r) return r;
    const Record& rec = index->records[*resolve(*index, id)];
    if (auto r = put_blob(rec.manifest_digest); !r) return r;
    ordered_json tags = ordered_json::array();
    for (const auto& n : names) tags.push_back(familiar(n));
    ordered_json entry;
    entry["Config"] = "blobs/sha256/" + hex_of(id);
    entry["RepoTags"] = names.empty() ? ordered_json(nullptr) : tags;
    entry["Layers"] = layers;
    manifest.push_back(entry);
    auto desc = [&](const std::string& name) {
      ordered_json d = {{"mediaType", kManifestType}, {"digest", rec.manifest_digest}, {"size", rec.manifest_size}};
      if (!name.empty()) {
        auto ref = parse_reference(name);
        d["annotations"] = {{kNameAnnotation, name}, {kRefNameAnnotation, ref ? ref->tag : ""}};
      }
      oci_index["manifests"].push_back(d);
    };
    if (names.empty()) desc("");
    for (const auto& n : names) {
      desc(n);
      auto ref = parse_reference(n);
      if (ref && !config->diff_ids.empty()) repositories[ref->familiar_name()][ref->tag] = hex_of(chain_ids(config->diff_ids).back());
    }
  }
  if (auto r = w.text("index.json", oci_index.dump() + "\n"); !r) return r;
  if (auto r = w.text("manifest.json", manifest.dump() + "\n"); !r) return r;
  if (auto r = w.text("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"); !r) return r;
  if (!repositories.empty())
    if (auto r = w.text("repositories", repositories.dump() + "\n"); !r) return r;
  if (auto r = w.close(); !r) return r;
  if (output != "-") {
    if (::rename(tmp_out.c_str(), output.c_str()) != 0) return fail_errno("rename " + tmp_out + " to " + output);
    cleanup.path.clear();
  }
  return {};
}

// ---- reading ---------------------------------------------------------------------

Result<std::vector<ImageSummary>> Store::list() const {
  auto lock = StoreLock::acquire(content_, StoreLock::Mode::shared);
  if (!lock) return std::unexpected(lock.error());
  auto index = read_index();
  if (!index) return std::unexpected(index.error());
  std::vector<ImageSummary> out;
  for (const Record& r : index->records) {
    auto config = read_config(r.id);
    if (!config) return std::unexpected(config.error());
    ImageSummary s;
    s.id = r.id;
    for (const auto& n : r.names) s.repo_tags.push_back(familiar(n));
    s.created_text = config->created;
    s.created = parse_rfc3339(config->created).value_or(0);
    s.size = image_size(*config);
    s.labels = config->config.labels;
    out.push_back(std::move(s));
  }
  std::stable_sort(out.begin(), out.end(), [](const ImageSummary& a, const ImageSummary& b) { return a.created > b.created; });
  return out;
}

Result<Store::Resolved> Store::resolve_shared(const std::string& reference) const {
  auto lock = StoreLock::acquire(content_, StoreLock::Mode::shared);
  if (!lock) return std::unexpected(lock.error());
  auto index = read_index();
  if (!index) return std::unexpected(index.error());
  auto pos = resolve(*index, reference);
  if (!pos) return std::unexpected(pos.error());
  auto config = read_config(index->records[*pos].id);
  if (!config) return std::unexpected(config.error());
  return Resolved{index->records[*pos], std::move(*config)};
}

std::vector<std::string> Store::lower_dirs(const ImageConfig& config) const {
  std::vector<std::string> dirs;
  for (const auto& chain : chain_ids(config.diff_ids)) dirs.insert(dirs.begin(), content_.layers_dir() + "/" + hex_of(chain) + "/diff");
  return dirs;
}

Result<ImageConfig> Store::config(const std::string& reference) const {
  auto resolved = resolve_shared(reference);
  if (!resolved) return std::unexpected(resolved.error());
  return std::move(resolved->config);
}

Result<nlohmann::ordered_json> Store::inspect(const std::string& reference) const {
  auto resolved = resolve_shared(reference);
  if (!resolved) return std::unexpected(resolved.error());
  const Record& r = resolved->record;
  const ImageConfig* c = &resolved->config;
  ordered_json j;
  j["Id"] = r.id;
  j["RepoTags"] = ordered_json::array();
  for (const auto& n : r.names) j["RepoTags"].push_back(familiar(n));
  j["RepoDigests"] = ordered_json::array();
  j["Parent"] = "";
  j["Comment"] = c->history.empty() ? c->comment : c->history.back().comment;
  j["Created"] = c->created;
  j["Container"] = "";
  j["ContainerConfig"] = inspect_run_config(RunConfig{});
  j["DockerVersion"] = c->docker_version;
  j["Author"] = c->author;
  j["Config"] = inspect_run_config(c->config);
  j["Architecture"] = c->architecture;
  if (!c->variant.empty()) j["Variant"] = c->variant;
  j["Os"] = c->os;
  uint64_t size = image_size(*c);
  j["Size"] = size;
  j["VirtualSize"] = size;
  ordered_json data = ordered_json::object();
  data["LowerDir"] = join(lower_dirs(*c), ":");
  j["GraphDriver"] = {{"Data", data}, {"Name", "overlay"}};
  j["RootFS"] = {{"Type", "layers"}, {"Layers", c->diff_ids}};
  j["Metadata"] = {{"LastTagTime", r.last_tag_time.empty() ? "0001-01-01T00:00:00Z" : r.last_tag_time}};
  return j;
}

Result<std::vector<HistoryRow>> Store::history(const std::string& reference) const {
  auto resolved = resolve_shared(reference);
  if (!resolved) return std::unexpected(resolved.error());
  const Record& r = resolved->record;
  const ImageConfig* c = &resolved->config;
  auto chains = chain_ids(c->diff_ids);
  std::vector<HistoryRow> rows;
  size_t layer = 0;
  for (const auto& h : c->history) {
    HistoryRow row{"<missing>", parse_rfc3339(h.created).value_or(0), h.created_by, 0, h.comment};
    if (!h.empty_layer && layer < chains.size()) row.size = layer_size(chains[layer++]);
    rows.push_back(std::move(row));
  }
  if (rows.empty()) rows.push_back(HistoryRow{"<missing>", parse_rfc3339(c->created).value_or(0), "", image_size(*c), ""});
  std::reverse(rows.begin(), rows.end());
  rows.front().id = r.id;
  return rows;
}

Result<std::vector<std::string>> Store::layer_dirs(const std::string& reference) const {
  auto c = config(reference);
  if (!c) return std::unexpected(c.error());
  std::vector<std::string> dirs = lower_dirs(*c);
  for (const auto& d : dirs)
    if (!is_directory(d)) return fail("layer " + d + " of image " + reference + " is not unpacked");
  return dirs;
}

// ---- names and removal -----------------------------------------------------------

Result<void> Store::tag(const std::string& source, const std::string& target) {
  auto ref = parse_tagged(target);
  if (!ref) return std::unexpected(ref.error());
  if (!ref->digest.empty()) return fail("refusing to create a tag with a digest reference");
  auto lock = StoreLock::acquire(content_, StoreLock::Mode::exclusive);
  if (!lock) return std::unexpected(lock.error());
  auto index = read_index();
  if (!index) return std::unexpected(index.error());
  auto pos = resolve(*index, source);
  if (!pos) return std::unexpected(pos.error());
  set_name(*index, index->records[*pos].id, ref->string());
  return write_index(*index);
}

Result<std::vector<RemoveItem>> Store::delete_image(Index& index, size_t pos, uint64_t* reclaimed) {
  std::vector<RemoveItem> items;
  Record rec = index.records[pos];
  auto config = read_config(rec.id);
  index.records.erase(index.records.begin() + static_cast<long>(pos));
  // What the images that remain still use.
  std::set<std::string> used_blobs, used_chains;
  for (const Record& r : index.records) {
    used_blobs.insert(r.id);
    used_blobs.insert(r.manifest_digest);
    if (auto c = read_config(r.id)) {
      for (const auto& d : c->diff_ids) used_blobs.insert(d);
      for (const auto& ch : chain_ids(c->diff_ids)) used_chains.insert(ch);
    }
  }
  // The index goes first: a crash later leaves unreferenced blobs, never a dangling index.
  if (auto r = write_index(index); !r) return std::unexpected(r.error());
  items.push_back({"", rec.id});
  if (!used_blobs.count(rec.manifest_digest)) (void)content_.remove(rec.manifest_digest);
  if (!used_blobs.count(rec.id)) (void)content_.remove(rec.id);
  if (config) {
    auto chains = chain_ids(config->diff_ids);
    for (size_t i = chains.size(); i-- > 0;) {
      if (used_chains.count(chains[i])) continue;
      if (reclaimed) *reclaimed += layer_size(chains[i]);
      if (auto r = remove_tree(content_.layers_dir() + "/" + hex_of(chains[i])); !r) return std::unexpected(r.error());
      items.push_back({"", chains[i]});
    }
    for (const auto& d : config->diff_ids)
      if (!used_blobs.count(d)) (void)content_.remove(d);
  }
  return items;
}

Result<std::vector<RemoveItem>> Store::remove_locked(Index& index, const std::string& reference, bool force,
                                                     uint64_t* reclaimed) {
  auto pos = resolve(index, reference);
  if (!pos) return std::unexpected(pos.error());
  Record& rec = index.records[*pos];
  std::vector<RemoveItem> items;
  if (!is_id_prefix(rec.id, reference)) {
    // A name was given: untag it; the image goes only with its last name.
    auto ref = parse_tagged(reference);
    if (!ref) return std::unexpected(ref.error());
    std::erase(rec.names, ref->string());
    items.push_back({ref->familiar_string(), ""});
    if (!rec.names.empty()) {
      if (auto r = write_index(index); !r) return std::unexpected(r.error());
      return items;
    }
  } else if (rec.names.size() > 1 && !force) {
    // Docker: by ID, an image with several names needs -f.
    return fail("conflict: unable to delete " + short_id(rec.id) + " (must be forced) - image is referenced in multiple repositories");
  } else {
    for (const auto& n : rec.names) items.push_back({familiar(n), ""});
    rec.names.clear();
  }
  auto deleted = delete_image(index, *pos, reclaimed);
  if (!deleted) return std::unexpected(deleted.error());
  items.insert(items.end(), deleted->begin(), deleted->end());
  return items;
}

Result<std::vector<RemoveItem>> Store::remove(const std::string& reference, bool force) {
  auto lock = StoreLock::acquire(content_, StoreLock::Mode::exclusive);
  if (!lock) return std::unexpected(lock.error());
  auto index = read_index();
  if (!index) return std::unexpected(index.error());
  return remove_locked(*index, reference, force, nullptr);
}

Result<PruneReport> Store::prune(const PruneOptions& o) {
  bool dangling_only = !o.all;
  for (const auto& [k, v] : o.filters) {
    if (k == "dangling") {
      if (v != "true" && v != "false" && v != "1" && v != "0") return fail("invalid filter 'dangling=" + v + "'");
      dangling_only = v == "true" || v == "1";
    } else if (k != "label" && k != "label!" && k != "until") {
      return fail("invalid filter '" + k + "'");
    }
  }
  auto lock = StoreLock::acquire(content_, StoreLock::Mode::exclusive);
  if (!lock) return std::unexpected(lock.error());
  auto index = read_index();
  if (!index) return std::unexpected(index.error());
  PruneReport report;
  std::vector<Record> candidates = index->records;
  auto now = std::time(nullptr);
  for (const Record& r : candidates) {
    if (dangling_only && !r.names.empty()) continue;
    auto c = read_config(r.id);
    if (!c) return std::unexpected(c.error());
    bool keep = false;
    for (const auto& [k, v] : o.filters) {
      if (k == "label" && !label_matches(c->config.labels, v)) keep = true;
      if (k == "label!" && label_matches(c->config.labels, v)) keep = true;
      if (k == "until") {
        auto secs = parse_go_duration(v);
        auto ts = secs ? std::optional<int64_t>(now - *secs / 1000000000) : parse_rfc3339(v);
        if (!ts) return fail("invalid filter 'until=" + v + "'");
        if (parse_rfc3339(c->created).value_or(0) >= *ts) keep = true;
      }
    }
    if (keep) continue;
    std::vector<std::string> targets;
    if (r.names.empty()) targets.push_back(r.id);
    for (const auto& n : r.names) targets.push_back(n);
    for (const auto& t : targets) {
      auto items = remove_locked(*index, t, false, &report.reclaimed);
      if (!items) return std::unexpected(items.error());
      report.items.insert(report.items.end(), items->begin(), items->end());
    }
  }
  return report;
}

// ---- commit ----------------------------------------------------------------------

Result<std::string> Store::commit(const CommitRequest& c) {
  std::optional<Reference> ref;
  if (!c.reference.empty()) {
    auto r = parse_tagged(c.reference);
    if (!r) return std::unexpected(r.error());
    if (!r->digest.empty()) return fail("refusing to create a tag with a digest reference", EINVAL);
    ref = *r;
  }
  auto lock = StoreLock::acquire(content_, StoreLock::Mode::exclusive);
  if (!lock) return std::unexpected(lock.error());
  auto index = read_index();
  if (!index) return std::unexpected(index.error());
  auto parent = read_config(c.parent);
  if (!parent) return std::unexpected(parent.error().wrapped("commit on " + c.parent));
  // moby image.NewChildImage: the parent's rootfs and history, one more history entry,
  // and one more layer unless the container changed nothing.
  ImageConfig config;
  config.architecture = parent->architecture;
  config.os = parent->os;
  config.variant = parent->variant;
  config.created = rfc3339_now();
  config.author = c.author;
  config.config = c.config;
  config.diff_ids = parent->diff_ids;
  config.history = parent->history;
  if (!c.layer_tar.empty()) {
    auto diff_id = ingest_layer(c.layer_tar);
    if (!diff_id) return std::unexpected(diff_id.error().wrapped("commit"));
    config.diff_ids.push_back(*diff_id);
  }
  config.history.push_back(HistoryEntry{config.created, c.created_by, c.author, c.comment, c.layer_tar.empty()});
  json doc = json::parse(serialize_image_config(config));
  if (!c.container_id.empty()) doc["container"] = c.container_id;
  doc["container_config"] = c.container_config;
  auto id = commit_image(*index, doc.dump());
  if (!id) return std::unexpected(id.error().wrapped("commit"));
  if (ref) set_name(*index, *id, ref->string());
  if (auto r = write_index(*index); !r) return std::unexpected(r.error());
  return *id;
}

}  // namespace stack::image
