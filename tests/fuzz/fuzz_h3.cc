// libFuzzer target: the HTTP/3 side of sexp::quic's server (sexp/net/h3.h) —
// what a client sends on request streams, through nghttp3 and the server's
// glue (limits, body accounting, answers, deadlines).
//
// The input is a list of streams: each a length byte then that many bytes
// (0, or the eighth stream: all that is left), at most 8; each is sent on a new
// request stream of one connection with ALPN h3, then its FIN. One server
// (small limits, so that every limit is reached) lives for the whole run.
// Invariants:
//   - nothing crashes, leaks or reads out of bounds (ASan/UBSan);
//   - every stream ends: answered, reset or its connection closed — none
//     is left hanging past the server's deadline;
//   - afterwards the server still answers a well-formed request on a new
//     connection;
//   - once the connection is gone, every request and answer byte it held
//     is given back (ServerStats: request_bytes and answer_bytes 0).
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fuzz_check.h"
#include "sexp/net/quic.h"

namespace {

using sexp::quic::Client;
using sexp::quic::ClientOptions;
using sexp::quic::H3Fetch;
using sexp::quic::H3Request;
using sexp::quic::H3Respond;
using sexp::quic::H3Response;
using sexp::quic::Server;
using sexp::quic::ServerOptions;

Server& TheServer() {
  static Server* server = [] {
    ServerOptions o;
    o.port = 0;
    o.request_deadline_ms = 500;
    o.max_answer_bytes_per_connection = 64 << 10;
    o.h3_limits.max_field_bytes = 512;
    o.h3_limits.max_fields = 16;
    o.h3_limits.max_body_bytes = 2048;
    o.http3 = [](H3Request req, H3Respond respond) {
      H3Response r;
      r.headers = {{"content-type", "text/plain"}};
      for (const auto& f : req.headers) r.headers.push_back({"x-echo-" + f.name, f.value});
      r.body = req.method + " " + req.path + " " + std::to_string(req.body.size());
      if (req.path == "/big") r.body.assign(100000, 'b');  // over the answer budget
      if (req.path == "/never") return;                     // the deadline's case
      respond(std::move(r));
    };
    auto s = Server::Start(o, [](std::string_view, sexp::quic::Responder r) { r.Finish(); });
    FUZZ_CHECK(s.ok());
    return s->release();
  }();
  return *server;
}

template <typename Pred>
bool Eventually(Pred pred, int ms) {
  for (int waited = 0; waited < ms; waited += 2) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Server& server = TheServer();
  std::vector<std::string> streams;
  for (size_t at = 0; at < size && streams.size() < 8;) {
    size_t n = data[at++];
    if (n == 0 || streams.size() == 7 || at + n > size) n = size - at;
    streams.emplace_back(reinterpret_cast<const char*>(data + at), n);
    at += n;
  }
  {
    ClientOptions co;
    co.insecure = true;
    co.alpn = "h3";
    co.read_answers = false;  // the server's control streams are not sexpr/1 frames
    auto client = Client::Connect("127.0.0.1", server.port(), co);
    FUZZ_CHECK(client.ok());
    struct Done {
      std::mutex mu;
      std::condition_variable cv;
      size_t count = 0;
    };
    auto done = std::make_shared<Done>();
    for (std::string& s : streams) {
      (*client)->RequestRaw(std::move(s), nullptr, [done](absl::Status) {
        std::lock_guard<std::mutex> lock(done->mu);
        ++done->count;
        done->cv.notify_all();
      });
    }
    std::unique_lock<std::mutex> lock(done->mu);
    // Every stream ends by the server's deadline (0.5 s) and some slack.
    const bool ended = done->cv.wait_for(lock, std::chrono::seconds(6),
                                         [&] { return done->count == streams.size(); });
    lock.unlock();
    FUZZ_CHECK(ended);
    (*client)->Close();
  }
  ClientOptions co;
  co.insecure = true;
  H3Request get;
  get.path = "/ok";
  auto answers = H3Fetch("127.0.0.1", server.port(), co, {get}, 5000);
  FUZZ_CHECK(answers.ok());
  FUZZ_CHECK((*answers)[0].ok());
  FUZZ_CHECK((*answers)[0]->status == 200);
  FUZZ_CHECK((*answers)[0]->body == "GET /ok 0");
  FUZZ_CHECK(Eventually(
      [&] {
        sexp::quic::ServerStats s = server.Stats();
        return s.connections == 0 && s.request_bytes == 0 && s.answer_bytes == 0;
      },
      3000));
  return 0;
}
