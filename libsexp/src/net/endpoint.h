// Internal: the QUIC adapter's endpoint — one UDP socket, the epoll loop
// that reads it, and the thread that runs that loop. Protocol-free: it moves
// datagrams and runs tasks and timers; what a datagram means is its
// subclass's business (net/listener.h for servers, ClientCore in client.cc).
// An HTTP/3 host would derive from it (through Listener) as sexpr/1 does.
//
// Ownership: an Endpoint owns its socket, epoll set, eventfd and thread.
// It is not copied or moved (the loop thread holds `this`). Join the loop
// (StopAndJoin) before destroying it: a joinable std::thread terminates.
//
// Threads: everything ngtcp2 is touched on the loop thread only — that is
// what keeps the adapter free of locks around connections. The protected
// hooks run on the loop thread; Post, RunOrPost, OnLoop and StopAndJoin are
// how other threads reach it. Open and StartThread are called once, before
// any of those, from the thread that builds the endpoint.
//
// A loop turn: write what the last turn made pending (Flush), fire expired
// timers (OnExpiry), sleep until the next timer or input, read a bounded
// batch of datagrams (OnPacket), then run the posted tasks.
#ifndef SEXP_SRC_NET_ENDPOINT_H_
#define SEXP_SRC_NET_ENDPOINT_H_

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sexp::net_internal {

// Nanoseconds of the steady clock: ngtcp2's timestamps and the loop's timers.
uint64_t Now();

// A socket address of either family.
struct Address {
  sockaddr_storage addr{};
  socklen_t len = 0;  // 0: the connected peer (send, not sendto)
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&addr); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&addr); }
};

// The first UDP address of `host`:`port`. `numeric`: `host` must be an
// address literal (a server's bind address; no DNS lookup).
absl::StatusOr<Address> Resolve(std::string_view host, uint16_t port, bool numeric);

// The port of `a` (either family), in host order.
uint16_t PortOf(const Address& a);

class Endpoint {
 public:
  Endpoint() = default;
  virtual ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  // Opens the socket, bound to `local` (server) or connected to `remote`
  // (client).
  absl::Status Open(const Address* local, const Address* remote);
  // Starts the loop thread. After Open.
  void StartThread();

  // Runs `task` on the loop thread. False (and `task` dropped) once stopped.
  bool Post(std::function<void()> task);

  // Runs `task` now when called on the loop thread, else posts it. False
  // when it could not be posted (stopped).
  bool RunOrPost(std::function<void()> task) {
    if (OnLoopThread()) {
      task();
      return true;
    }
    return Post(std::move(task));
  }

  // `compute()`'s result, computed on the loop thread (the caller waits
  // for it); nullopt once stopped.
  template <typename F>
  auto OnLoop(F compute) -> std::optional<decltype(compute())> {
    using T = decltype(compute());
    if (OnLoopThread()) return compute();
    auto promise = std::make_shared<std::promise<T>>();
    std::future<T> result = promise->get_future();
    if (!Post([promise, compute] { promise->set_value(compute()); })) return std::nullopt;
    return result.get();
  }

  // Stops the loop (after OnStop) and joins it. Any thread but the loop's.
  void StopAndJoin();

  bool OnLoopThread() const { return std::this_thread::get_id() == thread_.get_id(); }
  const Address& local() const { return local_; }

  // Loop thread. One datagram to `to` (len 0: the connected peer). A send
  // that fails is a lost packet, which QUIC's recovery resends.
  void SendPacket(const Address& to, const uint8_t* data, size_t n);

  // Loop thread. Sends `n` bytes of packets, each `segment` bytes but the
  // last, in one system call where the kernel segments UDP (GSO, Linux >=
  // 4.18); one call a packet where it cannot.
  void SendPackets(const Address& to, const uint8_t* data, size_t n, size_t segment);

 protected:
  // Loop-thread hooks.
  virtual void OnPacket(const Address& from, const uint8_t* data, size_t n) = 0;
  virtual void Flush() = 0;                 // write what is pending
  virtual uint64_t NextExpiry() = 0;        // UINT64_MAX: none
  virtual void OnExpiry(uint64_t now) = 0;
  virtual void OnStop() = 0;                // close everything
  virtual void OnSocketError(int err) {}     // recvfrom failed with `err`

 private:
  void Run();

  int fd_ = -1;
  bool gso_ = true;  // loop thread; false once the kernel refused UDP_SEGMENT
  Address local_;
  int epfd_ = -1;
  int evfd_ = -1;
  std::mutex mu_;
  std::vector<std::function<void()>> tasks_;  // guarded by mu_
  bool stopped_ = false;                      // guarded by mu_
  bool stop_requested_ = false;               // loop thread only
  std::thread thread_;
};

}  // namespace sexp::net_internal

#endif  // SEXP_SRC_NET_ENDPOINT_H_
