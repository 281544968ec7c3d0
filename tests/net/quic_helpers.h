// Helpers shared by the QUIC tests (quic_test.cc, quic_hostile_test.cc): a
// server on a free loopback port, a client that skips certificate checks,
// and polling for what settles on the server's own thread.
#ifndef SEXP_TESTS_NET_QUIC_HELPERS_H_
#define SEXP_TESTS_NET_QUIC_HELPERS_H_

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>
#include <utility>

#include "sexp/net/quic.h"

namespace sexp::quic::testing_helpers {

inline ServerOptions Loopback() {
  ServerOptions o;
  o.port = 0;
  return o;
}

inline ClientOptions Insecure() {
  ClientOptions o;
  o.insecure = true;
  return o;
}

inline std::unique_ptr<Server> StartOrDie(const ServerOptions& o, RequestHandler h) {
  absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(o, std::move(h));
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

inline std::unique_ptr<Client> ConnectOrDie(const Server& server,
                                            const ClientOptions& o = Insecure()) {
  absl::StatusOr<std::unique_ptr<Client>> c = Client::Connect("127.0.0.1", server.port(), o);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

// Polls `pred` for up to `ms` milliseconds.
template <typename Pred>
bool Eventually(Pred pred, int ms = 3000) {
  for (int waited = 0; waited < ms; waited += 5) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

}  // namespace sexp::quic::testing_helpers

#endif  // SEXP_TESTS_NET_QUIC_HELPERS_H_
