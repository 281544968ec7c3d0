// Internal: the server side of QUIC, whatever the application protocol — a
// Listener is an Endpoint that accepts connections (AcceptedConn), routes
// each datagram to its connection by connection ID, answers version
// negotiation, refuses connections over its limit without keeping state,
// keeps every connection's timer, and deletes dead connections. sexpr/1's
// ServerCore (server.cc) derives from it; an HTTP/3 host would too, with
// its own AcceptedConn subclass, and get all of this unchanged.
//
// Ownership: a Listener owns its connections (by id), its TLS credentials
// and the stateless-reset secret. Connections die on the loop thread and
// are deleted at the next Reap: never inside ngtcp2's callbacks, nor while
// a list of dirty connections may still name them (Reap runs after the
// dirty list is written and emptied, and drops the timer first), so the raw
// Conn pointers of the timers and the dirty list never dangle.
//
// Threads: Listen runs once before StartThread; ConnectionIds from any
// thread; everything else on the loop thread (see endpoint.h).
#ifndef SEXP_SRC_NET_LISTENER_H_
#define SEXP_SRC_NET_LISTENER_H_

#include <ngtcp2/ngtcp2.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "net/connection.h"
#include "net/endpoint.h"
#include "net/tls.h"

namespace sexp::net_internal {

class Listener;

// Keeps each live connection's next timer in one ordered set.
class Timers {
 public:
  void Update(Conn* c);  // after anything that may have moved c's expiry
  void Remove(Conn* c);
  uint64_t Next() const { return set_.empty() ? UINT64_MAX : set_.begin()->first; }
  // The connections whose timers have expired.
  std::vector<Conn*> Due(uint64_t now) const;

 private:
  std::set<std::pair<uint64_t, Conn*>> set_;
  absl::flat_hash_map<Conn*, uint64_t> at_;
};

// A connection a Listener accepted: registers its connection IDs with the
// listener (so datagrams find it) and unregisters them when deleted, and
// tells the listener when it dies.
class AcceptedConn : public Conn {
 public:
  AcceptedConn(Listener* listener, uint64_t id);
  ~AcceptedConn() override;

 protected:
  // Creates the ngtcp2 server connection for the client Initial `hd` from
  // `from`, and its TLS session with the listener's credentials. `cb` holds
  // the protocol's callbacks (stream data, handshake completed, ...); the
  // common ones and the server's (client Initial, connection IDs) are added
  // here. `params` holds the protocol's limits (streams, windows, idle
  // timeout); the connection-ID limit, stateless reset token and original
  // DCID are set here. `alpn`: the protocols accepted, preferred first
  // (names with static storage); OnAlpn learns which one the client got.
  absl::Status Start(const Address& from, const ngtcp2_pkt_hd& hd, ngtcp2_callbacks cb,
                     const ngtcp2_settings& settings, ngtcp2_transport_params params,
                     const std::vector<std::string_view>& alpn);

  // The handshake chose `alpn` (empty: the client offered none); the
  // transport parameters may still be changed here. Non-zero refuses the
  // connection. Default: refuse a client without ALPN.
  virtual int OnAlpn(std::string_view alpn) { return alpn.empty() ? -1 : 0; }

  Listener* listener_;

 private:
  void Register(std::string key);
  void OnDeath() final;

  std::vector<std::string> cids_;  // registered with listener_
};

class Listener : public Endpoint {
 public:
  // More than `max_connections` open: new ones are refused.
  explicit Listener(size_t max_connections);

  // Loads the certificate and key (PEM files; both empty: a self-signed
  // development certificate, MakeSelfSignedCertificate) and binds the socket
  // to `address` (a literal) and `port` (0: any free port). Before
  // StartThread.
  absl::Status Listen(const std::string& address, uint16_t port, const std::string& cert_file,
                      const std::string& key_file);

  uint16_t port() const { return PortOf(local()); }
  const std::string& cert_pem() const { return cert_pem_; }
  const tls::Credentials& credentials() const { return cred_; }

  // The ids of the open connections, ascending. Any thread.
  std::vector<uint64_t> ConnectionIds();

  // Loop thread: `c` has something to write; it is written (and its timer
  // updated) at the end of this turn.
  void Dirty(Conn* c) { dirty_.push_back(c); }

  // Loop thread: new connections are refused from now on (as over
  // max_connections), for a graceful shutdown.
  void StopAccepting() { accepting_ = false; }

  std::atomic<uint64_t> connections_total{0};    // accepted since Listen
  std::atomic<uint64_t> connections_refused{0};  // over max_connections

 protected:
  // A new connection for the client Initial `hd` from `from`, started
  // (AcceptedConn::Start); null drops the packet.
  virtual std::unique_ptr<AcceptedConn> NewConnection(uint64_t id, const Address& from,
                                                      const ngtcp2_pkt_hd& hd) = 0;
  // Work the last reads made ready (request handlers), run before this
  // turn's writes so that what it sends goes out with them.
  virtual void RunReady() {}
  // Whether RunReady could do work now that no datagram or task brought
  // (room came back in a budget when a timer freed it): the loop then does
  // not sleep before the next turn.
  virtual bool HasReadyWork() { return false; }
  // The loop is stopping: close `c` the protocol's way (after its pending
  // writes went out). It is deleted right after.
  virtual void CloseOnStop(AcceptedConn& c) = 0;

  // The connection `id`, dead or alive, or null once deleted.
  AcceptedConn* Find(uint64_t id) {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second.get();
  }
  const absl::flat_hash_map<uint64_t, std::unique_ptr<AcceptedConn>>& connections() const {
    return by_id_;
  }

 private:
  friend class AcceptedConn;

  void OnPacket(const Address& from, const uint8_t* data, size_t n) final;
  void Flush() final;
  uint64_t NextExpiry() final { return HasReadyWork() ? 0 : timers_.Next(); }
  void OnExpiry(uint64_t now) final;
  void OnStop() final;
  void Accept(const Address& from, const uint8_t* data, size_t n);
  void Reap();

  void AddCid(const std::string& cid, AcceptedConn* c) { by_cid_[cid] = c; }
  void RemoveCid(const std::string& cid) { by_cid_.erase(cid); }
  void ResetToken(uint8_t* token, const ngtcp2_cid* cid) {
    ngtcp2_crypto_generate_stateless_reset_token(token, static_reset_secret_,
                                                 sizeof static_reset_secret_, cid);
  }
  void Died(uint64_t id) { died_.push_back(id); }

  size_t max_connections_;
  bool accepting_ = true;
  tls::Credentials cred_;
  std::string cert_pem_;
  uint8_t static_reset_secret_[32];
  uint64_t next_id_ = 1;
  absl::flat_hash_map<std::string, AcceptedConn*> by_cid_;  // outlives by_id_'s entries
  absl::flat_hash_map<uint64_t, std::unique_ptr<AcceptedConn>> by_id_;
  std::vector<Conn*> dirty_;
  std::vector<uint64_t> died_;  // connections to delete at the next Reap
  Timers timers_;
};

}  // namespace sexp::net_internal

#endif  // SEXP_SRC_NET_LISTENER_H_
