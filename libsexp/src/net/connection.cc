// One QUIC connection over ngtcp2 (see connection.h).
#include "net/connection.h"

#include <gnutls/crypto.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace sexp::net_internal {

namespace {

void RandCallback(uint8_t* dest, size_t n, const ngtcp2_rand_ctx*) { Random(dest, n); }

void DebugLog(void*, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

// ngtcp2's debug log when SEXP_QUIC_DEBUG is set.
ngtcp2_printf DebugPrintf() { return getenv("SEXP_QUIC_DEBUG") != nullptr ? DebugLog : nullptr; }

}  // namespace

void Random(uint8_t* dest, size_t n) { gnutls_rnd(GNUTLS_RND_RANDOM, dest, n); }

ngtcp2_settings DefaultSettings() {
  ngtcp2_settings settings;
  ngtcp2_settings_default(&settings);
  settings.initial_ts = Now();
  settings.log_printf = DebugPrintf();
  return settings;
}

Conn::Conn(Endpoint* ep, uint64_t id) : ep_(ep), id_(id) {
  ref_.conn_ref.get_conn = [](ngtcp2_crypto_conn_ref* r) {
    return static_cast<Conn*>(r->user_data)->conn_;
  };
  ref_.conn_ref.user_data = this;
}

Conn::~Conn() {
  if (conn_ != nullptr) ngtcp2_conn_del(conn_);
  if (session_ != nullptr) gnutls_deinit(session_);
}

void Conn::Read(const Address& from, const uint8_t* data, size_t n) {
  if (dead_) return;
  ngtcp2_path path = PathTo(from);
  ngtcp2_pkt_info pi{};
  int rv = ngtcp2_conn_read_pkt(conn_, &path, &pi, data, n, Now());
  if (rv != 0) {
    switch (rv) {
      case NGTCP2_ERR_DRAINING:   // the peer closed
      case NGTCP2_ERR_DROP_CONN:  // nothing to say
        Die(rv == NGTCP2_ERR_DRAINING ? "closed by the peer" : ngtcp2_strerror(rv));
        return;
      case NGTCP2_ERR_CRYPTO:
        if (session_ != nullptr) {
          std::string why = tls::VerifyFailure(session_);
          if (!why.empty()) SetError(absl::StrCat("certificate verification failed: ", why));
        }
        [[fallthrough]];
      default:
        if (rv == NGTCP2_ERR_CALLBACK_FAILURE && app_close_) {
          CloseWithAppError(app_close_->first, app_close_->second);
        } else {
          CloseWithLibError(rv);
        }
        return;
    }
  }
  dirty_ = true;
}

void Conn::Write() {
  if (dead_ || conn_ == nullptr) return;
  dirty_ = false;
  // Packets of one size go out together (Endpoint::SendPackets); a packet
  // of another size ends the batch (GSO needs equal segments, the last
  // may be shorter).
  constexpr size_t kPacket = NGTCP2_MAX_PMTUD_UDP_PAYLOAD_SIZE;
  constexpr size_t kBatch = 32;
  uint8_t batch[kPacket * kBatch];  // packets are written in place
  size_t used = 0, segment = 0, count = 0;
  auto flush = [&] {
    if (used != 0) ep_->SendPackets(remote_, batch, used, segment);
    used = segment = count = 0;
  };
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  const uint64_t ts = Now();
  for (int packets = 0; packets < 4096; ++packets) {
    ngtcp2_vec vec[16];
    const Outgoing out = NextOutgoing(vec, 16);
    const int64_t stream_id = out.stream;
    uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
    if (out.fin) flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
    const size_t nvec = out.count;
    ngtcp2_pkt_info pi{};
    ngtcp2_ssize datalen = -1;
    ngtcp2_ssize nwrite = ngtcp2_conn_writev_stream(conn_, &ps.path, &pi, batch + used,
                                                    kPacket, &datalen, flags, stream_id, vec,
                                                    nvec, ts);
    if (nwrite < 0) {
      switch (nwrite) {
        case NGTCP2_ERR_STREAM_DATA_BLOCKED:  // resumes at extend_max_stream_data
        case NGTCP2_ERR_STREAM_SHUT_WR:
        case NGTCP2_ERR_STREAM_NOT_FOUND:
          StreamNotWritable(stream_id, static_cast<int>(nwrite));
          continue;
        case NGTCP2_ERR_WRITE_MORE:
          TookOutgoing(stream_id, static_cast<size_t>(datalen), out.fin);
          continue;
        default:
          flush();
          CloseWithLibError(static_cast<int>(nwrite));
          return;
      }
    }
    if (datalen >= 0 && stream_id >= 0) {
      TookOutgoing(stream_id, static_cast<size_t>(datalen), out.fin);
    }
    if (nwrite == 0) break;
    const size_t n = static_cast<size_t>(nwrite);
    if (count != 0 && n > segment) {  // larger than the batch's segments:
      const size_t at = used;         // it starts the next batch
      flush();
      memmove(batch, batch + at, n);
    }
    if (count == 0) segment = n;
    used += n;
    if (++count == kBatch || n < segment) flush();
    if (packets == 4095) dirty_ = true;  // a long burst: go on at the next turn
  }
  flush();
}

Outgoing Conn::NextOutgoing(ngtcp2_vec* vec, size_t max) {
  while (!sendq_.empty()) {
    OutQueue* q = QueueOf(sendq_.front());
    if (q != nullptr && q->pending()) {
      bool all = false;
      Outgoing out;
      out.stream = sendq_.front();
      out.count = q->Vectors(vec, max, &all);
      out.fin = q->fin() && all;
      return out;
    }
    sendq_.pop_front();
  }
  return {};
}

void Conn::TookOutgoing(int64_t stream_id, size_t n, bool fin) {
  if (OutQueue* q = QueueOf(stream_id)) q->Sent(n, fin);
}

void Conn::StreamNotWritable(int64_t stream_id, int) {
  if (!sendq_.empty() && sendq_.front() == stream_id) sendq_.pop_front();
}

void Conn::OnAckedStreamData(int64_t stream_id, uint64_t offset, uint64_t length) {
  if (OutQueue* q = QueueOf(stream_id)) {
    const uint64_t before = q->held();
    q->Acked(offset, length);
    OnAcked(stream_id, before - q->held());
  }
}

void Conn::OnStreamCredit(int64_t stream_id) {
  Enqueue(stream_id);
  OnCredit(stream_id);
}

void Conn::HandleExpiry(uint64_t now) {
  if (dead_) return;
  if (ngtcp2_conn_get_expiry(conn_) <= now) {  // not early: the protocol's timer may be due alone
    int rv = ngtcp2_conn_handle_expiry(conn_, now);
    if (rv == NGTCP2_ERR_IDLE_CLOSE) {
      Die("idle timeout");
      return;
    }
    if (rv != 0) {
      CloseWithLibError(rv);
      return;
    }
  }
  if (AppExpiry() <= now) OnAppExpiry(now);
  dirty_ = true;
}

void Conn::CloseWithAppError(uint64_t code, std::string_view reason) {
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_default(&ccerr);
  ngtcp2_connection_close_error_set_application_error(
      &ccerr, code, reinterpret_cast<const uint8_t*>(reason.data()), reason.size());
  SendClose(ccerr);
  Die(std::string(reason));
}

void Conn::Die(std::string why) {
  if (dead_) return;
  SetError(std::move(why));
  dead_ = true;
  OnDeath();
}

void Conn::CloseWithLibError(int liberr) {
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_default(&ccerr);
  ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, liberr, nullptr, 0);
  SendClose(ccerr);
  Die(ngtcp2_strerror(liberr));
}

void Conn::SendClose(const ngtcp2_connection_close_error& ccerr) {
  if (dead_ || conn_ == nullptr || ngtcp2_conn_is_in_closing_period(conn_) ||
      ngtcp2_conn_is_in_draining_period(conn_)) {
    return;
  }
  uint8_t buf[NGTCP2_MAX_UDP_PAYLOAD_SIZE];
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi{};
  ngtcp2_ssize n = ngtcp2_conn_write_connection_close(conn_, &ps.path, &pi, buf, sizeof buf,
                                                      &ccerr, Now());
  if (n > 0) ep_->SendPacket(remote_, buf, static_cast<size_t>(n));
}

void Conn::FillCommonCallbacks(ngtcp2_callbacks* cb) {
  cb->recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb->encrypt = ngtcp2_crypto_encrypt_cb;
  cb->decrypt = ngtcp2_crypto_decrypt_cb;
  cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb->update_key = ngtcp2_crypto_update_key_cb;
  cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb->rand = RandCallback;
  cb->acked_stream_data_offset = [](ngtcp2_conn*, int64_t stream_id, uint64_t offset,
                                    uint64_t datalen, void* user, void*) {
    static_cast<Conn*>(user)->OnAckedStreamData(stream_id, offset, datalen);
    return 0;
  };
  cb->extend_max_stream_data = [](ngtcp2_conn*, int64_t stream_id, uint64_t, void* user,
                                  void*) {
    static_cast<Conn*>(user)->OnStreamCredit(stream_id);
    return 0;
  };
}

absl::Status Conn::StartClient(const Address& remote, ngtcp2_callbacks cb,
                               const ngtcp2_settings& settings,
                               const ngtcp2_transport_params& params,
                               const tls::Credentials& cred, std::string_view alpn,
                               const std::string& sni, const std::string& verify) {
  remote_.len = 0;  // the socket is connected: send(), not sendto()
  FillCommonCallbacks(&cb);
  cb.client_initial = ngtcp2_crypto_client_initial_cb;
  cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
  cb.get_new_connection_id = [](ngtcp2_conn*, ngtcp2_cid* cid, uint8_t* token, size_t cidlen,
                                void*) {
    Random(cid->data, cidlen);
    cid->datalen = cidlen;
    Random(token, NGTCP2_STATELESS_RESET_TOKENLEN);
    return 0;
  };

  ngtcp2_cid dcid, scid;
  dcid.datalen = 18;
  Random(dcid.data, dcid.datalen);
  scid.datalen = 16;
  Random(scid.data, scid.datalen);
  ngtcp2_path path = PathTo(remote);
  int rv = ngtcp2_conn_client_new(&conn_, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1, &cb,
                                  &settings, &params, nullptr, this);
  if (rv != 0) return absl::InternalError(ngtcp2_strerror(rv));
  verify_name_ = verify;  // GnuTLS keeps the pointer, not a copy
  absl::StatusOr<gnutls_session_t> s = tls::NewClientSession(cred, &ref_, alpn, sni, verify_name_);
  if (!s.ok()) return s.status();
  session_ = *s;
  ngtcp2_conn_set_tls_native_handle(conn_, session_);
  return absl::OkStatus();
}

}  // namespace sexp::net_internal
