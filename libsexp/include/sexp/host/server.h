// sexp/host/server.h — a Site served over HTTP/1.1 from one process: one
// event-loop thread owns the sockets (epoll), worker threads evaluate pages
// (each with its own SiteWorker), static files are answered on the loop.
//
//   auto site = sexp::host::Site::Load({.dir = "examples/host/site"});
//   auto host = sexp::host::HttpHost::Start(*site, {.port = 8080});
//   … (*host)->Reload(*sexp::host::Site::Load(...));   // SIGHUP: no connection dropped
//   (*host)->Shutdown(std::chrono::seconds(10));        // SIGTERM: in-flight requests finish
//
// Limits (spec/host.md "Limits"): header and body caps (Http1Limits), a
// request that does not arrive whole within request_timeout is answered 408
// (slowloris), an idle keep-alive connection closes after idle_timeout, a
// peer that stops reading its answers is dropped after write_timeout, at
// most max_connections are open (more are answered 503 and closed), and a
// connection reads no further while max_pipelined of its requests wait or
// max_output_bytes of answers are unsent. Answers go out in request order.
//
// Threads: Start, Reload, Stats and Shutdown may be called from any thread
// but the host's own; the destructor shuts down with no grace period.
#ifndef SEXP_HOST_SERVER_H_
#define SEXP_HOST_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sexp/host/http1.h"
#include "sexp/host/site.h"

namespace sexp::host {

struct HostOptions {
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal
  uint16_t port = 8080;                // 0: the system picks (see port())
  size_t workers = 0;                  // page threads; 0: one per core
  Http1Limits http1;
  size_t max_connections = 10000;
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds write_timeout{30000};
  size_t max_pipelined = 32;
  size_t max_output_bytes = size_t{16} << 20;
  // Called on a worker thread with a failed page's full error (the client
  // only sees its code). nullptr: written to stderr.
  std::function<void(const std::string& line)> log;
};

struct HostStats {
  uint64_t connections = 0;        // open now
  uint64_t connections_total = 0;  // accepted since Start
  uint64_t connections_refused = 0;
  uint64_t requests = 0;           // answered
  uint64_t bad_requests = 0;       // answered 4xx/5xx by the HTTP layer and closed
  uint64_t timeouts = 0;           // 408s, idle closes and stalled writers
  uint64_t reloads = 0;
};

class HttpHost {
 public:
  static absl::StatusOr<std::unique_ptr<HttpHost>> Start(std::shared_ptr<const Site> site,
                                                         const HostOptions& options);
  ~HttpHost();
  HttpHost(const HttpHost&) = delete;
  HttpHost& operator=(const HttpHost&) = delete;

  uint16_t port() const;
  // Requests from now on are answered by `site` (each worker rebuilds its
  // environment before its next request); open connections stay open.
  void Reload(std::shared_ptr<const Site> site);
  std::shared_ptr<const Site> site() const;
  HostStats Stats() const;
  // Answers `request` on a worker thread as if it had come over HTTP/1.1
  // (another transport's requests: sexpr://); `done` runs on that worker
  // thread. After Shutdown, `done` gets 503 at once.
  void Submit(HttpRequest request, std::function<void(HttpResponse)> done);
  // Stops accepting, lets requests already read finish and be written
  // (their answers say Connection: close), closes idle connections, and
  // returns when all are closed or `grace` has passed (then closes the rest).
  void Shutdown(std::chrono::milliseconds grace);
  // Blocks until Shutdown has finished (for a CLI's main thread).
  void Wait();

  struct Core;

 private:
  explicit HttpHost(std::unique_ptr<Core> core);
  std::unique_ptr<Core> core_;
};

}  // namespace sexp::host

#endif  // SEXP_HOST_SERVER_H_
