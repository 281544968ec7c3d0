// The server side of QUIC: accepting, routing and reaping connections (see
// listener.h).
#include "net/listener.h"

#include <algorithm>

#include "core/file.h"
#include "sexp/net/quic.h"

namespace sexp::net_internal {

// -------------------------------------------------------------- Timers --

void Timers::Update(Conn* c) {
  Remove(c);
  uint64_t e = c->expiry();
  if (e != UINT64_MAX) {
    at_[c] = e;
    set_.emplace(e, c);
  }
}

void Timers::Remove(Conn* c) {
  auto it = at_.find(c);
  if (it == at_.end()) return;
  set_.erase({it->second, c});
  at_.erase(it);
}

std::vector<Conn*> Timers::Due(uint64_t now) const {
  std::vector<Conn*> due;
  for (auto it = set_.begin(); it != set_.end() && it->first <= now; ++it) due.push_back(it->second);
  return due;
}

// -------------------------------------------------------- AcceptedConn --

AcceptedConn::AcceptedConn(Listener* listener, uint64_t id)
    : Conn(listener, id), listener_(listener) {}

AcceptedConn::~AcceptedConn() {
  for (const std::string& cid : cids_) listener_->RemoveCid(cid);
}

absl::Status AcceptedConn::Start(const Address& from, const ngtcp2_pkt_hd& hd,
                                 ngtcp2_callbacks cb, const ngtcp2_settings& settings,
                                 ngtcp2_transport_params params,
                                 const std::vector<std::string_view>& alpn) {
  remote_ = from;
  FillCommonCallbacks(&cb);
  cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  cb.get_new_connection_id = [](ngtcp2_conn*, ngtcp2_cid* cid, uint8_t* token, size_t cidlen,
                                void* user) {
    auto* self = Self<AcceptedConn>(user);
    Random(cid->data, cidlen);
    cid->datalen = cidlen;
    self->listener_->ResetToken(token, cid);
    self->Register(CidKey(cid->data, cid->datalen));
    return 0;
  };
  cb.remove_connection_id = [](ngtcp2_conn*, const ngtcp2_cid* cid, void* user) {
    auto* self = Self<AcceptedConn>(user);
    std::string key = CidKey(cid->data, cid->datalen);
    self->listener_->RemoveCid(key);
    self->cids_.erase(std::remove(self->cids_.begin(), self->cids_.end(), key),
                      self->cids_.end());
    return 0;
  };

  params.active_connection_id_limit = 7;
  params.stateless_reset_token_present = 1;
  params.original_dcid = hd.dcid;

  ngtcp2_cid scid;
  scid.datalen = 16;
  Random(scid.data, scid.datalen);
  listener_->ResetToken(params.stateless_reset_token, &scid);
  ngtcp2_path path = PathTo(remote_);
  int rv = ngtcp2_conn_server_new(&conn_, &hd.scid, &scid, &path, hd.version, &cb, &settings,
                                  &params, nullptr, static_cast<Conn*>(this));
  if (rv != 0) return absl::InternalError(ngtcp2_strerror(rv));
  ref_.on_alpn = [](tls::SessionRef* r, std::string_view chosen) {
    return static_cast<AcceptedConn*>(static_cast<Conn*>(r->conn_ref.user_data))->OnAlpn(chosen);
  };
  absl::StatusOr<gnutls_session_t> s = tls::NewServerSession(listener_->credentials(), &ref_, alpn);
  if (!s.ok()) return s.status();
  session_ = *s;
  ngtcp2_conn_set_tls_native_handle(conn_, session_);
  Register(CidKey(scid.data, scid.datalen));
  Register(CidKey(hd.dcid.data, hd.dcid.datalen));  // the client's first DCID
  return absl::OkStatus();
}

void AcceptedConn::Register(std::string key) {
  listener_->AddCid(key, this);
  cids_.push_back(std::move(key));
}

void AcceptedConn::OnDeath() { listener_->Died(id_); }

// ------------------------------------------------------------ Listener --

Listener::Listener(size_t max_connections) : max_connections_(max_connections) {
  Random(static_reset_secret_, sizeof static_reset_secret_);
}

absl::Status Listener::Listen(const std::string& address, uint16_t port,
                              const std::string& cert_file, const std::string& key_file) {
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError("give both a certificate and a key, or neither");
  }
  std::string key_pem;
  if (cert_file.empty()) {
    absl::StatusOr<quic::PemCertificate> dev = quic::MakeSelfSignedCertificate();
    if (!dev.ok()) return dev.status();
    cert_pem_ = dev->cert_pem;
    key_pem = dev->key_pem;
  } else {
    absl::StatusOr<std::string> c = internal::ReadWholeFile(cert_file);
    if (!c.ok()) return c.status();
    absl::StatusOr<std::string> k = internal::ReadWholeFile(key_file);
    if (!k.ok()) return k.status();
    cert_pem_ = *c;
    key_pem = *k;
  }
  if (absl::Status s = cred_.InitServer(cert_pem_, key_pem); !s.ok()) return s;
  absl::StatusOr<Address> addr = Resolve(address, port, /*numeric=*/true);
  if (!addr.ok()) return addr.status();
  return Open(&*addr, nullptr);
}

void Listener::OnPacket(const Address& from, const uint8_t* data, size_t n) {
  ngtcp2_version_cid vc;
  int rv = ngtcp2_pkt_decode_version_cid(&vc, data, n, 16);
  if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
    uint8_t buf[NGTCP2_MAX_UDP_PAYLOAD_SIZE];
    uint8_t unused;
    Random(&unused, 1);
    const uint32_t versions[] = {NGTCP2_PROTO_VER_V1, NGTCP2_PROTO_VER_V2_DRAFT};
    ngtcp2_ssize w = ngtcp2_pkt_write_version_negotiation(buf, sizeof buf, unused, vc.scid,
                                                          vc.scidlen, vc.dcid, vc.dcidlen,
                                                          versions, 2);
    if (w > 0) SendPacket(from, buf, static_cast<size_t>(w));
    return;
  }
  if (rv != 0) return;  // not QUIC: dropped
  auto it = by_cid_.find(CidKey(vc.dcid, vc.dcidlen));
  if (it == by_cid_.end()) {
    Accept(from, data, n);
    return;
  }
  AcceptedConn* c = it->second;
  c->Read(from, data, n);
  dirty_.push_back(c);
}

void Listener::Accept(const Address& from, const uint8_t* data, size_t n) {
  ngtcp2_pkt_hd hd;
  if (ngtcp2_accept(&hd, data, n) != 0) return;  // not an Initial: dropped
  if (by_id_.size() >= max_connections_ || !accepting_) {
    ++connections_refused;
    // CONNECTION_REFUSED without keeping any state (RFC 9000 §10.2.3).
    // The Initial keys derive from the client's DCID, echoed as our SCID.
    uint8_t buf[NGTCP2_MAX_UDP_PAYLOAD_SIZE];
    ngtcp2_ssize w = ngtcp2_crypto_write_connection_close(
        buf, sizeof buf, hd.version, &hd.scid, &hd.dcid, NGTCP2_CONNECTION_REFUSED, nullptr, 0);
    if (w > 0) SendPacket(from, buf, static_cast<size_t>(w));
    return;
  }
  uint64_t id = next_id_++;
  std::unique_ptr<AcceptedConn> conn = NewConnection(id, from, hd);
  if (conn == nullptr) return;
  AcceptedConn* c = conn.get();
  by_id_[id] = std::move(conn);
  ++connections_total;
  c->Read(from, data, n);
  dirty_.push_back(c);
}

void Listener::Flush() {
  RunReady();  // first: what it answers goes out in this same write
  std::vector<Conn*> dirty;
  dirty.swap(dirty_);
  for (Conn* c : dirty) {
    if (c->dirty()) c->Write();
    timers_.Update(c);
  }
  Reap();
}

void Listener::OnExpiry(uint64_t now) {
  for (Conn* c : timers_.Due(now)) {
    c->HandleExpiry(now);
    c->Write();
    timers_.Update(c);
  }
  Reap();
}

// Deletes the connections that died since the last time (not inside
// ngtcp2's callbacks, nor while a list of dirty connections may name them).
void Listener::Reap() {
  for (uint64_t id : died_) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;
    timers_.Remove(it->second.get());
    by_id_.erase(it);
  }
  died_.clear();
}

void Listener::OnStop() {
  for (auto& [id, c] : by_id_) {
    c->Write();  // answers already queued go out first
    CloseOnStop(*c);
    timers_.Remove(c.get());
  }
  by_id_.clear();
}

std::vector<uint64_t> Listener::ConnectionIds() {
  return OnLoop([this] {
           std::vector<uint64_t> ids;
           for (auto& [id, c] : by_id_) {
             if (!c->dead()) ids.push_back(id);
           }
           std::sort(ids.begin(), ids.end());
           return ids;
         })
      .value_or(std::vector<uint64_t>());
}

}  // namespace sexp::net_internal
