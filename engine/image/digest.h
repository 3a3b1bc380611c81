// SHA-256 digests, streaming, with OpenSSL's EVP interface. Digests are written as
// "sha256:<64 lowercase hex>", as in OCI descriptors and Docker image IDs.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace stack::image {

class Sha256 {
 public:
  Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  ~Sha256();

  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // "sha256:<hex>"; the hasher cannot be used afterwards.
  std::string digest();

 private:
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const;
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

std::string sha256_digest(std::string_view data);
// Hashes a whole file in 64 KiB reads.
Result<std::string> sha256_file(const std::string& path);

// "sha256:<hex>" -> "<hex>"; an error naming the text if it is not a sha256 digest.
Result<std::string> digest_hex(std::string_view digest);

// Docker's short ID: the first 12 hex digits of "sha256:<hex>" (or of a bare hex string).
std::string short_id(std::string_view id);

}  // namespace stack::image
