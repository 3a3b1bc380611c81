#include "engine/image/digest.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "common/unique_fd.h"
#include "engine/image/reference.h"

namespace stack::image {

void Sha256::Free::operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  // Allocation failure of a few bytes is not a recoverable condition here.
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) std::abort();
}
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t size) {
  if (size) EVP_DigestUpdate(ctx_.get(), data, size);
}

std::string Sha256::digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_.get(), md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  out.reserve(7 + 2 * len);
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string sha256_digest(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.digest();
}

Result<std::string> sha256_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("open " + path);
  Sha256 h;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read " + path);
    }
    if (n == 0) break;
    h.update(buf, static_cast<size_t>(n));
  }
  return h.digest();
}

Result<std::string> digest_hex(std::string_view digest) {
  if (!is_sha256_digest(digest)) return fail("invalid digest " + std::string(digest) + ": want sha256:<64 hex digits>");
  return std::string(digest.substr(7));
}

std::string short_id(std::string_view id) {
  if (auto colon = id.find(':'); colon != std::string_view::npos) id = id.substr(colon + 1);
  return std::string(id.substr(0, 12));
}

}  // namespace stack::image
