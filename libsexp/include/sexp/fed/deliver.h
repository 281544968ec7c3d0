// sexp/fed/deliver.h — the delivery loop: a thread that claims due
// deliveries from a FedStore, hands each to a Transport (a signed HTTP POST,
// a sexpr:// frame, a test double), and records the outcome — delivered,
// tried again later (sexp/fed/outbox.h's backoff), or a dead letter. It runs
// by itself: nothing needs flushing; Kick only makes it look sooner.
//
//   sexp::fed::DeliveryLoop loop(*store, transport, {.per_inbox = 4});
//   loop.Start();   // with options.owner: takes back what it had under way before a crash
//   store->Enqueue(activity, inboxes, now);  loop.Kick();
//   …
//   loop.Stop();  // no new posts; waits for those under way (their outcome is stored)
//
// At least once: a delivery whose outcome was never stored (a crash after
// the POST) is posted again once its lease runs out. Threads: Start, Kick,
// Stop and Stats from any thread; the transport's `done` from any thread.
#ifndef SEXP_FED_DELIVER_H_
#define SEXP_FED_DELIVER_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "sexp/fed/outbox.h"
#include "sexp/fed/store.h"

namespace sexp::fed {

class Transport {
 public:
  virtual ~Transport() = default;
  // Posts `d.body` to `d.inbox`. Calls `done` exactly once, from any thread:
  // the HTTP status (0: no answer — refused, reset, timed out) and what went
  // wrong ("" on success).
  virtual void Post(const Delivery& d, std::function<void(int status, std::string error)> done) = 0;
};

struct DeliveryOptions {
  RetryPolicy retry;
  size_t per_inbox = 4;        // posts under way to one inbox at most
  size_t max_in_flight = 256;  // posts under way in all
  // How long a claimed delivery is held for this loop: a post must end
  // within it (the transport's timeout is shorter), and after a crash the
  // delivery is tried again once it has passed.
  int64_t lease_ms = 60'000;
  int64_t poll_ms = 1'000;  // looks for due deliveries at least this often
  // Who this loop is in the store's leases. A loop started under the name
  // of one that died (the same host restarted) takes back what that one
  // had under way at once. "" : leases are only waited out.
  std::string owner;
  // Milliseconds since the epoch; default: the system clock.
  std::function<int64_t()> clock;
};

struct DeliveryStats {
  uint64_t posted = 0;
  uint64_t delivered = 0;
  uint64_t retried = 0;
  uint64_t dead = 0;
  uint64_t in_flight = 0;
  uint64_t store_errors = 0;
  std::string last_error;
};

class DeliveryLoop {
 public:
  // `store` and `transport` must outlive the loop.
  DeliveryLoop(FedStore& store, Transport& transport, DeliveryOptions options = {});
  ~DeliveryLoop();  // Stop()
  DeliveryLoop(const DeliveryLoop&) = delete;
  DeliveryLoop& operator=(const DeliveryLoop&) = delete;

  void Start();
  void Kick();
  // Claims nothing more, then waits until every post under way has ended
  // and its outcome is stored.
  void Stop();
  DeliveryStats Stats() const;

 private:
  void Run();
  void Finish(const Delivery& d, int status, const std::string& error);
  int64_t Now() const;

  FedStore& store_;
  Transport& transport_;
  DeliveryOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool kicked_ = false;    // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  DeliveryStats stats_;    // guarded by mu_
  uint64_t random_state_;  // loop thread and Finish, guarded by mu_
  std::thread thread_;
};

}  // namespace sexp::fed

#endif  // SEXP_FED_DELIVER_H_
