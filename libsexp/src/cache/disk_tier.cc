// DiskTier: a content-addressed store in the manner of IPFS's flatfs.
//
//   ROOT/blobs/XY/CID      a value, named by the CIDv1 of its own bytes
//   ROOT/index/XY/KEYCID   the key's entry: the 59 characters of a blob CID
//   ROOT/tmp/              files being written, renamed into place when whole
//
// XY is the two characters before a CID's last one (flatfs's "next-to-last/2"
// sharding: every CID starts with the same "bafkrmi", and the last character
// carries only two bits of the digest).
//
// Nothing is trusted on the way back: an index entry must be a CID, and a
// blob's bytes must hash to the CID in its name; both must be regular files
// (opened without following symlinks and without blocking, so a symlink to
// /dev/zero or a FIFO cannot stall or exhaust a reader), of at most 256 bytes
// and max_value_bytes. Anything else is damage — a truncated write after a
// crash, a disk error, an edit by hand — and is removed and answered as a
// miss, so the next Put writes it again. A blob
// that is already there with the right size is not written again (equal
// values are stored once); if it is damaged all the same, the first read
// finds out.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/file.h"
#include "sexp/cache/cache.h"

namespace sexp {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

absl::Status IoError(std::string_view what, const std::string& path, int err) {
  return absl::UnavailableError("disk: " + std::string(what) + " " + path + ": " +
                                ErrnoText(err));
}

// The two characters before the last (CIDs are 59 characters; anything
// shorter, which no stored file is named, shards to "__").
std::string Shard(std::string_view cid) {
  if (cid.size() < 3) return "__";
  return std::string(cid.substr(cid.size() - 3, 2));
}

// A whole file (internal::ReadWholeFile) that must be a regular file of at
// most `max_bytes`: a symlink (to /dev/zero, say), a FIFO, a device or an
// oversized file is damage (FailedPrecondition), as are bytes that do not
// hash right; other errors keep this tier's prefix (Unavailable).
absl::StatusOr<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  internal::ReadFileLimits limits;
  limits.max_bytes = max_bytes;
  limits.regular_only = true;
  absl::StatusOr<std::string> bytes = internal::ReadWholeFile(path, limits);
  if (absl::IsFailedPrecondition(bytes.status()) || absl::IsOutOfRange(bytes.status())) {
    return absl::FailedPreconditionError(bytes.status().message());
  }
  if (!bytes.ok() && !absl::IsNotFound(bytes.status())) {
    return absl::UnavailableError("disk: " + std::string(bytes.status().message()));
  }
  return bytes;
}

// An index entry is one blob CID (59 characters); a little slack, no more.
constexpr size_t kMaxIndexBytes = 256;

}  // namespace

struct DiskTier::Impl {
  std::string root;
  size_t max_value_bytes;
  std::atomic<uint64_t> integrity_failures{0};

  absl::Status MakeDir(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return absl::UnavailableError("disk: mkdir " + dir + ": " + ec.message());
    }
    return absl::OkStatus();
  }

  // Writes `bytes` to `path` whole or not at all: a temporary file in
  // ROOT/tmp, renamed over `path` (rename is atomic within a filesystem).
  absl::Status WriteAtomically(const std::string& dir, const std::string& path,
                               std::string_view bytes) {
    if (absl::Status s = MakeDir(dir); !s.ok()) return s;
    std::string tmp_dir = root + "/tmp";
    if (absl::Status s = MakeDir(tmp_dir); !s.ok()) return s;
    std::string tmp = tmp_dir + "/put-XXXXXX";
    int fd = ::mkstemp(tmp.data());
    if (fd < 0) return IoError("create", tmp, errno);
    bool ok = internal::WriteAll(fd, bytes);
    int err = errno;
    if (::close(fd) != 0 && ok) {
      ok = false;
      err = errno;
    }
    if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) {
      ok = false;
      err = errno;
    }
    if (!ok) {
      ::unlink(tmp.c_str());
      return IoError("write", path, err);
    }
    return absl::OkStatus();
  }
};

DiskTier::DiskTier(std::string root, size_t max_value_bytes)
    : impl_(std::make_unique<Impl>()) {
  impl_->max_value_bytes = max_value_bytes;
  if (root.empty()) root = ".";
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  impl_->root = std::move(root);
}
DiskTier::~DiskTier() = default;

const std::string& DiskTier::root() const { return impl_->root; }

std::string DiskTier::BlobPath(std::string_view cid) const {
  return impl_->root + "/blobs/" + Shard(cid) + "/" + std::string(cid);
}

std::string DiskTier::IndexPath(const Digest& key) const {
  std::string cid = key.cid();
  return impl_->root + "/index/" + Shard(cid) + "/" + cid;
}

uint64_t DiskTier::integrity_failures() const { return impl_->integrity_failures.load(); }

absl::StatusOr<std::optional<std::string>> DiskTier::Get(const Digest& key) {
  const std::string index_path = IndexPath(key);
  absl::StatusOr<std::string> entry = ReadFile(index_path, kMaxIndexBytes);
  if (absl::IsNotFound(entry.status())) return std::optional<std::string>();
  if (absl::IsFailedPrecondition(entry.status())) {  // not a file, or too big: damage
    ::unlink(index_path.c_str());
    impl_->integrity_failures.fetch_add(1);
    return std::optional<std::string>();
  }
  if (!entry.ok()) return entry.status();

  Result<Digest> blob = ParseAddress(*entry);
  if (!blob.ok() || blob->cid() != *entry) {  // the CID form only
    ::unlink(index_path.c_str());
    impl_->integrity_failures.fetch_add(1);
    return std::optional<std::string>();
  }
  const std::string blob_path = BlobPath(*entry);
  absl::StatusOr<std::string> bytes = ReadFile(blob_path, impl_->max_value_bytes);
  if (absl::IsNotFound(bytes.status())) {  // removed as damaged, through another key
    ::unlink(index_path.c_str());
    return std::optional<std::string>();
  }
  if (!bytes.ok() && !absl::IsFailedPrecondition(bytes.status())) return bytes.status();
  if (!bytes.ok() || !(Sha3_256(*bytes) == *blob)) {
    ::unlink(blob_path.c_str());
    ::unlink(index_path.c_str());
    impl_->integrity_failures.fetch_add(1);
    return std::optional<std::string>();
  }
  return std::optional<std::string>(std::move(*bytes));
}

absl::Status DiskTier::Put(const Digest& key, std::string_view bytes) {
  if (bytes.size() > impl_->max_value_bytes) {
    return absl::InvalidArgumentError("disk: a value of " + std::to_string(bytes.size()) +
                                      " bytes is over the tier's limit of " +
                                      std::to_string(impl_->max_value_bytes));
  }
  const std::string blob_cid = Sha3_256(bytes).cid();
  const std::string blob_path = BlobPath(blob_cid);
  struct stat st;
  bool present = ::stat(blob_path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
                 static_cast<uint64_t>(st.st_size) == bytes.size();
  if (!present) {
    std::string dir = impl_->root + "/blobs/" + Shard(blob_cid);
    if (absl::Status s = impl_->WriteAtomically(dir, blob_path, bytes); !s.ok()) return s;
  }
  const std::string key_cid = key.cid();
  std::string dir = impl_->root + "/index/" + Shard(key_cid);
  return impl_->WriteAtomically(dir, IndexPath(key), blob_cid);
}

}  // namespace sexp
