// Internal: one QUIC connection over ngtcp2 0.12 + GnuTLS, whatever the
// application protocol on its streams — the handshake, packet reads and
// writes, stream sending with retransmission-safe buffers, flow control
// credit for sent data, its timers and closing. Protocols derive from Conn
// and add what they do with stream data: sexpr/1's ServerConn (server.cc)
// and ClientConn (client.cc); an HTTP/3 host would add an nghttp3 session
// the same way (see listener.h for the server side).
//
// Ownership: a Conn belongs to one Endpoint (its `ep_`, which must outlive
// it) and owns its ngtcp2_conn and gnutls_session_t. ngtcp2's user_data is
// the Conn itself: callbacks get back to the subclass through Self<T>.
// Closing (CloseWithAppError, a fatal error, the peer's close, the idle
// timer) only marks a connection dead and calls OnDeath; its owner deletes
// it later, never inside ngtcp2's callbacks.
//
// Threads: the loop thread of its endpoint only, like everything ngtcp2.
// Other threads reach a connection by posting to the endpoint.
//
// TLS: sessions come from net/tls.h; the protocol names its ALPN.
#ifndef SEXP_SRC_NET_CONNECTION_H_
#define SEXP_SRC_NET_CONNECTION_H_

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "net/endpoint.h"
#include "net/tls.h"

namespace sexp::net_internal {

namespace tls = ::sexp::quic::tls;

// `n` random bytes (connection IDs, tokens, secrets).
void Random(uint8_t* dest, size_t n);

// ngtcp2's defaults with the clock's time now and ngtcp2's debug log on
// stderr when SEXP_QUIC_DEBUG is set. For Conn::StartClient and
// AcceptedConn::Start; adjust (handshake timeout, ...) before passing it.
ngtcp2_settings DefaultSettings();

// True for bidirectional stream IDs (RFC 9000 §2.1).
inline bool IsBidi(int64_t stream_id) { return (stream_id & 0x2) == 0; }

// A connection ID as a map key.
inline std::string CidKey(const uint8_t* data, size_t len) {
  return std::string(reinterpret_cast<const char*>(data), len);
}

// Bytes of one stream direction not yet acknowledged, plus where sending has
// got to. Stream data handed to ngtcp2 must stay put until it is
// acknowledged (ngtcp2 keeps pointers for retransmission), so the bytes are
// a deque of chunks that never move, dropped from the front as
// acknowledgements come. Conn::Write sends from it; ngtcp2's
// acked_stream_data_offset callback trims it.
class OutQueue {
 public:
  void Append(std::string chunk) {
    end_ += chunk.size();
    if (!chunk.empty()) chunks_.push_back(std::move(chunk));
  }
  void SetFin() { fin_ = true; }
  bool fin() const { return fin_; }
  // Something to hand to ngtcp2: unsent bytes, or the FIN alone.
  bool pending() const { return sent_ < end_ || (fin_ && !fin_sent_); }
  // Bytes not yet handed to ngtcp2 (they wait for the peer's credit).
  bool unsent() const { return sent_ < end_; }
  uint64_t held() const { return end_ - base_; }

  // Up to `max` vectors covering the unsent bytes; `*all` tells whether
  // they cover all of them (only then may the FIN go with them).
  size_t Vectors(ngtcp2_vec* v, size_t max, bool* all) const {
    size_t n = 0;
    uint64_t off = base_;
    *all = true;
    for (const std::string& c : chunks_) {
      if (n == max) {
        *all = off >= end_;
        break;
      }
      uint64_t c_end = off + c.size();
      if (c_end > sent_) {
        size_t skip = sent_ > off ? static_cast<size_t>(sent_ - off) : 0;
        v[n].base = reinterpret_cast<uint8_t*>(const_cast<char*>(c.data())) + skip;
        v[n].len = c.size() - skip;
        ++n;
      }
      off = c_end;
    }
    return n;
  }
  // `n` more bytes were handed to ngtcp2 (with the FIN if `fin` and all sent).
  void Sent(size_t n, bool fin) {
    sent_ += n;
    if (fin && sent_ == end_) fin_sent_ = true;
  }
  void Acked(uint64_t offset, uint64_t length) {
    acked_ = std::max(acked_, offset + length);
    while (!chunks_.empty() && base_ + chunks_.front().size() <= acked_) {
      base_ += chunks_.front().size();
      chunks_.pop_front();
    }
  }
  void Clear() {
    chunks_.clear();
    base_ = sent_ = end_ = acked_;
    fin_sent_ = fin_;
  }

 private:
  std::deque<std::string> chunks_;
  uint64_t base_ = 0;   // stream offset of chunks_.front()[0]
  uint64_t sent_ = 0;   // stream offset of the next byte to hand to ngtcp2
  uint64_t end_ = 0;    // stream offset after the last byte queued
  uint64_t acked_ = 0;  // acknowledged up to here
  bool fin_ = false;
  bool fin_sent_ = false;
};

// Stream data for Conn::Write: its stream (-1: none), the number of
// vectors filled (their bytes stay valid until acknowledged), and whether
// the stream ends after them.
struct Outgoing {
  int64_t stream = -1;
  size_t count = 0;
  bool fin = false;
};

// One ngtcp2 connection: its TLS session, paths, packet I/O and timers.
class Conn {
 public:
  Conn(Endpoint* ep, uint64_t id);
  virtual ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  uint64_t id() const { return id_; }
  bool dead() const { return dead_; }
  // The next timer, ngtcp2's or the protocol's (AppExpiry).
  uint64_t expiry() const {
    return conn_ == nullptr ? UINT64_MAX : std::min(ngtcp2_conn_get_expiry(conn_), AppExpiry());
  }
  const std::string& error() const { return error_; }

  // The path from the endpoint's socket to `remote`.
  ngtcp2_path PathTo(const Address& remote) const {
    return ngtcp2_path{{const_cast<sockaddr*>(ep_->local().get()), ep_->local().len},
                       {const_cast<sockaddr*>(remote.get()), remote.len},
                       nullptr};
  }

  // Feeds one datagram. On a fatal error the connection is closed (a
  // CONNECTION_CLOSE sent where one is due) and marked dead.
  void Read(const Address& from, const uint8_t* data, size_t n);

  // Writes packets until ngtcp2 has nothing more (or congestion stops it):
  // stream data of the streams Enqueue named, in that order, and whatever
  // ngtcp2 itself has to send (acknowledgements, handshake, retransmissions).
  void Write();

  // Timers fired: retransmission, idle timeout, the protocol's.
  void HandleExpiry(uint64_t now);

  // Sends CONNECTION_CLOSE with the application error `code` (the
  // protocol's own, e.g. sexp::quic::WireError) and marks the connection
  // dead.
  void CloseWithAppError(uint64_t code, std::string_view reason);

  // Gives up on the connection without telling the peer.
  void Fail(std::string why) { Die(std::move(why)); }
  bool dirty() const { return dirty_; }
  void MarkDirty() { dirty_ = true; }
  // `stream_id` may have something to send (its OutQueue grew, or the peer
  // gave it credit): Write will look at it.
  void Enqueue(int64_t stream_id) {
    sendq_.push_back(stream_id);
    dirty_ = true;
  }

 protected:
  // The send queue of `stream_id`, or null when the stream is gone.
  virtual OutQueue* QueueOf(int64_t stream_id) = 0;
  // Called once, when the connection dies (after ngtcp2 has returned, not
  // inside its callbacks); the owner deletes the connection later.
  virtual void OnDeath() {}
  // The peer acknowledged data of `stream_id`, which freed `freed` bytes of
  // its OutQueue (0 when the acknowledgement ended inside a chunk).
  virtual void OnAcked(int64_t stream_id, uint64_t freed) {}
  // The peer gave `stream_id` more flow-control credit: it read some.
  virtual void OnCredit(int64_t stream_id) {}
  // Where Write gets stream data. By default from the OutQueues of the
  // streams Enqueue named; a protocol with its own send buffers (HTTP/3:
  // nghttp3 frames the streams) overrides all four together.
  //
  // The next stream data to send (Outgoing).
  virtual Outgoing NextOutgoing(ngtcp2_vec* vec, size_t max);
  // ngtcp2 took `n` bytes of it (and the FIN, if `fin` was asked and all
  // was taken).
  virtual void TookOutgoing(int64_t stream_id, size_t n, bool fin);
  // ngtcp2 cannot send on `stream_id` now (`liberr`: no credit, shut,
  // gone); a protocol resumes it on credit (OnStreamCredit).
  virtual void StreamNotWritable(int64_t stream_id, int liberr);
  // The peer acknowledged `length` bytes of `stream_id` from `offset`.
  virtual void OnAckedStreamData(int64_t stream_id, uint64_t offset, uint64_t length);
  // The peer raised `stream_id`'s flow-control limit.
  virtual void OnStreamCredit(int64_t stream_id);

  // The protocol's own timer (deadlines, say): when it is next due
  // (UINT64_MAX: never), and the call when it is, from HandleExpiry.
  // Update the time only where the connection is then written (the
  // owner re-reads expiry() after writes and timers).
  virtual uint64_t AppExpiry() const { return UINT64_MAX; }
  virtual void OnAppExpiry(uint64_t now) {}

  // Client: creates the ngtcp2 connection to `remote` over the endpoint's
  // connected socket, and its TLS session. `cb` holds the protocol's
  // callbacks (stream data, handshake completed, ...); the common ones and
  // the client's (Initial, Retry, new connection IDs) are added here.
  // `sni` and `verify` as in tls::NewClientSession; `verify` is copied into
  // the connection, which GnuTLS then points at.
  absl::Status StartClient(const Address& remote, ngtcp2_callbacks cb,
                           const ngtcp2_settings& settings,
                           const ngtcp2_transport_params& params, const tls::Credentials& cred,
                           std::string_view alpn, const std::string& sni,
                           const std::string& verify);

  // The callbacks both sides use: crypto, randomness, and the OutQueue
  // bookkeeping (acknowledged data, stream credit).
  static void FillCommonCallbacks(ngtcp2_callbacks* cb);

  // Inside an ngtcp2 callback that is about to fail (return
  // NGTCP2_ERR_CALLBACK_FAILURE): the connection then closes with the
  // application error `code` rather than a transport error.
  void CloseAfterCallback(uint64_t code, std::string why) {
    if (!app_close_) app_close_ = std::make_pair(code, std::move(why));
  }

  void SetError(std::string e) {
    if (error_.empty()) error_ = std::move(e);
  }
  void Die(std::string why);
  void CloseWithLibError(int liberr);
  void SendClose(const ngtcp2_connection_close_error& ccerr);

  Endpoint* ep_;
  uint64_t id_;
  ngtcp2_conn* conn_ = nullptr;
  gnutls_session_t session_ = nullptr;
  tls::SessionRef ref_;  // routes GnuTLS's callbacks to conn_ (and the server's ALPN hook)
  Address remote_;
  std::deque<int64_t> sendq_;  // streams that may have something to send

 private:
  bool dead_ = false;
  bool dirty_ = false;
  std::string error_;
  std::optional<std::pair<uint64_t, std::string>> app_close_;  // CloseAfterCallback
  std::string verify_name_;  // client: what session_ verifies against (GnuTLS keeps the pointer)
};

// ngtcp2's user_data is always the Conn; callbacks cast back through it.
template <typename T>
T* Self(void* user) {
  return static_cast<T*>(static_cast<Conn*>(user));
}

}  // namespace sexp::net_internal

#endif  // SEXP_SRC_NET_CONNECTION_H_
