// sexp/net/quic.h: the QUIC transport, client and server in one process over
// loopback. The independent peer (quic-go) is in tests/net/interop/.
#include "sexp/net/quic.h"
#include "measure.h"
#include "net/quic_helpers.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sexp::quic {
namespace {

using std::chrono::milliseconds;
using namespace testing_helpers;  // Loopback, Insecure, StartOrDie, ConnectOrDie, Eventually

// Serves "(echo <request>)" for every request, on the loop thread.
RequestHandler Echo() {
  return [](std::string_view request, Responder r) {
    r.Send(std::string("(echo ") + std::string(request) + ")");
    r.Finish();
  };
}

std::string TempFile(const std::string& text) {
  char path[] = "/tmp/sexp_quic_test_XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  return path;
}

// What Request reports, gathered for assertions.
struct Outcome {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> frames;
  std::optional<absl::Status> done;

  auto OnFrame() {
    return [this](std::string_view f) {
      std::lock_guard<std::mutex> lock(mu);
      frames.emplace_back(f);
    };
  }
  auto OnDone() {
    return [this](absl::Status s) {
      std::lock_guard<std::mutex> lock(mu);
      done = std::move(s);
      cv.notify_all();
    };
  }
  absl::Status Wait() {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, milliseconds(5000), [&] { return done.has_value(); })) {
      return absl::DeadlineExceededError("no outcome");
    }
    return *done;
  }
};

TEST(QuicUrl, Parses) {
  absl::StatusOr<Url> u = ParseUrl("sexpr://example.org:9000/blog/x/");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->host, "example.org");
  EXPECT_EQ(u->port, 9000);
  EXPECT_EQ(u->path, "/blog/x/");
  u = ParseUrl("sexpr://127.0.0.1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, kDefaultPort);
  EXPECT_EQ(u->path, "/");
  u = ParseUrl("sexpr://[::1]:4444/a");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 4444);
  for (const char* bad : {"http://x/", "sexpr://", "sexpr://:80/", "sexpr://h:0/", "sexpr://h:65536/",
                          "sexpr://h:-1/", "sexpr://h:/", "sexpr://[::1/", "sexpr://[::1]x/"}) {
    EXPECT_FALSE(ParseUrl(bad).ok()) << bad;
  }
}

TEST(Quic, RequestAndAnswer) {
  auto server = StartOrDie(Loopback(), Echo());
  ASSERT_NE(server, nullptr);
  auto client = ConnectOrDie(*server);
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(client->connected());
  absl::StatusOr<std::vector<std::string>> frames = client->Call("(GET \"/\")");
  ASSERT_TRUE(frames.ok()) << frames.status();
  EXPECT_EQ(*frames, std::vector<std::string>{"(echo (GET \"/\"))"});
  EXPECT_EQ(server->Stats().requests_total, 1u);
  EXPECT_EQ(server->Connections().size(), 1u);
}

TEST(Quic, ManyFramesAnsweredLaterFromAnotherThread) {
  std::vector<std::thread> workers;
  std::mutex mu;
  auto server = StartOrDie(Loopback(), [&](std::string_view request, Responder r) {
    std::lock_guard<std::mutex> lock(mu);
    workers.emplace_back([r] {
      std::this_thread::sleep_for(milliseconds(20));
      for (int i = 0; i < 3; ++i) r.Send("(part " + std::to_string(i) + ")");
      r.Send(std::string(100000, 'x'));  // a big frame crosses many packets
      r.Finish();
    });
  });
  auto client = ConnectOrDie(*server);
  absl::StatusOr<std::vector<std::string>> frames = client->Call("(GET \"/\")");
  ASSERT_TRUE(frames.ok()) << frames.status();
  ASSERT_EQ(frames->size(), 4u);
  EXPECT_EQ((*frames)[0], "(part 0)");
  EXPECT_EQ((*frames)[2], "(part 2)");
  EXPECT_EQ((*frames)[3], std::string(100000, 'x'));
  std::lock_guard<std::mutex> lock(mu);
  for (auto& w : workers) w.join();
}

TEST(Quic, ConcurrentStreamsBeyondTheLimitAreQueuedNotLost) {
  ServerOptions o = Loopback();
  o.max_streams_per_connection = 8;
  auto server = StartOrDie(o, Echo());
  auto client = ConnectOrDie(*server);
  constexpr int kRequests = 300;
  std::vector<Outcome> outcomes(kRequests);
  for (int i = 0; i < kRequests; ++i) {
    client->Request("(n " + std::to_string(i) + ")", outcomes[i].OnFrame(), outcomes[i].OnDone());
  }
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_TRUE(outcomes[i].Wait().ok()) << i;
    ASSERT_EQ(outcomes[i].frames, std::vector<std::string>{"(echo (n " + std::to_string(i) + "))"});
  }
  EXPECT_EQ(server->Stats().requests_total, static_cast<uint64_t>(kRequests));
  EXPECT_TRUE(Eventually([&] { return server->Stats().streams == 0; }));
}

TEST(Quic, ManyConnectionsAtOnce) {
  auto server = StartOrDie(Loopback(), Echo());
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 20; ++i) clients.push_back(ConnectOrDie(*server));
  std::vector<Outcome> outcomes(clients.size());
  for (size_t i = 0; i < clients.size(); ++i) {
    clients[i]->Request("(c " + std::to_string(i) + ")", outcomes[i].OnFrame(), outcomes[i].OnDone());
  }
  for (size_t i = 0; i < clients.size(); ++i) {
    ASSERT_TRUE(outcomes[i].Wait().ok());
    EXPECT_EQ(outcomes[i].frames[0], "(echo (c " + std::to_string(i) + "))");
  }
  EXPECT_EQ(server->Stats().connections, 20u);
}

TEST(Quic, PushesReachTheClient) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> pushes;
  ClientOptions co = Insecure();
  co.on_push = [&](std::string_view p) {
    std::lock_guard<std::mutex> lock(mu);
    pushes.emplace_back(p);
    cv.notify_all();
  };
  auto server = StartOrDie(Loopback(), Echo());
  auto client = ConnectOrDie(*server, co);
  ASSERT_TRUE(client->Call("(GET \"/\")").ok());
  std::vector<uint64_t> conns = server->Connections();
  ASSERT_EQ(conns.size(), 1u);
  for (int i = 0; i < 150; ++i) {  // more than the client's 100 push streams at once
    ASSERT_TRUE(server->Push(conns[0], "(push! (class! :target \"#n\" :add \"c" +
                                           std::to_string(i) + "\"))").ok());
  }
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, milliseconds(5000), [&] { return pushes.size() == 150; }))
      << pushes.size();
  std::sort(pushes.begin(), pushes.end());
  EXPECT_NE(std::find(pushes.begin(), pushes.end(),
                      "(push! (class! :target \"#n\" :add \"c149\"))"),
            pushes.end());
}

TEST(Quic, CertificateVerification) {
  absl::StatusOr<PemCertificate> pem = MakeSelfSignedCertificate();
  ASSERT_TRUE(pem.ok()) << pem.status();
  std::string cert = TempFile(pem->cert_pem), key = TempFile(pem->key_pem);
  ServerOptions o = Loopback();
  o.cert_file = cert;
  o.key_file = key;
  auto server = StartOrDie(o, Echo());
  EXPECT_EQ(server->certificate_pem(), pem->cert_pem);

  // Trusted through --ca: the certificate names 127.0.0.1 and localhost.
  ClientOptions trusted;
  trusted.ca_file = cert;
  auto ok = Client::Connect("127.0.0.1", server->port(), trusted);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_TRUE((*ok)->Call("(GET \"/\")").ok());
  trusted.server_name = "localhost";
  EXPECT_TRUE(Client::Connect("127.0.0.1", server->port(), trusted).ok());

  // Not trusted: the system store does not know it; wrong name.
  ClientOptions system;
  system.connect_timeout_ms = 2000;
  auto refused = Client::Connect("127.0.0.1", server->port(), system);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("certificate"), std::string::npos)
      << refused.status();
  trusted.server_name = "example.org";
  auto wrong_name = Client::Connect("127.0.0.1", server->port(), trusted);
  ASSERT_FALSE(wrong_name.ok());
  EXPECT_NE(wrong_name.status().message().find("certificate"), std::string::npos)
      << wrong_name.status();
  // The server kept serving through the failed handshakes.
  EXPECT_TRUE(ConnectOrDie(*server)->Call("(GET \"/\")").ok());
  unlink(cert.c_str());
  unlink(key.c_str());
}

TEST(Quic, ConfigurationErrors) {
  ServerOptions o = Loopback();
  o.cert_file = "/nonexistent/cert.pem";
  EXPECT_FALSE(Server::Start(o, Echo()).ok());  // key missing
  o.key_file = "/nonexistent/key.pem";
  absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(o, Echo());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("/nonexistent/cert.pem"), std::string::npos);
  EXPECT_FALSE(Server::Start(Loopback(), nullptr).ok());
  ServerOptions bad_addr = Loopback();
  bad_addr.address = "not an address";
  EXPECT_FALSE(Server::Start(bad_addr, Echo()).ok());
  // Port taken.
  auto first = StartOrDie(Loopback(), Echo());
  ServerOptions same = Loopback();
  same.port = first->port();
  EXPECT_FALSE(Server::Start(same, Echo()).ok());
}

TEST(Quic, NobodyListening) {
  uint16_t port;
  {
    auto server = StartOrDie(Loopback(), Echo());
    port = server->port();
  }
  ClientOptions co = Insecure();
  co.connect_timeout_ms = 3000;
  auto start = std::chrono::steady_clock::now();
  auto c = Client::Connect("127.0.0.1", port, co);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("cannot connect"), std::string::npos) << c.status();
  // ICMP port unreachable ends it at once, not at the timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));
}

// --- bad input ------------------------------------------------------------

TEST(QuicHostile, OversizeFrameResetsTheStreamAndTheConnectionServesOn) {
  ServerOptions o = Loopback();
  o.max_frame_size = 1000;
  auto server = StartOrDie(o, Echo());
  auto client = ConnectOrDie(*server);
  Outcome big;
  client->Request(std::string(5000, 'x'), big.OnFrame(), big.OnDone());
  absl::Status st = big.Wait();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("frame-too-large"), std::string::npos) << st;
  EXPECT_TRUE(big.frames.empty());
  absl::StatusOr<std::vector<std::string>> next = client->Call("(GET \"/\")");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(server->Stats().streams_reset, 1u);
  EXPECT_EQ(server->Stats().requests_total, 1u);
}

TEST(QuicHostile, FramingErrorsOnRequestStreams) {
  auto server = StartOrDie(Loopback(), Echo());
  auto client = ConnectOrDie(*server);
  struct Case {
    std::string bytes;
    const char* code;
  } cases[] = {
      {std::string("\x40\x05(GET)", 7), "bad-varint"},
      {std::string("\x09(GET"), "frame-truncated"},
      {std::string("\x40"), "frame-truncated"},
      {std::string(""), "bad-request"},                // no frame at all
      {std::string("\x03(a)\x03(b)"), "bad-request"},  // two frames
  };
  for (const Case& c : cases) {
    Outcome out;
    client->RequestRaw(c.bytes, out.OnFrame(), out.OnDone());
    absl::Status st = out.Wait();
    ASSERT_FALSE(st.ok()) << c.code;
    EXPECT_NE(st.message().find(c.code), std::string::npos) << st;
  }
  EXPECT_EQ(server->Stats().streams_reset, 5u);
  EXPECT_TRUE(client->Call("(GET \"/\")").ok());
}

TEST(QuicHostile, AHandlerThatThrowsResetsItsStreamOnly) {
  auto server = StartOrDie(Loopback(), [](std::string_view request, Responder r) {
    if (request == "(boom)") throw std::runtime_error("host bug");
    r.Send("(fine)");
    r.Finish();
  });
  auto client = ConnectOrDie(*server);
  absl::StatusOr<std::vector<std::string>> boom = client->Call("(boom)");
  ASSERT_FALSE(boom.ok());
  EXPECT_NE(boom.status().message().find("internal"), std::string::npos) << boom.status();
  EXPECT_TRUE(client->Call("(GET \"/\")").ok());
}

TEST(Quic, AHandlerMayResetWithItsOwnCode) {
  auto server = StartOrDie(Loopback(), [](std::string_view, Responder r) {
    r.Reset(WireError::kBadRequest);
  });
  auto client = ConnectOrDie(*server);
  absl::StatusOr<std::vector<std::string>> r = client->Call("(GET \"/\")");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bad-request (0x4)"), std::string::npos) << r.status();
}

TEST(QuicHostile, ResponseFramesOverTheClientsMaximum) {
  auto server = StartOrDie(Loopback(), [](std::string_view, Responder r) {
    r.Send(std::string(3000, 'y'));
    r.Finish();
  });
  ClientOptions co = Insecure();
  co.max_frame_size = 1000;
  auto client = ConnectOrDie(*server, co);
  absl::StatusOr<std::vector<std::string>> r = client->Call("(GET \"/\")");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("frame-too-large"), std::string::npos) << r.status();
}

// --- faults -----------------------------------------------------------------

TEST(QuicFault, ClientVanishingMidStreamLeavesNothingBehind) {
  std::atomic<int> got{0};
  ServerOptions o = Loopback();
  o.idle_timeout_ms = 300;
  std::vector<Responder> held;
  std::mutex mu;
  auto server = StartOrDie(o, [&](std::string_view, Responder r) {
    std::lock_guard<std::mutex> lock(mu);
    held.push_back(r);  // answered after the client is gone
    ++got;
  });
  {
    auto client = ConnectOrDie(*server);
    Outcome a, partial;
    client->Request("(GET \"/a\")", a.OnFrame(), a.OnDone());
    client->RequestRaw(std::string("\x20(GET \"/"), partial.OnFrame(), partial.OnDone());
    ASSERT_TRUE(Eventually([&] { return got == 1; }));
    client->Abandon();  // no CONNECTION_CLOSE: the server only sees silence
  }
  EXPECT_EQ(server->Stats().connections, 1u);
  {
    std::lock_guard<std::mutex> lock(mu);
    for (Responder& r : held) {
      r.Send(std::string(50000, 'z'));  // to a peer that is gone
      r.Finish();
    }
  }
  ASSERT_TRUE(Eventually([&] { return server->Stats().connections == 0; }, 5000));
  ServerStats s = server->Stats();
  EXPECT_EQ(s.streams, 0u);
  EXPECT_EQ(s.buffered_bytes, 0u);
  std::lock_guard<std::mutex> lock(mu);
  held.clear();
}

TEST(QuicFault, AThousandConnectionsOpenedAndDropped) {
  ServerOptions o = Loopback();
  o.idle_timeout_ms = 300;
  auto server = StartOrDie(o, Echo());
  auto cycle = [&](int n) {
    for (int i = 0; i < n; ++i) {
      auto c = Client::Connect("127.0.0.1", server->port(), Insecure());
      ASSERT_TRUE(c.ok()) << i << ": " << c.status();
      if (i % 2 == 0) {
        ASSERT_TRUE((*c)->Call("(GET \"/\")").ok());
        (*c)->Close();
      } else {
        (*c)->Abandon();  // half of them just vanish
      }
    }
  };
  cycle(50);  // warm up allocators
  ASSERT_TRUE(Eventually([&] { return server->Stats().connections == 0; }, 5000));
  size_t baseline = testing_measure::Rss();
  cycle(1000);
  EXPECT_GE(server->Stats().connections_total, 1050u);
  ASSERT_TRUE(Eventually([&] { return server->Stats().connections == 0; }, 10000))
      << server->Stats().connections;
  ServerStats s = server->Stats();
  EXPECT_EQ(s.streams, 0u);
  EXPECT_EQ(s.buffered_bytes, 0u);
  // Heap back near its baseline (allocator caches allowed for).
  EXPECT_LT(testing_measure::Rss(), baseline + (16u << 20)) << testing_measure::Rss() - baseline;
  EXPECT_TRUE(ConnectOrDie(*server)->Call("(GET \"/\")").ok());
}

TEST(QuicFault, ConnectionsOverTheLimitAreRefused) {
  ServerOptions o = Loopback();
  o.max_connections = 2;
  auto server = StartOrDie(o, Echo());
  auto a = ConnectOrDie(*server), b = ConnectOrDie(*server);
  ClientOptions co = Insecure();
  co.connect_timeout_ms = 2000;
  auto start = std::chrono::steady_clock::now();
  auto c = Client::Connect("127.0.0.1", server->port(), co);
  ASSERT_FALSE(c.ok());
  EXPECT_GE(server->Stats().connections_refused, 1u);
  // Told at once (CONNECTION_REFUSED), not left to time out.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
  a.reset();
  ASSERT_TRUE(Eventually([&] { return server->Stats().connections == 1; }));
  EXPECT_TRUE(ConnectOrDie(*server)->Call("(GET \"/\")").ok());
}

TEST(QuicFault, ShutdownFailsPendingRequestsCleanly) {
  std::vector<Responder> held;
  std::mutex mu;
  auto server = StartOrDie(Loopback(), [&](std::string_view, Responder r) {
    std::lock_guard<std::mutex> lock(mu);
    held.push_back(r);
  });
  auto client = ConnectOrDie(*server);
  Outcome pending;
  client->Request("(GET \"/slow\")", pending.OnFrame(), pending.OnDone());
  ASSERT_TRUE(Eventually([&] { return server->Stats().requests_total == 1; }));
  server->Shutdown();
  absl::Status st = pending.Wait();
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(Eventually([&] { return !client->connected(); }));
  // Answering after shutdown does nothing (and does not crash).
  std::lock_guard<std::mutex> lock(mu);
  held[0].Send("(late)");
  held[0].Finish();
  Outcome after;
  client->Request("(GET \"/\")", after.OnFrame(), after.OnDone());
  EXPECT_FALSE(after.Wait().ok());
}

TEST(QuicFault, IdleConnectionsTimeOut) {
  ServerOptions o = Loopback();
  o.idle_timeout_ms = 200;
  auto server = StartOrDie(o, Echo());
  auto client = ConnectOrDie(*server);
  ASSERT_TRUE(client->Call("(GET \"/\")").ok());
  ASSERT_TRUE(Eventually([&] { return server->Stats().connections == 0; }, 3000));
  EXPECT_TRUE(Eventually([&] { return !client->connected(); }, 3000));
  absl::StatusOr<std::vector<std::string>> r = client->Call("(GET \"/\")", 2000);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace sexp::quic
