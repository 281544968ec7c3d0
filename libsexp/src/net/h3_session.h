// Internal: HTTP/3 on one ngtcp2 connection, through nghttp3 0.8 — the glue
// between the two libraries that both sides share (H3Session), the server's
// request side (H3ServerSession, owned by sexpr/1's ServerConn when the
// client chose ALPN h3, server.cc) and the client's (H3ClientSession,
// h3_client.cc).
//
// nghttp3 does the framing, QPACK and HTTP message checks; it keeps its own
// send buffers, so a Conn carrying HTTP/3 takes its stream data from
// Next/Took/NotWritable instead of OutQueues, and passes acknowledgements
// and credit on (Acked/Unblock). Bytes nghttp3 consumed go back to the
// peer's flow-control windows at once, except request and response bodies
// (DATA), which the owner gives back when it is done with them.
//
// Ownership: a session belongs to one Conn and borrows its ngtcp2_conn,
// which outlives it. Threads: the Conn's loop thread only.
#ifndef SEXP_SRC_NET_H3_SESSION_H_
#define SEXP_SRC_NET_H3_SESSION_H_

#include <nghttp3/nghttp3.h>
#include <ngtcp2/ngtcp2.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "net/connection.h"
#include "sexp/net/h3.h"

namespace sexp::net_internal {

// The HTTP/3 error code for a fatal nghttp3 error `liberr`.
uint64_t H3ErrorCode(int liberr);

class H3Session {
 public:
  explicit H3Session(ngtcp2_conn* quic) : quic_(quic) {}
  virtual ~H3Session();
  H3Session(const H3Session&) = delete;
  H3Session& operator=(const H3Session&) = delete;

  // Opens and binds the control and QPACK streams (after the handshake:
  // they need the peer's unidirectional stream credit). nghttp3 error codes.
  int Open();
  bool opened() const { return opened_; }

  // ngtcp2 → nghttp3. Non-zero: a fatal nghttp3 error (close the connection
  // with H3ErrorCode).
  int ReadStream(int64_t id, const uint8_t* data, size_t n, bool fin);
  void StreamClosed(int64_t id, uint64_t app_error_code);
  void PeerStoppedStream(int64_t id);  // RESET_STREAM or STOP_SENDING from the peer
  void Acked(int64_t id, uint64_t n) { nghttp3_conn_add_ack_offset(h3_, id, n); }
  void Unblock(int64_t id) { nghttp3_conn_unblock_stream(h3_, id); }

  // Conn::Write's source. `*error` is set on a fatal nghttp3 error.
  Outgoing Next(ngtcp2_vec* vec, size_t max, int* error);
  void Took(int64_t id, size_t n) { nghttp3_conn_add_write_offset(h3_, id, n); }
  void NotWritable(int64_t id, int liberr);

  // Resets `id` both ways with `code`, for nghttp3 and ngtcp2.
  void Abort(int64_t id, uint64_t code);

 protected:
  // The callbacks both sides use (flow control of consumed bytes, the
  // peer's STOP_SENDING and RESET_STREAM relayed to ngtcp2); each side adds
  // its own and creates h3_.
  static void FillCommonCallbacks(nghttp3_callbacks* cb);
  // `n` bytes of `id` are done with: the peer may send that many more.
  void Consumed(int64_t id, uint64_t n) {
    ngtcp2_conn_extend_max_stream_offset(quic_, id, n);
    ngtcp2_conn_extend_max_offset(quic_, n);
  }

  ngtcp2_conn* quic_;
  nghttp3_conn* h3_ = nullptr;
  bool opened_ = false;
};

// The server's side: requests in, whole, for the owner to hand on; answers
// out. Per request it enforces H3Limits (answering 431/413 itself) and
// holds the request's body bytes against the connection's window until the
// owner takes the request.
class H3ServerSession final : public H3Session {
 public:
  struct Ready {
    int64_t stream;
    quic::H3Request request;
  };

  H3ServerSession(ngtcp2_conn* quic, const quic::H3Limits& limits, uint64_t max_streams);
  ~H3ServerSession() override;
  int Init();  // creates the nghttp3 server; nghttp3 error codes

  // The next complete request, in arrival order; its body bytes go back to
  // the connection's window now. Answers to requests over a limit are sent
  // here (not inside nghttp3's callbacks).
  std::optional<Ready> NextRequest();
  bool HasRequest() const { return !ready_.empty() || !local_.empty(); }

  // Submits the answer to `stream`. `charged`: what the owner charged to
  // its budget for it, given back through TakeFreedAnswerBytes when the
  // stream closes. False (nothing kept) when the stream is gone, already
  // answered, or nghttp3 refused.
  bool Respond(int64_t stream, quic::H3Response response, uint64_t charged);
  // What an answer holds while it is sent: its fields and body.
  static uint64_t AnswerBytes(const quic::H3Response& response);
  // Body bytes of requests not yet handed on (to the owner: the peak).
  uint64_t held_request_bytes() const { return held_; }
  // Request streams open now (from their first field section on).
  size_t open_requests() const { return streams_.size(); }
  // Those open since `deadline` or longer at `now`; `*next`: when the next
  // one will be (UINT64_MAX: none).
  std::vector<int64_t> Expired(uint64_t now, uint64_t deadline, uint64_t* next) const;
  // The answer bytes of streams that closed since the last call (for the
  // owner's budget).
  uint64_t TakeFreedAnswerBytes() {
    uint64_t n = freed_;
    freed_ = 0;
    return n;
  }
  // Answer bytes not yet given back: of open streams and of those closed
  // since the last TakeFreedAnswerBytes (what the owner must uncharge when
  // the session goes).
  uint64_t OutstandingAnswerBytes() const;
  // GOAWAY: requests the peer opens from now on are refused (graceful
  // shutdown); those already open go on.
  void Shutdown() {
    if (h3_ != nullptr) nghttp3_conn_shutdown(h3_);
  }

 private:
  struct Stream {
    quic::H3Request request;
    uint64_t opened = 0;  // for the request deadline
    size_t field_bytes = 0;
    size_t fields = 0;
    uint64_t held = 0;     // body bytes stored, not yet given back to the window
    int refuse = 0;        // 431 / 413: answered by the session
    bool ended = false;    // the request is whole
    bool head = false;     // HEAD: the answer has no body
    std::string body_out;  // the answer's body, until the stream closes
    bool answered = false;
    uint64_t answer_bytes = 0;  // charged to the owner's budget
    bool body_given = false;
  };
  Stream* Find(int64_t id);
  void OnHeader(int64_t id, nghttp3_rcbuf* name, nghttp3_rcbuf* value);
  void OnBody(int64_t id, const uint8_t* data, size_t n);
  void OnEnd(int64_t id);
  void OnClose(int64_t id);
  static nghttp3_ssize ReadBody(nghttp3_conn*, int64_t id, nghttp3_vec* vec, size_t veccnt,
                                uint32_t* flags, void* user, void*);

  quic::H3Limits limits_;
  uint64_t max_streams_;
  absl::flat_hash_map<int64_t, std::unique_ptr<Stream>> streams_;
  std::deque<int64_t> ready_;  // complete requests, in order
  std::deque<int64_t> local_;  // requests over a limit, to be answered here
  uint64_t held_ = 0;
  uint64_t freed_ = 0;
};

// The client's side: requests submitted on new streams, responses
// collected whole.
class H3ClientSession final : public H3Session {
 public:
  struct Result {
    std::optional<quic::H3Response> response;  // set when the stream ended whole
    uint64_t error = 0;                        // the stream's reset code otherwise
    bool done = false;
  };

  H3ClientSession(ngtcp2_conn* quic, size_t max_body) : H3Session(quic), max_body_(max_body) {}
  int Init();
  // Opens a stream for `request` and submits it. NGTCP2_ERR_STREAM_ID_BLOCKED
  // when the server's stream limit is reached (try again on credit).
  int Submit(const quic::H3Request& request, int64_t* stream);
  // Closed or reset streams since the last call.
  std::vector<std::pair<int64_t, Result>> TakeDone();

 private:
  struct Stream {
    quic::H3Response response;
    std::string body_out;
    bool body_given = false;
    bool too_big = false;
    bool reported = false;  // in done_ already
  };
  static nghttp3_ssize ReadBody(nghttp3_conn*, int64_t id, nghttp3_vec* vec, size_t veccnt,
                                uint32_t* flags, void* user, void*);

  size_t max_body_;
  absl::flat_hash_map<int64_t, std::unique_ptr<Stream>> streams_;
  std::vector<std::pair<int64_t, Result>> done_;
};

// A connection (Base: Conn or AcceptedConn) whose streams carry HTTP/3
// while `h3_` is set: Write takes stream data from the session, and
// acknowledgements and credit go to it. A fatal nghttp3 error closes the
// connection with its HTTP/3 error code.
template <typename Base, typename Session>
class H3Capable : public Base {
 public:
  using Base::Base;

 protected:
  // For ngtcp2 callbacks: `rv` from the session, 0 or a fatal nghttp3
  // error — which fails the callback, the connection then closing with
  // the error's code.
  int H3Call(int rv) {
    if (rv == 0) return 0;
    this->CloseAfterCallback(H3ErrorCode(rv), std::string("http/3: ") + nghttp3_strerror(rv));
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }

  Outgoing NextOutgoing(ngtcp2_vec* vec, size_t max) override {
    if (h3_ == nullptr) return Base::NextOutgoing(vec, max);
    int error = 0;
    Outgoing out = h3_->Next(vec, max, &error);
    if (error != 0) {
      this->CloseWithAppError(H3ErrorCode(error), std::string("http/3: ") + nghttp3_strerror(error));
    }
    return out;
  }
  void TookOutgoing(int64_t id, size_t n, bool fin) override {
    if (h3_ == nullptr) return Base::TookOutgoing(id, n, fin);
    h3_->Took(id, n);
  }
  void StreamNotWritable(int64_t id, int liberr) override {
    if (h3_ == nullptr) return Base::StreamNotWritable(id, liberr);
    h3_->NotWritable(id, liberr);
  }
  void OnAckedStreamData(int64_t id, uint64_t offset, uint64_t length) override {
    if (h3_ == nullptr) return Base::OnAckedStreamData(id, offset, length);
    h3_->Acked(id, length);
  }
  void OnStreamCredit(int64_t id) override {
    if (h3_ == nullptr) return Base::OnStreamCredit(id);
    h3_->Unblock(id);
    this->MarkDirty();
  }

  std::unique_ptr<Session> h3_;
};

}  // namespace sexp::net_internal

#endif  // SEXP_SRC_NET_H3_SESSION_H_
