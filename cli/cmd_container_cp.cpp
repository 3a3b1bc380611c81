// `stack container cp SRC DST` (one side CONTAINER:PATH, "-" a tar on stdin/stdout) and
// `stack container export [-o FILE] CONTAINER`, as docker's cp.go and export.go: the
// destination's stat (HEAD /archive) decides where the tar goes and under which name;
// tars of local paths and extraction of the daemon's tars use the engine's archive
// code (every entry resolved inside the destination directory).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <iostream>

#include "cli/cmd_container.h"
#include "engine/container/archive_path.h"
#include "engine/daemon/archive.h"

namespace stack::cli::container {
namespace {

using stack::container::ArchivePath;
using stack::container::PathStat;

struct CpFlags {
  std::string src, dst;
  bool archive = false, follow_link = false;
};

struct ExportFlags {
  std::string output, container;
};

// docker's splitCpArg: "ctr:path" names a container path unless the part before the
// colon looks like a local path (absolute, or starting with ".").
struct CpArg {
  std::string container, path;
};
CpArg split_cp_arg(const std::string& arg) {
  if (arg.starts_with('/')) return {"", arg};
  size_t colon = arg.find(':');
  if (colon == std::string::npos || arg.starts_with('.')) return {"", arg};
  return {arg.substr(0, colon), arg.substr(colon + 1)};
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

Result<std::string> read_fd(int fd) {
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("read");
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

std::string absolute(const std::string& p) {
  if (p.starts_with('/')) return p;
  char cwd[PATH_MAX];
  if (!::getcwd(cwd, sizeof cwd)) return p;
  return std::string(cwd) + "/" + p;
}

std::string parent_dir(const std::string& p) {
  std::string c = stack::container::clean_path(p);
  size_t at = c.rfind('/');
  if (at == std::string::npos) return ".";
  return at == 0 ? "/" : c.substr(0, at);
}

// HEAD /archive: the stat, nullopt for 404 (a missing path), or the error.
Result<std::optional<PathStat>> stat_path(client::Client& c, const std::string& ctr, const std::string& path) {
  auto r = c.request("HEAD", "/containers/" + esc(ctr) + "/archive?path=" + esc(path));
  if (!r) return std::unexpected(r.error());
  if (r->status == 404) {
    // No body on a HEAD answer: a missing container and a missing path look alike;
    // inspect tells them apart.
    auto i = c.get("/containers/" + esc(ctr) + "/json");
    if (i && i->status == 404) return std::unexpected(api_error(*i));
    return std::optional<PathStat>{};
  }
  if (r->status >= 300) return std::unexpected(api_error(*r));
  auto s = stack::container::parse_stat_header(r->header("x-docker-container-path-stat"));
  if (!s) return std::unexpected(s.error());
  return std::optional<PathStat>{*s};
}

// A tar of a local path, its top entry named `top`.
Result<std::string> tar_local(const std::string& src, const std::string& top) {
  auto p = stack::container::parse_archive_path(absolute(src));
  if (!p) return std::unexpected(p.error());
  auto root = daemon::open_root("/");
  if (!root) return std::unexpected(root.error());
  UniqueFd mem(::memfd_create("stack-cp", MFD_CLOEXEC));
  if (!mem) return fail_errno("memfd_create");
  if (auto w = daemon::write_path_tar(root->get(), *p, mem.get(), top); !w) return std::unexpected(w.error());
  if (::lseek(mem.get(), 0, SEEK_SET) < 0) return fail_errno("seek");
  return read_fd(mem.get());
}

int copy_to_container(client::Client& c, const std::string& src, const CpArg& dst, const CpFlags& f) {
  std::string target = "/containers/" + esc(dst.container) + "/archive?noOverwriteDirNonDir=true" +
                       std::string(f.archive ? "&copyUIDGID=true" : "");
  auto dst_stat = stat_path(c, dst.container, dst.path);
  if (!dst_stat) return report(dst_stat.error());
  std::optional<PathStat> ds = *dst_stat;
  // A symlink destination: where it points decides (docker's CopyInfoDestinationPath).
  if (ds && S_ISLNK(ds->st_mode) && !ds->link_target.empty()) {
    auto again = stat_path(c, dst.container, ds->link_target);
    if (!again) return report(again.error());
    ds = *again;
  }
  std::string body, dir;
  if (src == "-") {
    if (!ds || !ds->is_dir()) return report(Error{"destination \"" + dst.container + ":" + dst.path + "\" must be a directory"});
    auto in = read_fd(0);
    if (!in) return report(in.error());
    body = std::move(*in);
    dir = dst.path;
  } else {
    struct stat st{};
    if ((f.follow_link ? ::stat(src.c_str(), &st) : ::lstat(src.c_str(), &st)) != 0) {
      return report(Error{(f.follow_link ? "stat " : "lstat ") + absolute(src), errno});
    }
    bool src_dir = S_ISDIR(st.st_mode);
    bool contents = src.ends_with("/.") || src == ".";
    std::string top = contents ? "." : stack::container::base_name(src);
    if (ds && ds->is_dir()) {
      dir = dst.path;
    } else if (ds) {
      if (src_dir) return report(Error{"cannot copy directory"});
      dir = parent_dir(dst.path);
      top = stack::container::base_name(dst.path);
    } else {
      if (dst.path.ends_with('/') && !src_dir) return report(Error{"no such directory"});
      dir = parent_dir(dst.path);
      top = stack::container::base_name(dst.path);
    }
    auto tar = tar_local(src, top);
    if (!tar) return report(tar.error());
    body = std::move(*tar);
  }
  auto r = c.request("PUT", target + "&path=" + esc(dir), body, "application/x-tar");
  if (!r) return report(r.error());
  if (r->status >= 300) return report(api_error(*r));
  return 0;
}

int copy_from_container(client::Client& c, const CpArg& src, const std::string& dst) {
  std::string target = "/containers/" + esc(src.container) + "/archive?path=" + esc(src.path);
  client::Response head;
  std::string tar, error_body;
  bool to_stdout = dst == "-";
  bool write_failed = false;
  auto status = c.stream("GET", target, {}, [&](std::string_view piece) {
    if (head.status >= 300) error_body.append(piece);
    else if (to_stdout) write_failed = !write_all(1, piece);
    else tar.append(piece);
    return !write_failed;
  }, &head);
  if (!status) return report(status.error());
  if (*status >= 300) {
    head.body = error_body;
    return report(api_error(head));
  }
  if (to_stdout) return write_failed ? report(Error{"write to stdout", EPIPE}) : 0;

  auto stat = stack::container::parse_stat_header(head.header("x-docker-container-path-stat"));
  if (!stat) return report(stat.error());
  bool contents = src.path.ends_with("/.") || src.path == ".";
  daemon::ExtractOptions o;
  o.keep_owner = false;  // as docker's CopyTo (NoLchown): files belong to whoever copies
  o.no_overwrite_dir_non_dir = true;
  std::string into;
  struct stat st{};
  bool exists = ::stat(dst.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) {
    into = dst;
    if (contents) o.rebase = stack::container::Rebase{".", ""};
  } else if (exists) {
    if (stat->is_dir()) return report(Error{"cannot copy directory"});
    into = parent_dir(absolute(dst));
    o.rebase = stack::container::Rebase{stat->name, stack::container::base_name(dst)};
  } else {
    if (dst.ends_with('/') && !stat->is_dir()) return report(Error{"no such directory"});
    into = parent_dir(absolute(dst));
    o.rebase = stack::container::Rebase{stat->name, stack::container::base_name(dst)};
  }
  o.display_dir = into;
  auto dir = daemon::open_root(into);
  if (!dir) return report(dir.error());
  if (auto x = daemon::extract_tar(dir->get(), std::string_view(tar), o); !x) return report(x.error());
  return 0;
}

int cp(const StateFlags& state, const CpFlags& f) {
  CpArg src = split_cp_arg(f.src), dst = split_cp_arg(f.dst);
  if (!src.container.empty() && !dst.container.empty()) return report(Error{"copying between containers is not supported"});
  if (src.container.empty() && dst.container.empty()) return report(Error{"must specify at least one container source"});
  auto c = connect(state);
  if (!c) return 1;
  if (!src.container.empty()) return copy_from_container(*c, src, f.dst);
  return copy_to_container(*c, f.src, dst, f);
}

int export_container(const StateFlags& state, const ExportFlags& f) {
  if (f.output.empty() && ::isatty(1)) {
    return report(Error{"cowardly refusing to save to a terminal. Use the -o flag or redirect"});
  }
  auto c = connect(state);
  if (!c) return 1;
  UniqueFd out;
  std::string partial;
  if (!f.output.empty()) {
    partial = f.output + ".stack-partial";
    out.reset(::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!out) return report(Error{"create " + partial, errno});
  }
  int fd = out ? out.get() : 1;
  client::Response head;
  std::string error_body;
  bool write_failed = false;
  auto status = c->stream("GET", "/containers/" + esc(f.container) + "/export", {}, [&](std::string_view piece) {
    if (head.status >= 300) error_body.append(piece);
    else write_failed = !write_all(fd, piece);
    return !write_failed;
  }, &head);
  auto drop = [&] {
    if (!partial.empty()) ::unlink(partial.c_str());
  };
  if (!status) {
    drop();
    return report(status.error());
  }
  if (*status >= 300) {
    drop();
    head.body = error_body;
    return report(api_error(head));
  }
  if (write_failed) {
    drop();
    return report(Error{"write " + (f.output.empty() ? std::string("stdout") : f.output), errno});
  }
  if (!partial.empty() && ::rename(partial.c_str(), f.output.c_str()) != 0) {
    drop();
    return report(Error{"rename " + partial + " to " + f.output, errno});
  }
  return 0;
}

}  // namespace

void add_cp_commands(CLI::App& parent, const StateFlags& state, std::vector<Command>& subs) {
  auto* c = parent.add_subcommand("cp", "Copy files/folders between a container and the local filesystem");
  auto f = std::make_shared<CpFlags>();
  c->add_flag("-a,--archive", f->archive, "Archive mode (copy all uid/gid information)");
  c->add_flag("-L,--follow-link", f->follow_link, "Always follow symbol link in SRC_PATH");
  c->add_option("src", f->src, "SRC: CONTAINER:SRC_PATH, a local path, or - (a tar on stdin)")->required();
  c->add_option("dst", f->dst, "DEST: CONTAINER:DEST_PATH, a local path, or - (a tar to stdout)")->required();
  subs.push_back({c, [&state, f] { return cp(state, *f); }});

  auto* e = parent.add_subcommand("export", "Export a container's filesystem as a tar archive");
  auto x = std::make_shared<ExportFlags>();
  e->add_option("-o,--output", x->output, "Write to a file, instead of STDOUT");
  e->add_option("container", x->container, "CONTAINER")->required();
  subs.push_back({e, [&state, x] { return export_container(state, *x); }});
}

}  // namespace stack::cli::container
