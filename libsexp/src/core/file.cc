#include "core/file.h"

#include "sexp/core/sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace sexp::internal {
namespace {

absl::Status IoError(const char* what, const std::string& path, int err) {
  return absl::UnavailableError(std::string(what) + " " + path + ": " + std::strerror(err));
}

}  // namespace

absl::StatusOr<std::string> ReadWholeFile(const std::string& path, const ReadFileLimits& limits) {
  int flags = O_RDONLY | O_CLOEXEC;
  if (limits.regular_only) flags |= O_NOFOLLOW | O_NONBLOCK;
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(path);
    if (errno == ELOOP && limits.regular_only) {
      return absl::FailedPreconditionError(path + " is a symbolic link");
    }
    return IoError("open", path, errno);
  }
  auto too_large = [&] {
    return absl::OutOfRangeError(path + " is larger than " + std::to_string(limits.max_bytes) +
                                 " bytes");
  };
  std::string out;
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return IoError("stat", path, err);
  }
  if (limits.regular_only && !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError(path + " is not a regular file");
  }
  if (st.st_size > 0 && static_cast<uint64_t>(st.st_size) > limits.max_bytes) {
    ::close(fd);
    return too_large();
  }
  if (st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    if (out.size() > limits.max_bytes) {  // it grew while being read
      ::close(fd);
      return too_large();
    }
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return IoError("read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (out.size() > limits.max_bytes) {
    return too_large();
  }
  return out;
}

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace sexp::internal

namespace sexp {

bool FdSink::Write(std::string_view chunk) { return internal::WriteAll(fd_, chunk); }

}  // namespace sexp
