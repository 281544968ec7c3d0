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
// Memory (spec/wire.md §3.3, "Worst case per connection").
//   Requests: a request stream's flow-control window is one whole frame and
//   is never extended; the connection's window (max_request_bytes_per_
//   connection) is given back only as requests are handed to the handler
//   or their streams end, so a connection never holds more request bytes
//   than that — partial frames, complete requests waiting, and what ngtcp2
//   holds out of order alike.
//   Answers: every answer or push byte is charged to its connection's
//   budget and the server's before it is queued (Responder::Send, on the
//   caller's thread, so a busy loop cannot be flooded through its task
//   queue either), and given back as the peer acknowledges it or the stream
//   ends. A frame that does not fit resets its stream (busy). Requests wait
//   for the handler while either budget is half used — back-pressure that
//   keeps their streams, hence the client's stream credit, taken.
//   Time: a request stream is reset (timeout) at its deadline, and an
//   answer the peer does not read — no acknowledgement for answer_stall_ms
//   while its window is closed or the whole connection is quiet — sooner.
//   Neither rule looks at PINGs, so a peer cannot keep buffers alive with
//   keep-alives.
#include <ngtcp2/ngtcp2.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "net/connection.h"
#include "net/h3_session.h"
#include "net/listener.h"
#include "net/wire_error.h"
#include "sexp/net/quic.h"
#include "sexp/wire/frame.h"

namespace sexp::net_internal {

// A byte budget any thread may draw on: Responder::Send takes a frame's
// bytes before queueing it, the loop thread gives them back as the peer
// acknowledges them. Lock-free, so a handler's thread never waits on the
// loop.
class ByteBudget {
 public:
  explicit ByteBudget(uint64_t limit) : limit_(limit) {}

  bool Take(uint64_t n) {
    uint64_t used = used_.load(std::memory_order_relaxed);
    do {
      if (n > limit_ || used > limit_ - n) return false;
    } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    return true;
  }
  void Give(uint64_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  // Room for new work: at most half used, the rest being headroom for
  // answers already under way (or nothing used, whatever the limit).
  bool HalfFree() const {
    const uint64_t u = used();
    return u == 0 || u <= limit_ / 2;
  }

 private:
  const uint64_t limit_;
  std::atomic<uint64_t> used_{0};
};

}  // namespace sexp::net_internal

namespace sexp::quic {

using net_internal::AcceptedConn;
using net_internal::Address;
using net_internal::ByteBudget;
using net_internal::FrameChunk;
using net_internal::IsBidi;
using net_internal::Now;
using net_internal::OutQueue;
using net_internal::Outgoing;
using net_internal::Self;
using net_internal::WireErrorOf;

namespace {

enum StreamOpKind { kOpSend, kOpFinish, kOpReset };

// Bytes of the frame carrying `n` payload bytes.
uint64_t FrameBytes(uint64_t n) { return VarintSize(n) + n; }

uint64_t Ms(uint64_t ms) { return ms * NGTCP2_MILLISECONDS; }

}  // namespace

// What a Responder shares with its stream, from any thread: the connection's
// answer budget its frames are charged to, and whether the answer is closed
// (finished, reset, timed out, connection gone), so that Send can say so.
class AnswerState {
 public:
  explicit AnswerState(std::shared_ptr<ByteBudget> connection_budget)
      : budget(std::move(connection_budget)) {}
  const std::shared_ptr<ByteBudget> budget;
  std::atomic<bool> closed{false};
};

class ServerConn;

class ServerCore final : public net_internal::Listener,
                         public std::enable_shared_from_this<ServerCore> {
 public:
  ServerCore(ServerOptions options, RequestHandler handler)
      : Listener(options.max_connections),
        answers(options.max_answer_bytes),
        options_(std::move(options)),
        handler_(std::move(handler)) {}

  absl::Status Init() {
    return Listen(options_.address, options_.port, options_.cert_file, options_.key_file);
  }

  // Responder operations, from any thread.
  bool Send(const std::shared_ptr<AnswerState>& a, uint64_t conn, int64_t stream,
            std::string_view payload);
  void StreamOp(const std::shared_ptr<AnswerState>& a, uint64_t conn, int64_t stream,
                std::string chunk, int op, WireError code = WireError::kInternal);
  absl::Status Push(uint64_t conn, std::string_view payload);
  ServerStats Stats();

  // Loop-thread internals used by ServerConn.
  const ServerOptions& options() const { return options_; }
  // `c` has requests waiting for the handler (RunReady hands them off).
  void Waiting(uint64_t conn) { waiting_.push_back(conn); }
  void Handle(uint64_t conn, int64_t stream, std::shared_ptr<AnswerState> a,
              std::string_view request);
  void HandleH3(uint64_t conn, int64_t stream, H3Request request);
  // Loop thread: every connection stops taking requests (Server::Drain);
  // the requests still open on all of them.
  void DrainAll();
  uint64_t OpenRequests();

  // Answer bytes: the connection's budget and the server's, together.
  bool Charge(ByteBudget& conn, uint64_t n) {
    if (!answers.Take(n)) return false;
    if (!conn.Take(n)) {
      answers.Give(n);
      return false;
    }
    NotePeak();
    return true;
  }
  void Uncharge(ByteBudget& conn, uint64_t n) {
    conn.Give(n);
    answers.Give(n);
  }
  // Request bytes received and not yet given back to a window.
  void HoldRequest(uint64_t n) {
    request_bytes += n;
    NotePeak();
  }
  void ReleaseRequest(uint64_t n) { request_bytes -= n; }
  // Each connection's answer budget by id, for Push from any thread.
  void AddBudget(uint64_t conn, std::shared_ptr<ByteBudget> b) {
    std::lock_guard<std::mutex> lock(budgets_mu_);
    budgets_[conn] = std::move(b);
  }
  void RemoveBudget(uint64_t conn) {
    std::lock_guard<std::mutex> lock(budgets_mu_);
    budgets_.erase(conn);
  }

  ByteBudget answers;  // the whole server's answer bytes
  std::atomic<uint64_t> request_bytes{0}, peak{0};
  std::atomic<uint64_t> requests_total{0}, streams_reset{0}, streams_busy{0},
      streams_timed_out{0}, pushes_dropped{0};
  uint64_t open_streams = 0;  // loop thread

 private:
  std::unique_ptr<AcceptedConn> NewConnection(uint64_t id, const Address& from,
                                              const ngtcp2_pkt_hd& hd) override;
  void RunReady() override;
  bool HasReadyWork() override;
  void CloseOnStop(AcceptedConn& c) override;
  ServerConn* Find(uint64_t id);
  void NotePeak() {
    const uint64_t now = request_bytes + answers.used();
    uint64_t p = peak.load(std::memory_order_relaxed);
    while (now > p && !peak.compare_exchange_weak(p, now, std::memory_order_relaxed)) {
    }
  }

  ServerOptions options_;
  RequestHandler handler_;
  std::vector<uint64_t> waiting_;  // connections with requests waiting for room
  std::mutex budgets_mu_;
  absl::flat_hash_map<uint64_t, std::shared_ptr<ByteBudget>> budgets_;  // guarded by budgets_mu_
};

// sexpr/1's connection, or HTTP/3's when the client chose ALPN h3 (then
// `h3_` carries its streams).
class ServerConn final
    : public net_internal::H3Capable<AcceptedConn, net_internal::H3ServerSession> {
 public:
  ServerConn(ServerCore* core, uint64_t id)
      : H3Capable(core, id),
        core_(core),
        budget_(std::make_shared<ByteBudget>(core->options().max_answer_bytes_per_connection)),
        acked_(Now()) {
    core_->AddBudget(id, budget_);
  }

  // Gives back what the connection still holds; Responders still out learn
  // that their answers are closed.
  ~ServerConn() override {
    for (auto& [id, s] : streams_) {
      s->state->closed = true;
      core_->Uncharge(*budget_, s->answer.held());
      core_->ReleaseRequest(s->unreleased);
    }
    for (const std::string& p : pending_pushes_) core_->Uncharge(*budget_, p.size());
    if (h3_ != nullptr) {
      core_->Uncharge(*budget_, h3_->OutstandingAnswerBytes());
      core_->ReleaseRequest(h3_held_);
    }
    core_->open_streams -= streams_.size();
    core_->RemoveBudget(id_);
  }

  absl::Status Init(const Address& from, const ngtcp2_pkt_hd& hd) {
    ngtcp2_callbacks cb{};
    // The protocol was chosen (OnAlpn) before any of these run.
    cb.handshake_completed = [](ngtcp2_conn*, void* user) {
      auto* self = Self<ServerConn>(user);
      return self->h3_ == nullptr ? 0 : self->H3Call(self->h3_->Open());
    };
    cb.recv_stream_data = [](ngtcp2_conn*, uint32_t flags, int64_t stream_id, uint64_t,
                             const uint8_t* data, size_t datalen, void* user, void*) {
      auto* self = Self<ServerConn>(user);
      if (self->h3_ != nullptr) {
        return self->OnH3StreamData(stream_id, flags, data, datalen);
      }
      self->OnStreamData(stream_id, flags, data, datalen);
      return 0;
    };
    cb.stream_close = [](ngtcp2_conn*, uint32_t flags, int64_t stream_id, uint64_t code,
                         void* user, void*) {
      auto* self = Self<ServerConn>(user);
      if (self->h3_ != nullptr) {
        bool has_code = (flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET) != 0;
        self->h3_->StreamClosed(stream_id, has_code ? code : NGHTTP3_H3_NO_ERROR);
        self->core_->Uncharge(*self->budget_, self->h3_->TakeFreedAnswerBytes());
        self->SyncH3Held();
      }
      self->OnStreamClose(stream_id);
      return 0;
    };
    cb.stream_reset = [](ngtcp2_conn*, int64_t stream_id, uint64_t, uint64_t, void* user,
                         void*) {
      auto* self = Self<ServerConn>(user);
      if (self->h3_ != nullptr) {
        self->h3_->PeerStoppedStream(stream_id);
      } else {
        self->OnPeerAbandoned(stream_id);
      }
      return 0;
    };
    cb.stream_stop_sending = [](ngtcp2_conn*, int64_t stream_id, uint64_t, void* user, void*) {
      auto* self = Self<ServerConn>(user);
      if (self->h3_ != nullptr) {
        self->h3_->PeerStoppedStream(stream_id);
      } else {
        self->OnPeerAbandoned(stream_id);
      }
      return 0;
    };
    cb.extend_max_local_streams_uni = [](ngtcp2_conn*, uint64_t, void* user) {
      Self<ServerConn>(user)->OpenPendingPushes();
      return 0;
    };

    ngtcp2_settings settings = net_internal::DefaultSettings();
    const ServerOptions& o = core_->options();
    // A request stream carries one frame: its window is that frame, never
    // extended, so a peer cannot make one stream hold more. The connection's
    // window bounds all of them together (and holds at least one frame).
    const uint64_t frame = FrameBytes(o.max_frame_size);
    ngtcp2_transport_params params;
    ngtcp2_transport_params_default(&params);
    params.initial_max_streams_bidi = o.max_streams_per_connection;
    params.initial_max_streams_uni = 0;
    params.initial_max_stream_data_bidi_remote = frame;
    params.initial_max_stream_data_bidi_local = 256 * 1024;
    params.initial_max_stream_data_uni = 256 * 1024;
    params.initial_max_data = std::max<uint64_t>(o.max_request_bytes_per_connection, frame);
    params.max_idle_timeout = Ms(o.idle_timeout_ms);
    static const std::vector<std::string_view> kSexprOnly{quic::kAlpn};
    static const std::vector<std::string_view> kBoth{quic::kAlpn, quic::kAlpnH3};
    return Start(from, hd, cb, settings, params, o.http3 ? kBoth : kSexprOnly);
  }

  // The client chose HTTP/3: it may open its control and QPACK streams
  // (and a few unknown ones, which nghttp3 ignores), and request streams
  // take a body at a time rather than one frame.
  int OnAlpn(std::string_view alpn) override {
    if (alpn == quic::kAlpn) return 0;
    const ServerOptions& o = core_->options();
    if (alpn != quic::kAlpnH3 || !o.http3) return -1;
    ngtcp2_transport_params params = *ngtcp2_conn_get_local_transport_params(conn_);
    params.initial_max_streams_uni = 8;
    params.initial_max_stream_data_uni = 64 * 1024;
    params.initial_max_stream_data_bidi_remote = 256 * 1024;
    if (ngtcp2_conn_set_local_transport_params(conn_, &params) != 0) return -1;
    h3_ = std::make_unique<net_internal::H3ServerSession>(conn_, o.h3_limits,
                                                          o.max_streams_per_connection);
    return h3_->Init() == 0 ? 0 : -1;
  }
  bool is_h3() const { return h3_ != nullptr; }

  // Draining: no new requests (HTTP/3: GOAWAY; sexpr/1: new streams are
  // reset with kShutdown as they come).
  void Drain() {
    draining_ = true;
    if (h3_ != nullptr) h3_->Shutdown();
    MarkDirty();
    core_->Dirty(this);
  }
  // Requests received and not yet done with (answered and acknowledged).
  size_t OpenRequests() const {
    return h3_ != nullptr ? h3_->open_requests() : streams_.size();
  }

  // From an H3Respond, on the loop thread: charged to the budgets, then
  // submitted; over budget, the stream is reset.
  void RespondH3(int64_t stream, H3Response response) {
    if (h3_ == nullptr) return;
    const uint64_t bytes = net_internal::H3ServerSession::AnswerBytes(response);
    if (!core_->Charge(*budget_, bytes)) {
      ++core_->streams_busy;
      h3_->Abort(stream, NGHTTP3_H3_INTERNAL_ERROR);
    } else if (!h3_->Respond(stream, std::move(response), bytes)) {
      core_->Uncharge(*budget_, bytes);  // the stream is gone
    }
    MarkDirty();
    core_->Dirty(this);
  }

  // From Responder / Push, on the loop thread. `chunk` is charged to the
  // budgets (a's and the server's) and given back if it cannot be queued.
  void Queue(int64_t stream_id, std::string chunk, AnswerState& a) {
    Stream* s = Find(stream_id);
    if (s == nullptr || s->abandoned || s->answer.fin()) {
      core_->Uncharge(*a.budget, chunk.size());
      return;
    }
    if (s->answer.held() == 0) StartHolding(*s);
    s->answer.Append(std::move(chunk));
    Enqueue(stream_id);
    core_->Dirty(this);
  }

  void Finish(int64_t stream_id) {
    Stream* s = Find(stream_id);
    if (s == nullptr || s->abandoned || s->answer.fin()) return;
    s->answer.SetFin();
    Enqueue(stream_id);
    core_->Dirty(this);
  }

  void Reset(int64_t stream_id, WireError code) {
    Stream* s = Find(stream_id);
    if (s == nullptr || s->abandoned || s->answer.fin()) return;
    Abandon(stream_id, *s, code);
  }

  // `chunk` is charged to the budgets.
  void Push(std::string chunk) {
    if (pending_pushes_.empty()) PushesProgress();
    pending_pushes_.push_back(std::move(chunk));
    OpenPendingPushes();
    core_->Dirty(this);
  }

  // Hands waiting requests to the handler while the answer budgets have
  // room; the rest wait (their streams stay open: back-pressure).
  void HandOff() {
    if (h3_ != nullptr) {
      HandOffH3();
      return;
    }
    while (!waiting_.empty() && HasRoom()) {
      const int64_t id = waiting_.front();
      waiting_.pop_front();
      Stream* s = Find(id);
      if (s == nullptr || s->abandoned) continue;
      std::string request = std::move(s->complete);
      s->complete = std::string();
      Release(*s);  // the window update goes out with this turn's writes
      MarkDirty();
      core_->Dirty(this);
      core_->Handle(id_, id, s->state, request);  // may answer, even reset: s is done with
    }
  }
  bool HasWaiting() const { return h3_ != nullptr ? h3_->HasRequest() : !waiting_.empty(); }
  bool CanHandOff() const { return HasWaiting() && HasRoom(); }
  bool listed = false;  // in ServerCore's waiting list

 private:
  // --- HTTP/3 ------------------------------------------------------------

  int OnH3StreamData(int64_t id, uint32_t flags, const uint8_t* data, size_t n) {
    if (int rv = H3Call(h3_->Open()); rv != 0) return rv;  // data before handshake_completed
    const size_t before = h3_->open_requests();
    if (int rv = H3Call(h3_->ReadStream(id, data, n, (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0));
        rv != 0) {
      return rv;
    }
    SyncH3Held();
    if (h3_->open_requests() > before && core_->options().request_deadline_ms != 0) {
      CheckBy(Now() + Ms(core_->options().request_deadline_ms));
    }
    if (h3_->HasRequest() && !listed) {
      listed = true;
      core_->Waiting(id_);
    }
    return 0;
  }

  // The server's count of request bytes held follows the session's.
  void SyncH3Held() {
    const uint64_t now = h3_->held_request_bytes();
    if (now > h3_held_) core_->HoldRequest(now - h3_held_);
    if (now < h3_held_) core_->ReleaseRequest(h3_held_ - now);
    h3_held_ = now;
  }

  void HandOffH3() {
    while (HasRoom()) {
      std::optional<net_internal::H3ServerSession::Ready> ready = h3_->NextRequest();
      if (!ready) break;
      ++core_->requests_total;
      SyncH3Held();
      core_->HandleH3(id_, ready->stream, std::move(ready->request));
    }
    MarkDirty();
    core_->Dirty(this);
  }

  // Requests past the deadline are reset (H3_REQUEST_CANCELLED).
  void ExpireH3(uint64_t now) {
    const uint64_t deadline = Ms(core_->options().request_deadline_ms);
    if (deadline == 0) return;
    uint64_t next = UINT64_MAX;
    const std::vector<int64_t> expired = h3_->Expired(now, deadline, &next);
    if (next != UINT64_MAX) CheckBy(next);
    for (int64_t id : expired) {
      ++core_->streams_timed_out;
      h3_->Abort(id, NGHTTP3_H3_REQUEST_CANCELLED);
    }
    if (!expired.empty()) MarkDirty();
  }

  struct Stream {
    Stream(const FrameOptions& fo, std::shared_ptr<AnswerState> a, uint64_t now)
        : request(fo), state(std::move(a)), opened(now), progress(now) {}
    FrameDecoder request;
    std::string complete;  // the request, waiting for room to be handed off
    OutQueue answer;
    std::shared_ptr<AnswerState> state;
    uint64_t unreleased = 0;  // request bytes not yet given back to the window
    uint64_t opened;          // for the request deadline
    uint64_t progress;        // last acknowledgement or credit, or first byte held
    bool handed_off = false;  // the request is complete (or refused)
    bool abandoned = false;   // reset by us or the peer: nothing more goes out
  };

  Stream* Find(int64_t id) {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second.get();
  }

  Stream& StreamFor(int64_t id) {
    auto& slot = streams_[id];
    if (slot == nullptr) {
      const uint64_t now = Now();
      slot = std::make_unique<Stream>(FrameOptions{core_->options().max_frame_size},
                                      std::make_shared<AnswerState>(budget_), now);
      ++core_->open_streams;
      if (IsBidi(id) && core_->options().request_deadline_ms != 0) {
        CheckBy(now + Ms(core_->options().request_deadline_ms));
      }
    }
    return *slot;
  }

  bool HasRoom() const { return budget_->HalfFree() && core_->answers.HalfFree(); }

  // The stall clock of an answer starts when it first holds bytes.
  void StartHolding(Stream& s) {
    s.progress = Now();
    if (core_->options().answer_stall_ms != 0) {
      CheckBy(s.progress + Ms(core_->options().answer_stall_ms));
    }
  }

  void PushesProgress() {
    pushes_progress_ = Now();
    if (core_->options().answer_stall_ms != 0) {
      CheckBy(pushes_progress_ + Ms(core_->options().answer_stall_ms));
    }
  }

  void Release(Stream& s) {
    if (s.unreleased != 0) {
      ngtcp2_conn_extend_max_offset(conn_, s.unreleased);
      core_->ReleaseRequest(s.unreleased);
      s.unreleased = 0;
    }
  }

  void OnStreamData(int64_t id, uint32_t flags, const uint8_t* data, size_t n) {
    if (!IsBidi(id)) return;
    const bool fresh = Find(id) == nullptr;
    Stream& s = StreamFor(id);
    if (fresh && draining_) {  // a request begun after Drain: refused
      s.unreleased += n;
      core_->HoldRequest(n);
      Abandon(id, s, WireError::kShutdown);
      return;
    }
    s.unreleased += n;
    core_->HoldRequest(n);
    if (s.handed_off || s.abandoned) {  // bytes after the request's end: ignored
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
    // Its bytes stay charged to the window until the handler takes it.
    s.handed_off = true;
    s.request = FrameDecoder(FrameOptions{core_->options().max_frame_size});
    s.complete = std::move(request);
    waiting_.push_back(id);
    if (!listed) {
      listed = true;
      core_->Waiting(id_);
    }
  }

  // The request is done with (refused, abandoned): its decoder's memory is
  // freed and its bytes given back to the connection's window.
  void EndRequest(Stream& s) {
    s.handed_off = true;
    s.request = FrameDecoder(FrameOptions{core_->options().max_frame_size});
    s.complete = std::string();
    Release(s);
  }

  // The answer is dropped: its bytes go back to the budgets, and Responders
  // learn it is closed.
  void DropAnswer(Stream& s) {
    s.abandoned = true;
    s.state->closed = true;
    core_->Uncharge(*budget_, s.answer.held());
    s.answer.Clear();
  }

  // A framing error: reset both directions with the error's code; the
  // connection goes on serving.
  void Refuse(int64_t id, Stream& s, WireError code) {
    ++core_->streams_reset;
    Abandon(id, s, code);
  }

  // Resets the stream both ways with `code` and frees what it holds.
  void Abandon(int64_t id, Stream& s, WireError code) {
    EndRequest(s);
    DropAnswer(s);
    ngtcp2_conn_shutdown_stream(conn_, id, static_cast<uint64_t>(code));
    MarkDirty();
    core_->Dirty(this);
  }

  void OnPeerAbandoned(int64_t id) {
    if (Stream* s = Find(id)) {
      EndRequest(*s);
      DropAnswer(*s);
    }
  }

  void OnStreamClose(int64_t id) {
    auto it = streams_.find(id);
    if (it != streams_.end()) {
      EndRequest(*it->second);
      DropAnswer(*it->second);
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
      StartHolding(s);
      s.answer.Append(std::move(pending_pushes_.front()));
      s.answer.SetFin();
      pending_pushes_.pop_front();
      PushesProgress();
      Enqueue(id);
    }
  }

  void OnAcked(int64_t id, uint64_t freed) override {
    Stream* s = Find(id);
    if (s == nullptr) return;
    s->progress = acked_ = Now();
    core_->Uncharge(*budget_, freed);
  }

  void OnCredit(int64_t id) override {
    if (Stream* s = Find(id)) s->progress = Now();
  }

  // --- deadlines and stalls ------------------------------------------------

  // The timer is due no later than `t`. Conservative: the check finds what
  // is really due and sets the next time exactly.
  void CheckBy(uint64_t t) { next_check_ = std::min(next_check_, t); }

  uint64_t AppExpiry() const override { return next_check_; }

  void OnAppExpiry(uint64_t now) override {
    next_check_ = UINT64_MAX;
    if (h3_ != nullptr) {
      ExpireH3(now);
      return;
    }
    std::vector<int64_t> expired;  // reset after the walk: resets may close streams
    for (auto& [id, s] : streams_) {
      if (s->abandoned) continue;
      uint64_t due = NextDue(id, *s, now);
      if (due <= now) {
        expired.push_back(id);
      } else {
        CheckBy(due);
      }
    }
    for (int64_t id : expired) {
      if (Stream* s = Find(id)) {
        ++core_->streams_timed_out;
        Abandon(id, *s, WireError::kTimeout);
      }
    }
    DropStalledPushes(now);
  }

  // When `s` must be reset: now or earlier if it is past its deadline or
  // stalled, else the next time to look again (UINT64_MAX: never).
  uint64_t NextDue(int64_t id, const Stream& s, uint64_t now) const {
    const ServerOptions& o = core_->options();
    uint64_t due = UINT64_MAX;
    if (o.request_deadline_ms != 0 && IsBidi(id)) due = s.opened + Ms(o.request_deadline_ms);
    if (o.answer_stall_ms != 0 && s.answer.held() != 0) {
      const uint64_t stall = Ms(o.answer_stall_ms);
      if (Stalled(id, s, now, stall)) return now;
      // Quiet but the connection moves: look again when it may have stopped.
      due = std::min(due, (now >= s.progress + stall ? acked_ : s.progress) + stall);
    }
    return due;
  }

  // The peer is not reading `s`: nothing of it acknowledged and no credit
  // for it for `stall`, and either its window (the stream's or the
  // connection's) is closed to bytes waiting, or the peer acknowledged no
  // answer bytes at all on the connection in that time. PINGs and other
  // frames count for neither.
  bool Stalled(int64_t id, const Stream& s, uint64_t now, uint64_t stall) const {
    if (now < s.progress + stall) return false;
    if (now >= acked_ + stall) return true;
    return s.answer.unsent() && (ngtcp2_conn_get_max_stream_data_left(conn_, id) == 0 ||
                                 ngtcp2_conn_get_max_data_left(conn_) == 0);
  }

  // Pushes that got no stream for answer_stall_ms (the peer grants none)
  // are dropped.
  void DropStalledPushes(uint64_t now) {
    const uint64_t stall = Ms(core_->options().answer_stall_ms);
    if (pending_pushes_.empty() || stall == 0) return;
    if (now < pushes_progress_ + stall) {
      CheckBy(pushes_progress_ + stall);
      return;
    }
    for (const std::string& p : pending_pushes_) core_->Uncharge(*budget_, p.size());
    core_->pushes_dropped += pending_pushes_.size();
    pending_pushes_.clear();
  }

  OutQueue* QueueOf(int64_t id) override {
    Stream* s = Find(id);
    return s == nullptr ? nullptr : &s->answer;
  }

  ServerCore* core_;
  std::shared_ptr<ByteBudget> budget_;  // this connection's answer bytes
  absl::flat_hash_map<int64_t, std::unique_ptr<Stream>> streams_;
  std::deque<int64_t> waiting_;  // streams whose complete request waits for room
  std::deque<std::string> pending_pushes_;
  uint64_t acked_;                 // the last acknowledgement of answer bytes (or the start)
  uint64_t pushes_progress_ = 0;   // a push got a stream, or the first was queued
  uint64_t next_check_ = UINT64_MAX;
  uint64_t h3_held_ = 0;  // h3_'s held request bytes, as counted in core_->request_bytes
  bool draining_ = false;
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

void ServerCore::Handle(uint64_t conn, int64_t stream, std::shared_ptr<AnswerState> a,
                        std::string_view request) {
  ++requests_total;
  Responder responder(shared_from_this(), std::move(a), conn, stream);
  try {
    handler_(request, responder);
  } catch (...) {  // a host's bug ends its answer, not the server
    responder.Reset(WireError::kInternal);
  }
}

void ServerCore::RunReady() {
  std::vector<uint64_t> waiting;
  waiting.swap(waiting_);
  for (uint64_t id : waiting) {
    ServerConn* c = Find(id);
    if (c == nullptr || c->dead()) continue;
    c->HandOff();
    if (c->HasWaiting()) {
      waiting_.push_back(id);
    } else {
      c->listed = false;
    }
  }
}

bool ServerCore::HasReadyWork() {
  for (uint64_t id : waiting_) {
    ServerConn* c = Find(id);
    if (c != nullptr && !c->dead() && c->CanHandOff()) return true;
  }
  return false;
}

void ServerCore::CloseOnStop(AcceptedConn& c) {
  const bool h3 = static_cast<ServerConn&>(c).is_h3();
  c.CloseWithAppError(h3 ? NGHTTP3_H3_NO_ERROR : static_cast<uint64_t>(WireError::kShutdown),
                      "server shutting down");
}

void ServerCore::DrainAll() {
  for (auto& [id, c] : connections()) {
    if (!c->dead()) static_cast<ServerConn&>(*c).Drain();
  }
}

uint64_t ServerCore::OpenRequests() {
  uint64_t n = 0;
  for (auto& [id, c] : connections()) {
    if (!c->dead()) n += static_cast<const ServerConn&>(*c).OpenRequests();
  }
  return n;
}

void ServerCore::HandleH3(uint64_t conn, int64_t stream, H3Request request) {
  // Answered once, from any thread; the answer finds its connection (if
  // still there) on the loop thread.
  auto once = std::make_shared<std::atomic<bool>>(false);
  H3Respond respond = [self = shared_from_this(), conn, stream, once](H3Response r) {
    if (once->exchange(true)) return;
    self->RunOrPost([self, conn, stream, r = std::move(r)]() mutable {
      ServerConn* c = self->Find(conn);
      if (c != nullptr && !c->dead()) c->RespondH3(stream, std::move(r));
    });
  };
  try {
    options_.http3(std::move(request), respond);
  } catch (...) {  // a host's bug answers 500, not the server's end
    respond(H3Response{500, {}, "internal error\n"});
  }
}

bool ServerCore::Send(const std::shared_ptr<AnswerState>& a, uint64_t conn, int64_t stream,
                      std::string_view payload) {
  if (a->closed) return false;
  const uint64_t n = FrameBytes(payload.size());
  if (!Charge(*a->budget, n)) {  // checked before the frame is built
    if (!a->closed.exchange(true)) {
      ++streams_busy;
      StreamOp(a, conn, stream, {}, kOpReset, WireError::kBusy);
    }
    return false;
  }
  StreamOp(a, conn, stream, FrameChunk(payload), kOpSend);
  return true;
}

void ServerCore::StreamOp(const std::shared_ptr<AnswerState>& a, uint64_t conn, int64_t stream,
                          std::string chunk, int op, WireError code) {
  RunOrPost([self = shared_from_this(), a, conn, stream, chunk = std::move(chunk), op,
             code]() mutable {
    ServerConn* c = self->Find(conn);
    if (op == kOpSend && (c == nullptr || c->dead())) {
      self->Uncharge(*a->budget, chunk.size());
    } else if (c == nullptr) {
      return;
    } else if (op == kOpSend) {
      c->Queue(stream, std::move(chunk), *a);
    } else if (op == kOpFinish) {
      c->Finish(stream);
    } else {
      c->Reset(stream, code);
    }
  });
}

absl::Status ServerCore::Push(uint64_t conn, std::string_view payload) {
  std::shared_ptr<ByteBudget> budget;
  {
    std::lock_guard<std::mutex> lock(budgets_mu_);
    auto it = budgets_.find(conn);
    if (it == budgets_.end()) return absl::NotFoundError("no such connection");
    budget = it->second;
  }
  const uint64_t n = FrameBytes(payload.size());
  if (!Charge(*budget, n)) {
    ++pushes_dropped;
    return absl::ResourceExhaustedError("the connection's or the server's answer buffers are full");
  }
  bool queued = RunOrPost([self = shared_from_this(), conn, budget,
                           chunk = FrameChunk(payload)]() mutable {
    ServerConn* c = self->Find(conn);
    if (c == nullptr || c->dead()) {
      self->Uncharge(*budget, chunk.size());
    } else {
      c->Push(std::move(chunk));
    }
  });
  if (!queued) Uncharge(*budget, n);
  return queued ? absl::OkStatus() : absl::FailedPreconditionError("server stopped");
}

ServerStats ServerCore::Stats() {
  ServerStats s = OnLoop([this] {
                    ServerStats live;
                    for (auto& [id, c] : connections()) {
                      if (!c->dead()) ++live.connections;
                    }
                    live.streams = open_streams;
                    return live;
                  })
                      .value_or(ServerStats());
  s.request_bytes = request_bytes;
  s.answer_bytes = answers.used();
  s.buffered_bytes = s.request_bytes + s.answer_bytes;
  s.peak_buffered_bytes = peak;
  s.connections_total = connections_total;
  s.requests_total = requests_total;
  s.streams_reset = streams_reset;
  s.streams_busy = streams_busy;
  s.streams_timed_out = streams_timed_out;
  s.pushes_dropped = pushes_dropped;
  s.connections_refused = connections_refused;
  return s;
}

bool Responder::Send(std::string_view payload) const {
  return core_->Send(answer_, connection_, stream_, payload);
}
void Responder::Finish() const {
  answer_->closed = true;  // a Send after this one is refused at once
  core_->StreamOp(answer_, connection_, stream_, {}, kOpFinish);
}
void Responder::Reset(WireError code) const {
  answer_->closed = true;
  core_->StreamOp(answer_, connection_, stream_, {}, kOpReset, code);
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
  return core_->Push(connection, payload);
}
std::vector<uint64_t> Server::Connections() const { return core_->ConnectionIds(); }
ServerStats Server::Stats() const { return core_->Stats(); }
void Server::Shutdown() { core_->StopAndJoin(); }

uint64_t Server::Drain(uint64_t grace_ms) {
  auto open = [this] {
    return core_->OnLoop([this] { return core_->OpenRequests(); }).value_or(0);
  };
  core_->OnLoop([this] {
    core_->StopAccepting();
    core_->DrainAll();
    return 0;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  uint64_t left = open();
  while (left != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    left = open();
  }
  Shutdown();
  return left;
}

}  // namespace sexp::quic
