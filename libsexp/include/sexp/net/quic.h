// sexp/net/quic.h — sexpr:// over QUIC (spec/wire.md §3): a server and a client
// that carry frames (sexp/wire/frame.h) on QUIC streams, ALPN "sexpr/1", TLS 1.3.
//
//   // Server: each request stream's one frame goes to the handler, which
//   // answers with frames through its Responder (now or later, any thread).
//   auto server = sexp::quic::Server::Start({.port = 4433},
//       [](std::string_view request, sexp::quic::Responder r) {
//         r.Send("(ok \"hi\")");
//         r.Finish();
//       });
//   // Client: one connection; each request gets its own stream.
//   auto client = sexp::quic::Client::Connect("127.0.0.1", 4433, {.insecure = true});
//   absl::StatusOr<std::vector<std::string>> frames = (*client)->Call("(GET \"/\")");
//
// Payloads are the bytes inside frames (canonical sx); the transport adds and
// removes the framing and never parses sx — hosts do (tools/sexp_main.cc's
// serve-quic is one). ngtcp2 and GnuTLS stay inside the adapter
// (libsexp/src/net/); this header names neither. Link `sexp::quic`.
//
// Threads: a Server or Client runs one event-loop thread of its own. Handlers
// and callbacks run on it and must not block it; Responder, Server::Push and
// Client::Request may be called from any thread. Destroying, closing or
// shutting one down joins its thread: do it from any thread but that one
// (not from its own handlers or callbacks).
#ifndef SEXP_NET_QUIC_H_
#define SEXP_NET_QUIC_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sexp/net/h3.h"
#include "sexp/wire/frame.h"

namespace sexp::quic {

inline constexpr std::string_view kAlpn = "sexpr/1";
inline constexpr uint16_t kDefaultPort = 4433;

// Application error codes carried by RESET_STREAM / STOP_SENDING and
// CONNECTION_CLOSE (spec/wire.md §3.4).
enum class WireError : uint64_t {
  kNoError = 0x0,
  kFrameTooLarge = 0x1,   // a frame over the receiver's maximum
  kBadVarint = 0x2,       // a frame length not in shortest form
  kFrameTruncated = 0x3,  // the stream ended inside a frame
  kBadRequest = 0x4,      // not exactly one frame on a request stream
  kInternal = 0x5,        // the host's handler failed or vanished
  kShutdown = 0x6,        // the server is shutting down
  kBusy = 0x7,            // an answer frame over the server's buffer budget
  kTimeout = 0x8,         // the request's deadline passed, or its answer stalled
};

// sexpr://host[:port]/path — host may be a name, an IPv4 address or a
// bracketed IPv6 address; the port defaults to 4433, the path to "/".
struct Url {
  std::string host;
  uint16_t port = kDefaultPort;
  std::string path = "/";
};
absl::StatusOr<Url> ParseUrl(std::string_view text);

// HOST[:PORT] as in a URL's authority (IPv6 in brackets), without a scheme:
// a missing port is `default_port`; port 0 is allowed here (a server asking
// for any free port), not in URLs.
struct HostPort {
  std::string host;
  uint16_t port;
};
absl::StatusOr<HostPort> ParseHostPort(std::string_view authority,
                                       uint16_t default_port = kDefaultPort);

// A development certificate: ECDSA P-256, self-signed, valid for
// "localhost", 127.0.0.1 and ::1, as PEM text.
struct PemCertificate {
  std::string cert_pem;
  std::string key_pem;
};
absl::StatusOr<PemCertificate> MakeSelfSignedCertificate();

struct ServerOptions {
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal
  uint16_t port = kDefaultPort;       // 0: the system picks (see port())
  // PEM files. Both empty: a self-signed development certificate is
  // generated (MakeSelfSignedCertificate); see certificate_pem().
  std::string cert_file;
  std::string key_file;
  size_t max_frame_size = kDefaultMaxFrameSize;  // of a request
  uint64_t max_streams_per_connection = 100;     // concurrent request streams
  size_t max_connections = 4096;   // more are refused (CONNECTION_CLOSE)
  uint64_t idle_timeout_ms = 30000;

  // Memory and time (spec/wire.md §3.3). Request bytes a connection may
  // have sent and the handler not yet taken: the connection's flow-control
  // window, given back only as requests are handed to the handler or their
  // streams end. Never less than one whole frame of max_frame_size.
  size_t max_request_bytes_per_connection = kDefaultMaxFrameSize + (size_t{1} << 20);
  // Answer (and push) bytes queued and not yet acknowledged by the peer, per
  // connection and for the whole server. New requests wait for the handler
  // while either is half full; a frame that would go over resets its stream
  // (kBusy, and Responder::Send returns false).
  size_t max_answer_bytes_per_connection = size_t{16} << 20;
  size_t max_answer_bytes = size_t{256} << 20;
  // From a request stream's opening until its answer is acknowledged; then
  // the stream is reset (kTimeout) and its buffers freed. 0: no deadline.
  uint64_t request_deadline_ms = 30000;
  // An answer the peer does not read is reset (kTimeout): none of it
  // acknowledged and no credit given for it for this long, while its
  // flow-control window is closed or nothing at all is acknowledged on the
  // connection. PINGs count for nothing. 0: never.
  uint64_t answer_stall_ms = 10000;

  // HTTP/3 on the same port (sexp/net/h3.h): when set, ALPN "h3" is
  // accepted beside "sexpr/1" and its requests go here. An HTTP/3 stream
  // lives under the same connection window, answer budgets and request
  // deadline as a sexpr/1 stream; `h3_limits` bounds each request.
  H3Handler http3;
  H3Limits h3_limits;
};

// Live counters (a snapshot). Buffered bytes are request bytes received but
// not yet handed to the handler plus answer bytes queued but not yet
// acknowledged (ServerOptions' budgets bound both).
struct ServerStats {
  uint64_t connections = 0;          // open now
  uint64_t streams = 0;              // open request/push streams now
  uint64_t buffered_bytes = 0;       // now: request_bytes + answer_bytes
  uint64_t request_bytes = 0;        // now
  uint64_t answer_bytes = 0;         // now
  uint64_t peak_buffered_bytes = 0;  // the most buffered at once since Start
  uint64_t connections_total = 0;    // accepted since Start
  uint64_t requests_total = 0;       // handed to the handler
  uint64_t streams_reset = 0;        // request streams reset for framing errors
  uint64_t streams_busy = 0;         // answers reset for going over a budget
  uint64_t streams_timed_out = 0;    // reset at the deadline or for stalling
  uint64_t pushes_dropped = 0;       // over a budget, or never given a stream
  uint64_t connections_refused = 0;
};

class ServerCore;   // the adapter's state (libsexp/src/net/server.cc)
class AnswerState;  // what a Responder shares with its stream (server.cc)

// Answers one request stream. A cheap handle (copy it into async work);
// every method may be called from any thread, and does nothing once the
// stream or its connection is gone.
class Responder {
 public:
  // Queues one frame carrying `payload`. False when it was not queued: the
  // answer is over — finished, reset, timed out, its connection gone — or
  // this frame would take the connection's or the server's answer bytes
  // over their budget, which resets the stream (kBusy). A host producing a
  // long answer may stop at the first false.
  bool Send(std::string_view payload) const;
  // Ends the answer (FIN). Call exactly once, after the last Send.
  void Finish() const;
  // Abandons the answer: RESET_STREAM with `code`.
  void Reset(WireError code) const;
  // The connection the request came on (for Server::Push).
  uint64_t connection() const { return connection_; }

 private:
  friend class ServerCore;
  Responder(std::shared_ptr<ServerCore> core, std::shared_ptr<AnswerState> answer,
            uint64_t connection, int64_t stream)
      : core_(std::move(core)),
        answer_(std::move(answer)),
        connection_(connection),
        stream_(stream) {}
  std::shared_ptr<ServerCore> core_;
  std::shared_ptr<AnswerState> answer_;
  uint64_t connection_;
  int64_t stream_;
};

// `request` is the payload of the stream's one frame, valid during the call.
// An exception escaping the handler resets the stream (`internal`).
using RequestHandler = std::function<void(std::string_view request, Responder responder)>;

// Listens on UDP and serves sexpr/1 connections. Owns its loop thread,
// socket and connections; destroying it shuts down cleanly.
class Server {
 public:
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options,
                                                       RequestHandler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const;                   // the bound port
  const std::string& certificate_pem() const;  // the certificate served
  // Sends one frame on a new server-initiated unidirectional stream of the
  // connection (queued while the peer's stream limit is reached). Pushes
  // count against the answer budgets: ResourceExhausted when the
  // connection's or the server's is full; one queued for answer_stall_ms
  // without the peer granting a stream is dropped (ServerStats::pushes_dropped).
  absl::Status Push(uint64_t connection, std::string_view payload);
  std::vector<uint64_t> Connections() const;  // open connections' ids
  ServerStats Stats() const;
  // Closes every connection (CONNECTION_CLOSE, kShutdown) and stops the loop.
  void Shutdown();
  // A graceful Shutdown: new connections are refused and new requests too
  // (HTTP/3: GOAWAY; sexpr/1: their streams reset with kShutdown), the
  // requests already received may finish — answered and acknowledged —
  // for up to `grace_ms`; then Shutdown. Returns how many were cut short.
  uint64_t Drain(uint64_t grace_ms);

 private:
  explicit Server(std::shared_ptr<ServerCore> core) : core_(std::move(core)) {}
  std::shared_ptr<ServerCore> core_;
};

struct ClientOptions {
  bool insecure = false;    // skip certificate verification (development)
  std::string ca_file;      // trusted CAs (PEM); empty: the system's store
  std::string server_name;  // for SNI and verification; empty: the host
  size_t max_frame_size = kDefaultMaxFrameSize;  // of a response frame
  uint64_t connect_timeout_ms = 5000;
  uint64_t idle_timeout_ms = 30000;
  // PING the server after this long without traffic (0: never), keeping an
  // idle connection open.
  uint64_t keep_alive_ms = 0;
  // Tests of servers: false makes a peer that does not read — answer bytes
  // are dropped unread and the server gets no flow-control credit back, so
  // requests complete only by being reset.
  bool read_answers = true;
  // Tests of servers: the ALPN offered instead of sexpr/1 — "h3" makes a
  // client that sends raw HTTP/3 request streams with RequestRaw (for
  // fuzzing a server's HTTP/3 side; pair it with read_answers = false).
  std::string alpn = std::string(kAlpn);
  // Each pushed frame (server-initiated unidirectional streams), on the
  // client's loop thread.
  std::function<void(std::string_view payload)> on_push;
};

class ClientCore;

// One connection to a server. Owns its loop thread and socket.
class Client {
 public:
  // Resolves `host`, completes the handshake (or fails: unreachable,
  // certificate not trusted, ALPN refused, timeout).
  static absl::StatusOr<std::unique_ptr<Client>> Connect(std::string_view host, uint16_t port,
                                                         const ClientOptions& options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request frame on a new stream. `on_frame` gets each response
  // frame, then `on_done` once: OK at the end of the answer, or why it
  // failed (stream reset by the server, framing error, connection lost).
  // Both run on the client's loop thread.
  void Request(std::string payload, std::function<void(std::string_view frame)> on_frame,
               std::function<void(absl::Status)> on_done);
  // Like Request, but `bytes` go on the stream as they are, unframed: for
  // proxies that relay framed bytes, and for tests of servers. `end` false
  // leaves the stream open after them (no FIN): a request never completed.
  void RequestRaw(std::string bytes, std::function<void(std::string_view frame)> on_frame,
                  std::function<void(absl::Status)> on_done, bool end = true);
  // Blocking convenience: the response frames of one request.
  absl::StatusOr<std::vector<std::string>> Call(std::string payload, uint64_t timeout_ms = 10000);
  // Closes the connection (CONNECTION_CLOSE, no error); pending requests fail.
  void Close();
  // Stops without telling the server, as a crashed peer would (tests).
  void Abandon();
  bool connected() const;

 private:
  explicit Client(std::shared_ptr<ClientCore> core) : core_(std::move(core)) {}
  std::shared_ptr<ClientCore> core_;
};

// HTTP/3 client: one connection to `host`:`port` (ALPN h3) carrying
// `requests` on concurrent streams; each gets its response or why it failed
// (stream reset, connection lost, `timeout_ms` passed). The outer status is
// the connection's: unreachable, certificate not trusted, ALPN refused.
// `options.max_frame_size` bounds each response body. Blocking; any thread.
absl::StatusOr<std::vector<absl::StatusOr<H3Response>>> H3Fetch(
    std::string_view host, uint16_t port, const ClientOptions& options,
    std::vector<H3Request> requests, uint64_t timeout_ms = 10000);

}  // namespace sexp::quic

#endif  // SEXP_NET_QUIC_H_
