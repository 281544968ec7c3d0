// GnuTLS pieces of the QUIC adapter: credentials, sessions configured for
// ngtcp2 (TLS 1.3 only, the ALPN protocols the caller names), and
// development certificates.
#ifndef SEXP_SRC_NET_TLS_H_
#define SEXP_SRC_NET_TLS_H_

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sexp::quic::tls {

// Owns a gnutls_certificate_credentials_t.
class Credentials {
 public:
  Credentials() = default;
  ~Credentials();
  Credentials(const Credentials&) = delete;
  Credentials& operator=(const Credentials&) = delete;

  // Server: a certificate chain and key (PEM text).
  absl::Status InitServer(const std::string& cert_pem, const std::string& key_pem);
  // Client: trusted CAs from `ca_file` (PEM), or the system's store if empty.
  absl::Status InitClient(const std::string& ca_file);
  gnutls_certificate_credentials_t get() const { return cred_; }

 private:
  gnutls_certificate_credentials_t cred_ = nullptr;
};

// What a session's GnuTLS user pointer holds. ngtcp2's crypto callbacks read
// it as an ngtcp2_crypto_conn_ref (their route to the connection), so that
// comes first; a server adds its ALPN hook.
//
// `on_alpn` (server; may be null) runs once the ClientHello is read and the
// protocol chosen, before the server's first flight is written: the moment
// a server may still set its transport parameters for that protocol
// (ngtcp2_conn_set_local_transport_params). Non-zero aborts the handshake.
struct SessionRef {
  ngtcp2_crypto_conn_ref conn_ref;
  int (*on_alpn)(SessionRef* self, std::string_view alpn) = nullptr;
};

// A session for one QUIC connection; `ref` must outlive it. `alpn` lists
// the application protocols accepted (server, in its order of preference)
// or the one offered (client); a peer with none of them is refused
// (no_application_protocol). `verify_name` (client, empty: no verification)
// is the name or address the certificate must match; GnuTLS keeps a pointer
// to it, so it too must outlive the session.
absl::StatusOr<gnutls_session_t> NewServerSession(const Credentials& cred, SessionRef* ref,
                                                  const std::vector<std::string_view>& alpn);
absl::StatusOr<gnutls_session_t> NewClientSession(const Credentials& cred, SessionRef* ref,
                                                  std::string_view alpn, const std::string& sni,
                                                  const std::string& verify_name);

// The protocol the handshake chose (empty: none yet, or the peer offered no
// ALPN at all).
std::string_view SelectedAlpn(gnutls_session_t session);
// Why certificate verification failed (empty when it did not).
std::string VerifyFailure(gnutls_session_t session);

}  // namespace sexp::quic::tls

#endif  // SEXP_SRC_NET_TLS_H_
