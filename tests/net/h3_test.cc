// HTTP/3 on sexp::quic (sexp/net/h3.h): the server's h3 side and H3Fetch
// against each other over loopback — messages, both ALPNs on one port,
// concurrency past the stream limit, and the limits that bind a hostile
// client (field section, body, deadline, answer budget). quic-go checks both
// sides independently in tests/host/test_h3_interop.py.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "quic_helpers.h"
#include "sexp/net/quic.h"

namespace sexp::quic {
namespace {

using testing_helpers::ConnectOrDie;
using testing_helpers::Eventually;
using testing_helpers::Insecure;
using testing_helpers::Loopback;
using testing_helpers::StartOrDie;

std::string Field(const H3Response& r, std::string_view name) {
  for (const H3Field& f : r.headers) {
    if (f.name == name) return f.value;
  }
  return "<none>";
}

// Answers /echo with the request as text; /status/N with N; /big/N with N
// bytes; /never not at all; others "hello".
void Echo(H3Request req, H3Respond respond) {
  H3Response r;
  if (req.path == "/echo") {
    r.body = req.method + " " + req.scheme + " " + req.authority + " " + req.path + "\n";
    for (const H3Field& f : req.headers) r.body += f.name + "=" + f.value + "\n";
    r.body += "body=" + req.body;
  } else if (req.path.rfind("/status/", 0) == 0) {
    r.status = std::stoi(req.path.substr(8));
    r.body = "status";
  } else if (req.path.rfind("/big/", 0) == 0) {
    r.body.assign(std::stoul(req.path.substr(5)), 'x');
  } else if (req.path == "/never") {
    return;
  } else if (req.path == "/throw") {
    throw std::runtime_error("handler bug");
  } else {
    r.headers = {{"Content-Type", "text/plain"}, {"Connection", "keep-alive"}, {"X-Mixed", "1"}};
    r.body = "hello";
  }
  respond(std::move(r));
}

ServerOptions H3Options() {
  ServerOptions o = Loopback();
  o.http3 = Echo;
  return o;
}

std::vector<absl::StatusOr<H3Response>> Fetch(const Server& s, std::vector<H3Request> reqs,
                                              const ClientOptions& co = Insecure(),
                                              uint64_t timeout_ms = 10000) {
  auto r = H3Fetch("127.0.0.1", s.port(), co, std::move(reqs), timeout_ms);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? std::move(*r) : std::vector<absl::StatusOr<H3Response>>{};
}

H3Request Get(std::string path) {
  H3Request r;
  r.path = std::move(path);
  return r;
}

TEST(H3, ARequestAndItsAnswerCrossWhole) {
  auto server = StartOrDie(H3Options(), [](std::string_view, Responder r) { r.Finish(); });
  H3Request post = Get("/echo");
  post.method = "POST";
  post.headers = {{"X-Token", "abc"}, {"accept", "text/plain"}};
  post.body = std::string(100000, 'b');
  auto got = Fetch(*server, {Get("/"), post});
  ASSERT_EQ(got.size(), 2u);
  ASSERT_TRUE(got[0].ok()) << got[0].status();
  EXPECT_EQ(got[0]->status, 200);
  EXPECT_EQ(got[0]->body, "hello");
  // Names lower-cased, hop-by-hop fields dropped, a content-length added.
  EXPECT_EQ(Field(*got[0], "content-type"), "text/plain");
  EXPECT_EQ(Field(*got[0], "x-mixed"), "1");
  EXPECT_EQ(Field(*got[0], "connection"), "<none>");
  EXPECT_EQ(Field(*got[0], "content-length"), "5");
  ASSERT_TRUE(got[1].ok()) << got[1].status();
  const std::string authority = "127.0.0.1:" + std::to_string(server->port());
  EXPECT_EQ(got[1]->body, "POST https " + authority + " /echo\nx-token=abc\naccept=text/plain\n" +
                              "content-length=100000\nbody=" + std::string(100000, 'b'));
}

TEST(H3, HeadAnd204And304CarryNoBody) {
  auto server = StartOrDie(H3Options(), [](std::string_view, Responder r) { r.Finish(); });
  H3Request head = Get("/");
  head.method = "HEAD";
  auto got = Fetch(*server, {head, Get("/status/204"), Get("/status/304"), Get("/status/404")});
  ASSERT_EQ(got.size(), 4u);
  for (const auto& r : got) ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(got[0]->body, "");
  EXPECT_EQ(Field(*got[0], "content-length"), "5");  // the length a GET would get
  EXPECT_EQ(got[1]->status, 204);
  EXPECT_EQ(got[1]->body, "");
  EXPECT_EQ(Field(*got[1], "content-length"), "<none>");
  EXPECT_EQ(got[2]->status, 304);
  EXPECT_EQ(got[2]->body, "");
  EXPECT_EQ(got[3]->status, 404);
  EXPECT_EQ(got[3]->body, "status");
}

TEST(H3, BothProtocolsShareOnePort) {
  auto server = StartOrDie(H3Options(), [](std::string_view req, Responder r) {
    r.Send(std::string("(ok ") + std::string(req) + ")");
    r.Finish();
  });
  auto client = ConnectOrDie(*server);
  ASSERT_NE(client, nullptr);
  auto frames = client->Call("(GET \"/\")");
  ASSERT_TRUE(frames.ok()) << frames.status();
  EXPECT_EQ((*frames)[0], "(ok (GET \"/\"))");
  auto got = Fetch(*server, {Get("/")});
  ASSERT_TRUE(got[0].ok()) << got[0].status();
  EXPECT_EQ(got[0]->body, "hello");
  // The sexpr/1 connection still works after an h3 one came and went.
  frames = client->Call("(GET \"/again\")");
  ASSERT_TRUE(frames.ok()) << frames.status();
}

TEST(H3, AServerWithoutHttp3RefusesTheAlpn) {
  auto server = StartOrDie(Loopback(), [](std::string_view, Responder r) { r.Finish(); });
  ClientOptions co = Insecure();
  co.connect_timeout_ms = 2000;
  auto got = H3Fetch("127.0.0.1", server->port(), co, {Get("/")}, 3000);
  EXPECT_FALSE(got.ok());
}

TEST(H3, RequestsPastTheStreamLimitWaitForCredit) {
  ServerOptions o = H3Options();
  o.max_streams_per_connection = 10;
  auto server = StartOrDie(o, [](std::string_view, Responder r) { r.Finish(); });
  std::vector<H3Request> reqs;
  for (int i = 0; i < 150; ++i) reqs.push_back(Get("/big/" + std::to_string(1000 + i)));
  auto got = Fetch(*server, reqs);
  ASSERT_EQ(got.size(), 150u);
  for (int i = 0; i < 150; ++i) {
    ASSERT_TRUE(got[i].ok()) << i << ": " << got[i].status();
    EXPECT_EQ(got[i]->body.size(), 1000u + i);
  }
  EXPECT_EQ(server->Stats().connections_total, 1u);
}

TEST(H3, ALargeAnswerArrivesAndTheClientCapBinds) {
  auto server = StartOrDie(H3Options(), [](std::string_view, Responder r) { r.Finish(); });
  auto got = Fetch(*server, {Get("/big/8000000")});
  ASSERT_TRUE(got[0].ok()) << got[0].status();
  EXPECT_EQ(got[0]->body, std::string(8000000, 'x'));
  ClientOptions small = Insecure();
  small.max_frame_size = 1000;
  got = Fetch(*server, {Get("/big/5000"), Get("/big/10")}, small);
  EXPECT_EQ(got[0].status().code(), absl::StatusCode::kResourceExhausted) << got[0].status();
  ASSERT_TRUE(got[1].ok());
  EXPECT_EQ(got[1]->body, "xxxxxxxxxx");
}

TEST(H3, AnswersMayComeFromAnotherThreadOnceOnly) {
  ServerOptions o = Loopback();
  o.http3 = [](H3Request req, H3Respond respond) {
    std::thread([respond, path = req.path] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      respond({201, {}, "late " + path});
      respond({500, {}, "second"});  // ignored
    }).detach();
  };
  auto server = StartOrDie(o, [](std::string_view, Responder r) { r.Finish(); });
  auto got = Fetch(*server, {Get("/a"), Get("/b")});
  ASSERT_TRUE(got[0].ok() && got[1].ok());
  EXPECT_EQ(got[0]->status, 201);
  EXPECT_EQ(got[0]->body, "late /a");
  EXPECT_EQ(got[1]->body, "late /b");
}

TEST(H3, AHandlerThatThrowsAnswers500) {
  auto server = StartOrDie(H3Options(), [](std::string_view, Responder r) { r.Finish(); });
  auto got = Fetch(*server, {Get("/throw"), Get("/")});
  ASSERT_TRUE(got[0].ok()) << got[0].status();
  EXPECT_EQ(got[0]->status, 500);
  ASSERT_TRUE(got[1].ok());
  EXPECT_EQ(got[1]->body, "hello");
}

// --- hostile clients -------------------------------------------------------

TEST(H3Hostile, AFieldSectionOverTheLimitIs431AndTheConnectionGoesOn) {
  ServerOptions o = H3Options();
  o.h3_limits.max_field_bytes = 4096;
  o.h3_limits.max_fields = 20;
  auto server = StartOrDie(o, [](std::string_view, Responder r) { r.Finish(); });
  H3Request big = Get("/");
  big.headers.push_back({"x-big", std::string(8000, 'a')});
  H3Request many = Get("/");
  for (int i = 0; i < 40; ++i) many.headers.push_back({"x-" + std::to_string(i), "v"});
  auto got = Fetch(*server, {big, many, Get("/")});
  ASSERT_TRUE(got[0].ok()) << got[0].status();
  EXPECT_EQ(got[0]->status, 431);
  ASSERT_TRUE(got[1].ok()) << got[1].status();
  EXPECT_EQ(got[1]->status, 431);
  ASSERT_TRUE(got[2].ok()) << got[2].status();
  EXPECT_EQ(got[2]->body, "hello");
  EXPECT_TRUE(Eventually([&] { return server->Stats().answer_bytes == 0; }));
  EXPECT_LT(server->Stats().answer_bytes, 1u << 20);
}

TEST(H3Hostile, ABodyOverTheLimitIs413AndItsBytesAreNotKept) {
  ServerOptions o = H3Options();
  o.h3_limits.max_body_bytes = 64 * 1024;
  auto server = StartOrDie(o, [](std::string_view, Responder r) { r.Finish(); });
  H3Request post = Get("/echo");
  post.method = "POST";
  post.body = std::string(4 << 20, 'p');
  H3Request ok = Get("/echo");
  ok.method = "POST";
  ok.body = std::string(60 * 1024, 'q');
  auto got = Fetch(*server, {post, ok, Get("/")});
  ASSERT_TRUE(got[0].ok()) << got[0].status();
  EXPECT_EQ(got[0]->status, 413);
  ASSERT_TRUE(got[1].ok()) << got[1].status();
  EXPECT_EQ(got[1]->status, 200);
  ASSERT_TRUE(got[2].ok()) << got[2].status();
  // Nothing of the refused body stayed buffered: the peak is the accepted
  // body and answers, not megabytes.
  EXPECT_LT(server->Stats().peak_buffered_bytes, 512u << 10);
  EXPECT_GT(server->Stats().peak_buffered_bytes, 60u << 10);
  EXPECT_TRUE(Eventually([&] { return server->Stats().request_bytes == 0; }));
  // The server's own 413 was never charged, so nothing is given back for it
  // (a refund of bytes never charged would wrap the budget and stall every
  // later request of the connection).
  EXPECT_TRUE(Eventually([&] { return server->Stats().answer_bytes == 0; }));
  EXPECT_LT(server->Stats().answer_bytes, 1u << 20);
}

TEST(H3Hostile, TheDeadlineResetsARequestNeverAnswered) {
  ServerOptions o = H3Options();
  o.request_deadline_ms = 300;
  auto server = StartOrDie(o, [](std::string_view, Responder r) { r.Finish(); });
  const auto start = std::chrono::steady_clock::now();
  auto got = Fetch(*server, {Get("/never"), Get("/")});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(got[0].status().code(), absl::StatusCode::kUnavailable) << got[0].status();
  ASSERT_TRUE(got[1].ok()) << got[1].status();
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_TRUE(Eventually([&] { return server->Stats().streams_timed_out >= 1; }));
}

TEST(H3Hostile, AnAnswerOverTheConnectionBudgetResetsItsStream) {
  ServerOptions o = H3Options();
  o.max_answer_bytes_per_connection = 1 << 20;
  auto server = StartOrDie(o, [](std::string_view, Responder r) { r.Finish(); });
  auto got = Fetch(*server, {Get("/big/4000000"), Get("/big/1000")});
  EXPECT_FALSE(got[0].ok());
  ASSERT_TRUE(got[1].ok()) << got[1].status();
  EXPECT_EQ(got[1]->body.size(), 1000u);
  EXPECT_GE(server->Stats().streams_busy, 1u);
  // Everything charged came back once the streams closed.
  EXPECT_TRUE(Eventually([&] { return server->Stats().answer_bytes == 0; }));
}

TEST(H3Hostile, ShutdownWithOpenHttp3ConnectionsIsClean) {
  ServerOptions o = H3Options();
  auto server = StartOrDie(o, [](std::string_view, Responder r) { r.Finish(); });
  std::thread t([&] {
    auto r = H3Fetch("127.0.0.1", server->port(), Insecure(), {Get("/never")}, 3000);
    if (r.ok()) {
      EXPECT_FALSE((*r)[0].ok());
    }
  });
  ASSERT_TRUE(Eventually([&] { return server->Stats().requests_total >= 1; }));
  server->Shutdown();
  t.join();
}

}  // namespace
}  // namespace sexp::quic

// --- graceful shutdown ------------------------------------------------------

namespace sexp::quic {
namespace {

TEST(H3Drain, RequestsUnderWayFinishAndNewOnesAreRefused) {
  ServerOptions o = Loopback();
  o.http3 = [](H3Request req, H3Respond respond) {
    std::thread([respond, path = req.path] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      respond({200, {}, "done " + path});
    }).detach();
  };
  auto server = StartOrDie(o, [](std::string_view, Responder r) { r.Finish(); });
  absl::StatusOr<std::vector<absl::StatusOr<H3Response>>> slow;
  std::thread t([&] { slow = H3Fetch("127.0.0.1", server->port(), Insecure(), {Get("/a")}); });
  ASSERT_TRUE(Eventually([&] { return server->Stats().requests_total >= 1; }));
  const auto start = std::chrono::steady_clock::now();
  std::atomic<uint64_t> cut{99};
  std::thread drain([&] { cut = server->Drain(5000); });
  // A new connection during the drain is refused.
  ClientOptions co = Insecure();
  co.connect_timeout_ms = 1000;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto late = H3Fetch("127.0.0.1", server->port(), co, {Get("/late")}, 1500);
  EXPECT_FALSE(late.ok());
  t.join();
  drain.join();
  ASSERT_TRUE(slow.ok()) << slow.status();
  ASSERT_TRUE((*slow)[0].ok()) << (*slow)[0].status();
  EXPECT_EQ((*slow)[0]->body, "done /a");
  EXPECT_EQ(cut.load(), 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

TEST(H3Drain, TheGraceBindsARequestNeverAnswered) {
  auto server = StartOrDie(H3Options(), [](std::string_view, Responder r) { r.Finish(); });
  std::thread t([&] {
    auto r = H3Fetch("127.0.0.1", server->port(), Insecure(), {Get("/never")}, 5000);
    if (r.ok()) {
      EXPECT_FALSE((*r)[0].ok());
    }
  });
  ASSERT_TRUE(Eventually([&] { return server->Stats().requests_total >= 1; }));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(server->Drain(300), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  t.join();
}

TEST(H3Drain, SexprRequestsUnderWayFinishAndLaterOnesAreReset) {
  std::atomic<int> seen{0};
  auto server = StartOrDie(Loopback(), [&](std::string_view, Responder r) {
    ++seen;
    std::thread([r] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      r.Send("(ok)");
      r.Finish();
    }).detach();
  });
  auto client = ConnectOrDie(*server);
  ASSERT_NE(client, nullptr);
  absl::StatusOr<std::vector<std::string>> first;
  std::thread t([&] { first = client->Call("(GET \"/\")"); });
  ASSERT_TRUE(Eventually([&] { return seen.load() == 1; }));
  std::thread drain([&] { server->Drain(5000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto second = client->Call("(GET \"/b\")", 3000);
  EXPECT_FALSE(second.ok());
  EXPECT_NE(std::string(second.status().message()).find("shutdown"), std::string::npos)
      << second.status();
  t.join();
  drain.join();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(seen.load(), 1);
}

}  // namespace
}  // namespace sexp::quic
