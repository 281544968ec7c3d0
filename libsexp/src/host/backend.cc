// A small blocking HTTP/1.1 client, the answer parsed by llhttp (as
// http1.cc's requests). Connections are kept alive and reused: each worker
// thread keeps its idle ones per backend (a page's rounds, and the pages
// after it, go over the same few connections instead of a new one each).
// A kept connection is used only if it is still quiet — neither closed by
// the backend nor holding bytes nobody asked for — so a request is never
// sent on a connection the backend has already given up (and never
// retried: an `action` must not run twice).
#include "host/backend.h"

#include <fcntl.h>
#include <llhttp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/strutil.h"
#include "net/endpoint.h"
#include "sexp/host/http1.h"
#include "sexp/net/quic.h"

namespace sexp::host_internal {
namespace {

using internal::AV;
using Clock = std::chrono::steady_clock;

struct Target {
  quic::HostPort authority;  // the port defaults to 80
  std::string path = "/";
};

// http://HOST[:PORT][/path], the authority read as sexpr:// URLs read theirs.
absl::StatusOr<Target> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return absl::InvalidArgumentError(absl::StrCat("not an http:// URL: ", AV(url)));
  }
  url.remove_prefix(kScheme.size());
  size_t slash = url.find('/');
  absl::StatusOr<quic::HostPort> authority = quic::ParseHostPort(url.substr(0, slash), 80);
  if (!authority.ok() || authority->port == 0) {
    return absl::InvalidArgumentError(absl::StrCat("a bad host or port in http://", AV(url)));
  }
  Target t{*std::move(authority)};
  if (slash != std::string_view::npos) t.path = std::string(url.substr(slash));
  return t;
}

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
}

// Waits for `events` on `fd`; false at the deadline.
bool Wait(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    int left = MillisLeft(deadline);
    if (left == 0) return false;
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, left);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the next call report it
  }
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

struct Answer {
  std::string body;
  bool complete = false;
  size_t max_bytes = 0;
  bool too_big = false;
  bool keep_alive = false;
};

int OnBody(llhttp_t* p, const char* at, size_t n) {
  auto* a = static_cast<Answer*>(p->data);
  if (a->body.size() + n > a->max_bytes) {
    a->too_big = true;
    return -1;
  }
  a->body.append(at, n);
  return 0;
}
int OnComplete(llhttp_t* p) {
  auto* a = static_cast<Answer*>(p->data);
  a->complete = true;
  // Asked here: llhttp clears the message's flags once it is complete.
  a->keep_alive = llhttp_should_keep_alive(p) != 0;
  return 0;
}

// The connections this thread keeps open, per "host:port"; closed when the
// thread ends.
struct IdlePool {
  absl::flat_hash_map<std::string, std::vector<int>> idle;
  ~IdlePool() {
    for (auto& [key, fds] : idle) {
      for (int fd : fds) close(fd);
    }
  }
};
thread_local IdlePool pool;
constexpr size_t kMaxIdlePerBackend = 8;

// A kept connection to `key` that is still quiet, or -1.
int TakeIdle(const std::string& key) {
  auto it = pool.idle.find(key);
  if (it == pool.idle.end()) return -1;
  while (!it->second.empty()) {
    int fd = it->second.back();
    it->second.pop_back();
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 0) == 0) return fd;  // nothing to read: not closed, not talking
    close(fd);
  }
  return -1;
}

void KeepIdle(const std::string& key, int fd) {
  std::vector<int>& fds = pool.idle[key];
  if (fds.size() >= kMaxIdlePerBackend) {
    close(fd);
    return;
  }
  fds.push_back(fd);
}

absl::StatusOr<int> Connect(const Target& target, std::string_view url, Clock::time_point deadline) {
  absl::StatusOr<net_internal::Address> to =
      net_internal::Resolve(target.authority.host, target.authority.port, /*numeric=*/false);
  if (!to.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", to.status().message()));
  }
  Fd sock;
  sock.fd = socket(to->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (sock.fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", AV(strerror(errno))));
  if (connect(sock.fd, to->get(), to->len) != 0 && errno != EINPROGRESS) {
    return absl::UnavailableError(absl::StrCat("connecting to ", AV(url), ": ", AV(strerror(errno))));
  }
  if (!Wait(sock.fd, POLLOUT, deadline)) {
    return absl::DeadlineExceededError(absl::StrCat("connecting to ", AV(url), ": timed out"));
  }
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(sock.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    return absl::UnavailableError(absl::StrCat("connecting to ", AV(url), ": ", AV(strerror(err))));
  }
  int one = 1;
  setsockopt(sock.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  int fd = sock.fd;
  sock.fd = -1;
  return fd;
}

}  // namespace

absl::StatusOr<std::string> PostSx(std::string_view url, std::string_view body,
                                   Clock::time_point deadline, size_t max_bytes) {
  absl::StatusOr<HttpAnswer> answer =
      Post(url, {{"Content-Type", "application/x-sexpr"}, {"Accept", "application/x-sexpr"}}, body,
           deadline, max_bytes);
  if (!answer.ok()) return answer.status();
  if (answer->status != 200) {
    return absl::FailedPreconditionError(absl::StrCat(AV(url), " answered ", answer->status));
  }
  return std::move(answer->body);
}

absl::StatusOr<HttpAnswer> Post(std::string_view url,
                                const std::vector<std::pair<std::string, std::string>>& fields,
                                std::string_view body, Clock::time_point deadline,
                                size_t max_bytes) {
  absl::StatusOr<Target> target = ParseHttpUrl(url);
  if (!target.ok()) return target.status();
  const bool v6 = target->authority.host.find(':') != std::string::npos;
  const std::string key = absl::StrCat(v6 ? "[" : "", target->authority.host, v6 ? "]" : "", ":",
                                       target->authority.port);
  Fd sock;
  sock.fd = TakeIdle(key);
  if (sock.fd < 0) {
    absl::StatusOr<int> fd = Connect(*target, url, deadline);
    if (!fd.ok()) return fd.status();
    sock.fd = *fd;
  }
  std::string request = absl::StrCat("POST ", target->path, " HTTP/1.1\r\n");
  bool has_host = false;
  for (const auto& [name, value] : fields) {
    has_host = has_host || host::EqualsIgnoreCase(name, "host");
    absl::StrAppend(&request, name, ": ", value, "\r\n");
  }
  if (!has_host) absl::StrAppend(&request, "Host: ", key, "\r\n");
  absl::StrAppend(&request, "Content-Length: ", body.size(), "\r\n\r\n");
  request.append(body);
  std::string_view rest = request;
  while (!rest.empty()) {
    ssize_t n = send(sock.fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n > 0) {
      rest.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return absl::UnavailableError(absl::StrCat("sending to ", AV(url), ": ", AV(strerror(errno))));
    } else if (!Wait(sock.fd, POLLOUT, deadline)) {
      return absl::DeadlineExceededError(absl::StrCat("sending to ", AV(url), ": timed out"));
    }
  }
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_body = OnBody;
  settings.on_message_complete = OnComplete;
  llhttp_t parser;
  llhttp_init(&parser, HTTP_RESPONSE, &settings);
  Answer answer;
  answer.max_bytes = max_bytes;
  parser.data = &answer;
  char buf[16384];
  while (!answer.complete) {
    // Acknowledge at once: a backend that writes its answer's head and body
    // in two writes with Nagle on (hypercorn does) holds the body until the
    // head is acknowledged, and a delayed ACK makes that 40 ms a request on
    // a kept connection. Linux clears the flag as it goes: set it each time.
    int one = 1;
    setsockopt(sock.fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
    ssize_t n = recv(sock.fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!Wait(sock.fd, POLLIN, deadline)) {
        return absl::DeadlineExceededError(absl::StrCat(AV(url), ": no answer in time"));
      }
      continue;
    }
    if (n < 0) {
      return absl::UnavailableError(absl::StrCat("reading from ", AV(url), ": ", AV(strerror(errno))));
    }
    // The end of the connection ends a body that has no length.
    llhttp_errno_t e = n == 0 ? llhttp_finish(&parser)
                              : llhttp_execute(&parser, buf, static_cast<size_t>(n));
    if (answer.too_big) {
      return absl::FailedPreconditionError(absl::StrCat(AV(url), ": an answer over ", max_bytes, " bytes"));
    }
    if (e != HPE_OK && !(e == HPE_PAUSED_UPGRADE && answer.complete)) {
      return absl::FailedPreconditionError(absl::StrCat(
          AV(url), ": a malformed answer (", AV(llhttp_get_error_reason(&parser)), ")"));
    }
    if (n == 0 && !answer.complete) {
      return absl::UnavailableError(absl::StrCat(AV(url), ": the connection closed mid-answer"));
    }
  }
  if (answer.keep_alive) {
    KeepIdle(key, sock.fd);
    sock.fd = -1;
  }
  return HttpAnswer{parser.status_code, std::move(answer.body)};
}

}  // namespace sexp::host_internal
