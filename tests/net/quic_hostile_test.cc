// sexp/net/quic.h against peers that would pin the server's memory: clients
// that never read their answers, that keep streams open with partial
// frames, that keep a connection alive with PINGs, and handlers that never
// answer (spec/wire.md §3.3, "Worst case per connection"). Every test
// asserts the bound through ServerStats: buffered bytes (request bytes not
// yet handed to the handler plus answer bytes not yet acknowledged) and
// their peak since Start.
//
// SEXP_QUIC_MEASURE=1 also runs the scenarios at full size with the
// default options — 2 connections × 100 unread streams of a 4 MB answer; 100
// streams of a partial 16 MiB frame — and prints the peaks (about 90 s: they
// wait for the default deadline).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "sexp/net/quic.h"
#include "measure.h"
#include "net/quic_helpers.h"

namespace sexp::quic {
namespace {

using std::chrono::milliseconds;
using namespace testing_helpers;  // Loopback, StartOrDie, ConnectOrDie, Eventually
constexpr size_t kMiB = size_t{1} << 20;

// A client that never reads: answers are dropped unread and the server gets
// no flow-control credit back (the client still acknowledges packets).
ClientOptions NotReading() {
  ClientOptions o;
  o.insecure = true;
  o.read_answers = false;
  return o;
}

// Answers every request with one frame of `bytes` bytes, at once.
RequestHandler Page(size_t bytes) {
  auto page = std::make_shared<std::string>(bytes, 'p');
  return [page](std::string_view, Responder r) {
    r.Send(*page);
    r.Finish();
  };
}

// What Request reports, gathered for assertions.
struct Outcome {
  std::mutex mu;
  std::condition_variable cv;
  size_t frames = 0;
  std::optional<absl::Status> done;

  auto OnFrame() {
    return [this](std::string_view) {
      std::lock_guard<std::mutex> lock(mu);
      ++frames;
    };
  }
  auto OnDone() {
    return [this](absl::Status s) {
      std::lock_guard<std::mutex> lock(mu);
      done = std::move(s);
      cv.notify_all();
    };
  }
  absl::Status Wait(int ms) {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, milliseconds(ms), [&] { return done.has_value(); })) {
      return absl::DeadlineExceededError("no outcome");
    }
    return *done;
  }
};

// Sends `n` requests on `client`, each on its own stream.
std::vector<std::unique_ptr<Outcome>> Requests(Client& client, int n) {
  std::vector<std::unique_ptr<Outcome>> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(std::make_unique<Outcome>());
    client.Request("(GET \"/big/" + std::to_string(i) + "\")", out.back()->OnFrame(),
                   out.back()->OnDone());
  }
  return out;
}

bool HasCode(const absl::Status& s, const char* code) {
  return !s.ok() && s.message().find(code) != std::string_view::npos;
}

// Samples the server's answer bytes until `stop`; their maximum.
class Sampler {
 public:
  explicit Sampler(Server& server)
      : thread_([this, &server] {
          while (!stop_) {
            uint64_t a = server.Stats().answer_bytes;
            max_answer_ = std::max<uint64_t>(max_answer_, a);
            std::this_thread::sleep_for(milliseconds(2));
          }
        }) {}
  ~Sampler() { Stop(); }
  uint64_t Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return max_answer_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> max_answer_{0};
  std::thread thread_;
};

// --- answers a peer does not read -------------------------------------------

TEST(QuicBudget, UnreadAnswersStayUnderTheConnectionBudgetAndAreResetWhenStalled) {
  ServerOptions o = Loopback();
  o.max_answer_bytes_per_connection = 8 * kMiB;
  o.answer_stall_ms = 300;
  o.request_deadline_ms = 60000;  // the stall rule, not the deadline, frees them
  auto server = StartOrDie(o, Page(3 * kMiB));
  Sampler sampler(*server);
  auto client = ConnectOrDie(*server, NotReading());
  auto outcomes = Requests(*client, 12);
  for (auto& out : outcomes) {
    absl::Status st = out->Wait(10000);
    EXPECT_TRUE(HasCode(st, "timeout (0x8)")) << st;
  }
  ASSERT_TRUE(Eventually([&] { return server->Stats().buffered_bytes == 0; }, 3000));
  ServerStats s = server->Stats();
  EXPECT_LE(sampler.Stop(), o.max_answer_bytes_per_connection);
  // 12 × 3 MB asked for; never more than the budget (and the requests) held.
  EXPECT_LE(s.peak_buffered_bytes, o.max_answer_bytes_per_connection + 4096);
  EXPECT_EQ(s.requests_total, 12u);
  EXPECT_EQ(s.streams_timed_out, 12u);
  EXPECT_EQ(s.streams_busy, 0u);  // requests waited for room instead
  EXPECT_TRUE(client->connected());
}

TEST(QuicBudget, TheServerBudgetBindsAcrossConnections) {
  ServerOptions o = Loopback();
  o.max_answer_bytes_per_connection = 8 * kMiB;
  o.max_answer_bytes = 10 * kMiB;
  o.answer_stall_ms = 300;
  auto server = StartOrDie(o, Page(3 * kMiB));
  Sampler sampler(*server);
  auto a = ConnectOrDie(*server, NotReading()), b = ConnectOrDie(*server, NotReading());
  auto from_a = Requests(*a, 6), from_b = Requests(*b, 6);
  for (auto* outs : {&from_a, &from_b}) {
    for (auto& out : *outs) EXPECT_TRUE(HasCode(out->Wait(10000), "timeout"));
  }
  ASSERT_TRUE(Eventually([&] { return server->Stats().buffered_bytes == 0; }, 3000));
  EXPECT_LE(sampler.Stop(), o.max_answer_bytes);
  EXPECT_LE(server->Stats().peak_buffered_bytes, o.max_answer_bytes + 4096);
}

TEST(QuicBudget, PingsDoNotKeepAStalledAnswer) {
  ServerOptions o = Loopback();
  o.idle_timeout_ms = 600;
  o.answer_stall_ms = 300;
  o.request_deadline_ms = 0;  // the stall rule alone
  auto server = StartOrDie(o, Page(3 * kMiB));
  ClientOptions co = NotReading();
  co.keep_alive_ms = 100;  // well inside the idle timeout
  auto client = ConnectOrDie(*server, co);
  Outcome out;
  client->Request("(GET \"/\")", out.OnFrame(), out.OnDone());
  EXPECT_TRUE(HasCode(out.Wait(5000), "timeout (0x8)"));
  EXPECT_TRUE(Eventually([&] { return server->Stats().buffered_bytes == 0; }, 2000));
  // Past the idle timeout: the PINGs kept the connection, not the answer.
  std::this_thread::sleep_for(milliseconds(900));
  ServerStats s = server->Stats();
  EXPECT_EQ(s.connections, 1u);
  EXPECT_TRUE(client->connected());
  EXPECT_EQ(s.buffered_bytes, 0u);
  EXPECT_EQ(s.streams_timed_out, 1u);
}

TEST(QuicBudget, ManyBigAnswersToAReaderAllArriveWithinTheBudget) {
  ServerOptions o = Loopback();
  o.max_answer_bytes_per_connection = 4 * kMiB;
  auto server = StartOrDie(o, Page(1500000));
  auto client = ConnectOrDie(*server, Insecure());
  auto outcomes = Requests(*client, 30);  // 45 MB asked for at once
  for (auto& out : outcomes) {
    ASSERT_TRUE(out->Wait(10000).ok());
    EXPECT_EQ(out->frames, 1u);
  }
  ServerStats s = server->Stats();
  EXPECT_LE(s.peak_buffered_bytes, o.max_answer_bytes_per_connection + 4096);
  EXPECT_EQ(s.streams_busy, 0u);
  EXPECT_EQ(s.streams_timed_out, 0u);
}

TEST(QuicBudget, AFrameOverTheBudgetResetsItsStreamWithBusy) {
  ServerOptions o = Loopback();
  o.max_answer_bytes_per_connection = kMiB;
  std::atomic<int> sent{-1}, refused{-1}, after_refusal{-1};
  auto server = StartOrDie(o, [&](std::string_view, Responder r) {
    sent = r.Send(std::string(700000, 'a'));
    refused = r.Send(std::string(700000, 'b'));  // 1.4 MB: over 1 MiB
    after_refusal = r.Send("(small)");
    r.Finish();
  });
  auto client = ConnectOrDie(*server, Insecure());
  absl::StatusOr<std::vector<std::string>> r = client->Call("(GET \"/\")");
  EXPECT_TRUE(HasCode(r.status(), "busy (0x7)")) << r.status();
  EXPECT_EQ(sent, 1);
  EXPECT_EQ(refused, 0);
  EXPECT_EQ(after_refusal, 0);
  EXPECT_EQ(server->Stats().streams_busy, 1u);
  EXPECT_TRUE(Eventually([&] { return server->Stats().buffered_bytes == 0; }, 2000));
  // The connection serves on (this request goes the same way).
  EXPECT_TRUE(HasCode(client->Call("(GET \"/\")").status(), "busy"));
}

// --- requests ---------------------------------------------------------------

TEST(QuicBudget, PartialFramesAreBoundedByTheConnectionWindow) {
  ServerOptions o = Loopback();
  o.max_frame_size = kMiB;
  o.max_request_bytes_per_connection = 2 * kMiB;
  o.request_deadline_ms = 500;
  std::atomic<int> handled{0};
  auto server = StartOrDie(o, [&](std::string_view, Responder r) { ++handled; });
  Outcome whole;  // outlives the client, which fails it when it closes
  auto client = ConnectOrDie(*server, Insecure());
  // 20 streams each announce a 1 MiB frame, send 300 kB of it, and stay
  // open: 6 MB offered, the window takes 2 MiB at a time.
  std::string partial = std::string("\x80\x10\x00\x00", 4) + std::string(300000, 'x');
  std::vector<std::unique_ptr<Outcome>> outcomes;
  for (int i = 0; i < 20; ++i) {
    outcomes.push_back(std::make_unique<Outcome>());
    client->RequestRaw(partial, outcomes.back()->OnFrame(), outcomes.back()->OnDone(),
                       /*end=*/false);
  }
  for (auto& out : outcomes) {
    absl::Status st = out->Wait(10000);
    EXPECT_TRUE(HasCode(st, "timeout (0x8)")) << st;
  }
  ASSERT_TRUE(Eventually([&] { return server->Stats().buffered_bytes == 0; }, 3000));
  ServerStats s = server->Stats();
  EXPECT_LE(s.peak_buffered_bytes, o.max_request_bytes_per_connection);
  EXPECT_GT(s.peak_buffered_bytes, o.max_request_bytes_per_connection / 2);  // it did fill
  EXPECT_EQ(s.streams_timed_out, 20u);
  EXPECT_EQ(handled, 0);
  // The connection still takes requests.
  client->Request("(GET \"/\")", whole.OnFrame(), whole.OnDone());
  EXPECT_TRUE(Eventually([&] { return handled == 1; }, 2000));
}

// --- time -------------------------------------------------------------------

TEST(QuicBudget, TheDeadlineResetsARequestItsHandlerNeverAnswers) {
  ServerOptions o = Loopback();
  o.request_deadline_ms = 300;
  std::mutex mu;
  std::vector<Responder> held;
  auto server = StartOrDie(o, [&](std::string_view, Responder r) {
    std::lock_guard<std::mutex> lock(mu);
    held.push_back(r);  // never answered
  });
  auto client = ConnectOrDie(*server, Insecure());
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<std::string>> r = client->Call("(GET \"/slow\")", 5000);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("stream reset by the server: timeout (0x8)"),
            std::string_view::npos)
      << r.status();
  EXPECT_GE(took, milliseconds(250));
  EXPECT_LT(took, milliseconds(2000));
  EXPECT_EQ(server->Stats().streams_timed_out, 1u);
  EXPECT_TRUE(Eventually([&] { return server->Stats().streams == 0; }, 2000));
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_FALSE(held[0].Send("(too late)"));  // the host learns the answer is over
  EXPECT_EQ(server->Stats().buffered_bytes, 0u);
  held.clear();
}

TEST(QuicBudget, PushesToAPeerThatDoesNotReadAreBounded) {
  ServerOptions o = Loopback();
  o.max_answer_bytes_per_connection = 2 * kMiB;
  o.answer_stall_ms = 300;
  auto server = StartOrDie(o, Page(10));
  auto client = ConnectOrDie(*server, NotReading());
  ASSERT_TRUE(client->Call("(GET \"/\")").ok());  // a small answer fits the window
  std::vector<uint64_t> conns = server->Connections();
  ASSERT_EQ(conns.size(), 1u);
  std::string push(1500000, 'q');
  EXPECT_TRUE(server->Push(conns[0], push).ok());
  absl::Status over = server->Push(conns[0], push);  // 3 MB: over 2 MiB
  EXPECT_TRUE(absl::IsResourceExhausted(over)) << over;
  EXPECT_TRUE(absl::IsNotFound(server->Push(conns[0] + 1, push)));
  ASSERT_TRUE(Eventually([&] { return server->Stats().buffered_bytes == 0; }, 3000));
  ServerStats s = server->Stats();
  EXPECT_LE(s.peak_buffered_bytes, o.max_answer_bytes_per_connection + 4096);
  EXPECT_EQ(s.pushes_dropped, 1u);
  EXPECT_EQ(s.streams_timed_out, 1u);  // the push the peer did not read
  EXPECT_TRUE(server->Push(conns[0], "(ok)").ok());  // room again
}

// --- the scenario at full size (SEXP_QUIC_MEASURE=1) ---------------

TEST(QuicBudget, MeasureUnreadStreamsOfAFourMegabytePage) {
  if (getenv("SEXP_QUIC_MEASURE") == nullptr) GTEST_SKIP() << "set SEXP_QUIC_MEASURE=1";
  ServerOptions o = Loopback();  // the defaults
  auto server = StartOrDie(o, Page(4000000));
  size_t rss_before = testing_measure::Rss(), rss_peak = rss_before;
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::vector<std::unique_ptr<Outcome>>> outcomes;
  for (int i = 0; i < 2; ++i) {
    clients.push_back(ConnectOrDie(*server, NotReading()));
    outcomes.push_back(Requests(*clients.back(), 100));
  }
  auto all_done = [&] {
    for (auto& outs : outcomes) {
      for (auto& out : outs) {
        std::lock_guard<std::mutex> lock(out->mu);
        if (!out->done) return false;
      }
    }
    return true;
  };
  for (int waited = 0; waited < 60000 && !all_done(); waited += 100) {
    rss_peak = std::max(rss_peak, testing_measure::Rss());
    std::this_thread::sleep_for(milliseconds(100));
  }
  ServerStats s = server->Stats();
  std::printf("2 connections x 100 unread streams of a 4 MB answer: peak buffered %.1f MiB "
              "(budget %.0f MiB a connection, %.0f MiB the server); process RSS peak +%.1f MiB; "
              "%llu requests, %llu reset (stalled or deadline), %llu busy\n",
              s.peak_buffered_bytes / 1048576.0, o.max_answer_bytes_per_connection / 1048576.0,
              o.max_answer_bytes / 1048576.0, (rss_peak - rss_before) / 1048576.0,
              static_cast<unsigned long long>(s.requests_total),
              static_cast<unsigned long long>(s.streams_timed_out),
              static_cast<unsigned long long>(s.streams_busy));
  EXPECT_LE(s.peak_buffered_bytes, 2 * o.max_answer_bytes_per_connection + 65536);
}

TEST(QuicBudget, MeasurePartialFramesOnAHundredStreams) {
  if (getenv("SEXP_QUIC_MEASURE") == nullptr) GTEST_SKIP() << "set SEXP_QUIC_MEASURE=1";
  ServerOptions o = Loopback();  // the defaults
  auto server = StartOrDie(o, [](std::string_view, Responder) {});
  std::vector<std::unique_ptr<Outcome>> outcomes;
  auto client = ConnectOrDie(*server, Insecure());
  // Each stream announces a 16 MiB frame and sends 200 kB of it: 20 MB offered.
  std::string partial = std::string("\x81\x00\x00\x00", 4) + std::string(200000, 'x');
  for (int i = 0; i < 100; ++i) {
    outcomes.push_back(std::make_unique<Outcome>());
    client->RequestRaw(partial, outcomes.back()->OnFrame(), outcomes.back()->OnDone(),
                       /*end=*/false);
  }
  uint64_t before_deadline = 0;
  for (int waited = 0; waited < 25000; waited += 100) {
    before_deadline = std::max(before_deadline, server->Stats().request_bytes);
    std::this_thread::sleep_for(milliseconds(100));
  }
  for (auto& out : outcomes) EXPECT_TRUE(HasCode(out->Wait(40000), "timeout"));
  ServerStats s = server->Stats();
  std::printf("1 connection x 100 streams of a partial 16 MiB frame: request bytes held %.1f MiB "
              "(window %.1f MiB), peak %.1f MiB; after the deadline %.1f MiB, %llu streams reset\n",
              before_deadline / 1048576.0, o.max_request_bytes_per_connection / 1048576.0,
              s.peak_buffered_bytes / 1048576.0, s.request_bytes / 1048576.0,
              static_cast<unsigned long long>(s.streams_timed_out));
  EXPECT_LE(s.peak_buffered_bytes, o.max_request_bytes_per_connection);
}

}  // namespace
}  // namespace sexp::quic
