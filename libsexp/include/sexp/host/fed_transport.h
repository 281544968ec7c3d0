// sexp/host/fed_transport.h — federation's deliveries (sexp/fed/deliver.h)
// as HTTP/1.1 POSTs to inboxes, each signed with the sending actor's key
// (an HTTP message signature: RFC 9421, or cavage for servers that know
// only that), on a few threads of its own.
//
//   sexp::host::HttpFedTransport transport([&](std::string_view actor) {
//     return std::optional<sexp::host::ActorKey>({key, actor_id + "#main-key"});
//   });
//   sexp::fed::DeliveryLoop loop(*store, transport);
//
// A body that starts with '{' goes as application/activity+json, anything
// else as application/x-sexpr. http:// inboxes only, for now (loopback and
// private networks; https needs a TLS client the host does not have yet).
//
// Threads: Post from any thread; `done` runs on one of the transport's.
// The destructor finishes the posts queued (each bounded by the timeout).
#ifndef SEXP_HOST_FED_TRANSPORT_H_
#define SEXP_HOST_FED_TRANSPORT_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sexp/fed/deliver.h"
#include "sexp/sig/httpsig.h"
#include "sexp/sig/key.h"

namespace sexp::host {

// How an actor signs its deliveries.
struct ActorKey {
  sig::Key key;
  std::string key_id;
  sig::Scheme scheme = sig::Scheme::kRfc9421;
};
// The actor's key, or nullopt when it has none (its deliveries fail).
using ActorKeys = std::function<std::optional<ActorKey>(std::string_view actor)>;

struct HttpFedTransportOptions {
  size_t threads = 4;
  std::chrono::milliseconds timeout{10000};  // connect, send and answer together
  size_t max_answer_bytes = size_t{1} << 20;
  // Seconds since the epoch for the signatures' `created`; default: the clock.
  std::function<int64_t()> clock;
};

class HttpFedTransport final : public fed::Transport {
 public:
  explicit HttpFedTransport(ActorKeys keys, HttpFedTransportOptions options = {});
  ~HttpFedTransport() override;
  HttpFedTransport(const HttpFedTransport&) = delete;
  HttpFedTransport& operator=(const HttpFedTransport&) = delete;

  void Post(const fed::Delivery& d, std::function<void(int status, std::string error)> done) override;

 private:
  struct Job {
    fed::Delivery delivery;
    std::function<void(int, std::string)> done;
  };
  void Run();
  void Deliver(const Job& job);

  ActorKeys keys_;
  HttpFedTransportOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;   // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace sexp::host

#endif  // SEXP_HOST_FED_TRANSPORT_H_
