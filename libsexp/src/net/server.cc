// The sexpr/1 server (sexp/net/quic.h): request streams in, frames out.
//
// ServerCore is a Listener (net/listener.h) — it accepts, routes and reaps
// QUIC connections — and adds the sexpr/1 parts: each bidirectional stream
// carries one request frame to the host's handler and the frames of its
// answer back; server-initiated unidirectional streams carry pushes.
// ServerConn is the AcceptedConn that does this for one connection.
//
// Request handlers run after ngtcp2_conn_read_pkt returns (Listener::Flush
// calls RunReady before writing), never inside ngtcp2's callbacks, so a
// handler may answer at once and its answer goes out in the same write.
// Responder calls from other threads are posted to the loop thread.
//
// Memory. A request stream holds at most one frame (the decoder refuses a
// length over max_frame_size before buffering it), and the connection's
// flow-control window is only given back when a request is handed off or
// its stream closes, so a connection never holds more than its window
// (max_frame_size + 1 MiB) of unanswered requests.
#include <ngtcp2/ngtcp2.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "net/connection.h"
#include "net/listener.h"
#include "net/wire_error.h"
#include "sexp/net/quic.h"
#include "sexp/wire/frame.h"

namespace sexp::quic {

using net_internal::AcceptedConn;
using net_internal::Address;
using net_internal::FrameChunk;
using net_internal::IsBidi;
using net_internal::OutQueue;
using net_internal::Self;
using net_internal::WireErrorOf;

class ServerConn;

class ServerCore final : public net_internal::Listener,
                         public std::enable_shared_from_this<ServerCore> {
 public:
  ServerCore(ServerOptions options, RequestHandler handler)
      : Listener(options.max_connections),
        options_(std::move(options)),
        handler_(std::move(handler)) {}

  absl::Status Init() {
    return Listen(options_.address, options_.port, options_.cert_file, options_.key_file);
  }

  // Responder operations, from any thread.
  void StreamOp(uint64_t conn, int64_t stream, std::string payload, int op,
                WireError code = WireError::kInternal);
  absl::Status Push(uint64_t conn, std::string payload);
  ServerStats Stats();

  // Loop-thread internals used by ServerConn.
  const ServerOptions& options() const { return options_; }
  void Ready(uint64_t conn, int64_t stream, std::string request) {
    ready_.push_back({conn, stream, std::move(request)});
  }
  std::atomic<uint64_t> requests_total{0}, streams_reset{0};
  uint64_t open_streams = 0;  // loop thread

 private:
  std::unique_ptr<AcceptedConn> NewConnection(uint64_t id, const Address& from,
                                              const ngtcp2_pkt_hd& hd) override;
  void RunReady() override;
  void CloseOnStop(AcceptedConn& c) override;
  ServerConn* Find(uint64_t id);

  struct ReadyRequest {
    uint64_t conn;
    int64_t stream;
    std::string request;
  };

  ServerOptions options_;
  RequestHandler handler_;
  std::vector<ReadyRequest> ready_;
};

namespace {

enum StreamOpKind { kOpSend, kOpFinish, kOpReset };

}  // namespace

class ServerConn final : public AcceptedConn {
 public:
  ServerConn(ServerCore* core, uint64_t id) : AcceptedConn(core, id), core_(core) {}
  ~ServerConn() override { core_->open_streams -= streams_.size(); }

  absl::Status Init(const Address& from, const ngtcp2_pkt_hd& hd) {
    ngtcp2_callbacks cb{};
    cb.handshake_completed = [](ngtcp2_conn*, void* user) {
      auto* self = Self<ServerConn>(user);
      // A client that offered no ALPN at all gets here; one that offered
      // others was refused by GnuTLS (no_application_protocol).
      return tls::NegotiatedAlpn(self->session_) ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
    };
    cb.recv_stream_data = [](ngtcp2_conn*, uint32_t flags, int64_t stream_id, uint64_t,
                             const uint8_t* data, size_t datalen, void* user, void*) {
      Self<ServerConn>(user)->OnStreamData(stream_id, flags, data, datalen);
      return 0;
    };
    cb.stream_close = [](ngtcp2_conn*, uint32_t, int64_t stream_id, uint64_t, void* user,
                         void*) {
      Self<ServerConn>(user)->OnStreamClose(stream_id);
      return 0;
    };
    cb.stream_reset = [](ngtcp2_conn*, int64_t stream_id, uint64_t, uint64_t, void* user,
                         void*) {
      Self<ServerConn>(user)->OnPeerAbandoned(stream_id);
      return 0;
    };
    cb.stream_stop_sending = [](ngtcp2_conn*, int64_t stream_id, uint64_t, void* user, void*) {
      Self<ServerConn>(user)->OnPeerAbandoned(stream_id);
      return 0;
    };
    cb.extend_max_local_streams_uni = [](ngtcp2_conn*, uint64_t, void* user) {
      Self<ServerConn>(user)->OpenPendingPushes();
      return 0;
    };

    ngtcp2_settings settings = net_internal::DefaultSettings();
    const ServerOptions& o = core_->options();
    ngtcp2_transport_params params;
    ngtcp2_transport_params_default(&params);
    params.initial_max_streams_bidi = o.max_streams_per_connection;
    params.initial_max_streams_uni = 0;
    params.initial_max_stream_data_bidi_remote = 256 * 1024;
    params.initial_max_stream_data_bidi_local = 256 * 1024;
    params.initial_max_stream_data_uni = 256 * 1024;
    params.initial_max_data = o.max_frame_size + (1 << 20);
    params.max_idle_timeout = o.idle_timeout_ms * NGTCP2_MILLISECONDS;
    return Start(from, hd, cb, settings, params);
  }

  // From Responder / Push, on the loop thread.
  void StreamOp(int64_t stream_id, std::string payload, int op, WireError code) {
    auto it = streams_.find(stream_id);
    if (it == streams_.end() || it->second->answer.fin()) return;
    Stream& s = *it->second;
    if (op == kOpReset) {
      s.answer.Clear();
      ngtcp2_conn_shutdown_stream(conn_, stream_id, static_cast<uint64_t>(code));
    } else {
      if (op == kOpSend) s.answer.Append(FrameChunk(payload));
      if (op == kOpFinish) s.answer.SetFin();
      Enqueue(stream_id);
    }
    core_->Dirty(this);
  }

  void Push(std::string payload) {
    pending_pushes_.push_back(FrameChunk(payload));
    OpenPendingPushes();
    core_->Dirty(this);
  }

  uint64_t Buffered() const {
    uint64_t n = 0;
    for (const auto& [id, s] : streams_) n += s->request.buffered() + s->answer.held();
    for (const std::string& p : pending_pushes_) n += p.size();
    return n;
  }

 private:
  struct Stream {
    explicit Stream(const FrameOptions& fo) : request(fo) {}
    FrameDecoder request;
    OutQueue answer;
    uint64_t unreleased = 0;  // request bytes not yet given back to the window
    bool handed_off = false;
  };

  Stream& StreamFor(int64_t id) {
    auto& slot = streams_[id];
    if (slot == nullptr) {
      slot = std::make_unique<Stream>(FrameOptions{core_->options().max_frame_size});
      ++core_->open_streams;
    }
    return *slot;
  }

  void Release(Stream& s) {
    if (s.unreleased != 0) {
      ngtcp2_conn_extend_max_offset(conn_, s.unreleased);
      s.unreleased = 0;
    }
  }

  void OnStreamData(int64_t id, uint32_t flags, const uint8_t* data, size_t n) {
    if (!IsBidi(id)) return;
    Stream& s = StreamFor(id);
    ngtcp2_conn_extend_max_stream_offset(conn_, id, n);
    s.unreleased += n;
    if (s.handed_off) {  // bytes after the request's end: ignored
      Release(s);
      return;
    }
    if (n != 0) s.request.Feed(std::string_view(reinterpret_cast<const char*>(data), n));
    if (s.request.failed()) {
      Refuse(id, s, WireErrorOf(s.request.error().code));
      return;
    }
    if ((flags & NGTCP2_STREAM_DATA_FLAG_FIN) == 0) return;
    std::optional<std::string_view> frame = s.request.Next();
    std::string request = frame ? std::string(*frame) : std::string();
    bool more = frame && s.request.Next().has_value();
    Error end = s.request.Finish();
    if (!end.ok()) {
      Refuse(id, s, WireErrorOf(end.code));
      return;
    }
    if (!frame || more) {  // not exactly one frame
      Refuse(id, s, WireError::kBadRequest);
      return;
    }
    EndRequest(s);
    core_->Ready(id_, id, std::move(request));
  }

  // The request is read (or refused): its decoder's memory is freed and its
  // bytes given back to the connection's window.
  void EndRequest(Stream& s) {
    s.handed_off = true;
    s.request = FrameDecoder(FrameOptions{core_->options().max_frame_size});
    Release(s);
  }

  // A framing error: reset both directions with the error's code; the
  // connection goes on serving.
  void Refuse(int64_t id, Stream& s, WireError code) {
    EndRequest(s);
    ++core_->streams_reset;
    ngtcp2_conn_shutdown_stream(conn_, id, static_cast<uint64_t>(code));
    MarkDirty();
  }

  void OnPeerAbandoned(int64_t id) {
    auto it = streams_.find(id);
    if (it != streams_.end()) it->second->answer.Clear();
  }

  void OnStreamClose(int64_t id) {
    auto it = streams_.find(id);
    if (it != streams_.end()) {
      Release(*it->second);
      streams_.erase(it);
      --core_->open_streams;
    }
    if (IsBidi(id) && !ngtcp2_conn_is_local_stream(conn_, id)) {
      ngtcp2_conn_extend_max_streams_bidi(conn_, 1);
    }
  }

  void OpenPendingPushes() {
    while (!pending_pushes_.empty()) {
      int64_t id;
      if (ngtcp2_conn_open_uni_stream(conn_, &id, nullptr) != 0) return;  // at the limit
      Stream& s = StreamFor(id);
      s.handed_off = true;
      s.answer.Append(std::move(pending_pushes_.front()));
      s.answer.SetFin();
      pending_pushes_.pop_front();
      Enqueue(id);
    }
  }

  OutQueue* QueueOf(int64_t id) override {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : &it->second->answer;
  }

  ServerCore* core_;
  absl::flat_hash_map<int64_t, std::unique_ptr<Stream>> streams_;
  std::deque<std::string> pending_pushes_;
};

ServerConn* ServerCore::Find(uint64_t id) {
  // Every connection of this listener is a ServerConn (NewConnection).
  return static_cast<ServerConn*>(Listener::Find(id));
}

std::unique_ptr<AcceptedConn> ServerCore::NewConnection(uint64_t id, const Address& from,
                                                        const ngtcp2_pkt_hd& hd) {
  auto conn = std::make_unique<ServerConn>(this, id);
  if (!conn->Init(from, hd).ok()) return nullptr;
  return conn;
}

void ServerCore::RunReady() {
  while (!ready_.empty()) {
    std::vector<ReadyRequest> batch;
    batch.swap(ready_);
    for (ReadyRequest& r : batch) {
      ServerConn* c = Find(r.conn);
      if (c == nullptr || c->dead()) continue;
      ++requests_total;
      Responder responder(shared_from_this(), r.conn, r.stream);
      try {
        handler_(r.request, responder);
      } catch (...) {  // a host's bug ends its answer, not the server
        responder.Reset(WireError::kInternal);
      }
    }
  }
}

void ServerCore::CloseOnStop(AcceptedConn& c) {
  c.CloseWithAppError(static_cast<uint64_t>(WireError::kShutdown), "server shutting down");
}

void ServerCore::StreamOp(uint64_t conn, int64_t stream, std::string payload, int op,
                          WireError code) {
  RunOrPost([self = shared_from_this(), conn, stream, payload = std::move(payload), op,
             code]() mutable {
    if (ServerConn* c = self->Find(conn)) c->StreamOp(stream, std::move(payload), op, code);
  });
}

absl::Status ServerCore::Push(uint64_t conn, std::string payload) {
  if (OnLoopThread() && Find(conn) == nullptr) return absl::NotFoundError("no such connection");
  bool queued = RunOrPost([self = shared_from_this(), conn, payload = std::move(payload)]() mutable {
    if (ServerConn* c = self->Find(conn)) c->Push(std::move(payload));
  });
  return queued ? absl::OkStatus() : absl::FailedPreconditionError("server stopped");
}

ServerStats ServerCore::Stats() {
  ServerStats s = OnLoop([this] {
                    ServerStats live;
                    for (auto& [id, c] : connections()) {
                      if (c->dead()) continue;
                      ++live.connections;
                      live.buffered_bytes += static_cast<const ServerConn&>(*c).Buffered();
                    }
                    live.streams = open_streams;
                    return live;
                  })
                      .value_or(ServerStats());
  s.connections_total = connections_total;
  s.requests_total = requests_total;
  s.streams_reset = streams_reset;
  s.connections_refused = connections_refused;
  return s;
}

void Responder::Send(std::string_view payload) const {
  core_->StreamOp(connection_, stream_, std::string(payload), kOpSend);
}
void Responder::Finish() const { core_->StreamOp(connection_, stream_, {}, kOpFinish); }
void Responder::Reset(WireError code) const {
  core_->StreamOp(connection_, stream_, {}, kOpReset, code);
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options,
                                                      RequestHandler handler) {
  if (!handler) return absl::InvalidArgumentError("no request handler");
  auto core = std::make_shared<ServerCore>(options, std::move(handler));
  if (absl::Status s = core->Init(); !s.ok()) return s;
  core->StartThread();
  return std::unique_ptr<Server>(new Server(std::move(core)));
}

Server::~Server() { Shutdown(); }
uint16_t Server::port() const { return core_->port(); }
const std::string& Server::certificate_pem() const { return core_->cert_pem(); }
absl::Status Server::Push(uint64_t connection, std::string_view payload) {
  return core_->Push(connection, std::string(payload));
}
std::vector<uint64_t> Server::Connections() const { return core_->ConnectionIds(); }
ServerStats Server::Stats() const { return core_->Stats(); }
void Server::Shutdown() { core_->StopAndJoin(); }

}  // namespace sexp::quic
