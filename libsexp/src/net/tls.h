// GnuTLS pieces of the QUIC adapter: credentials, sessions configured for
// ngtcp2 (ALPN sexpr/1, TLS 1.3 only), and development certificates.
#ifndef SEXP_SRC_NET_TLS_H_
#define SEXP_SRC_NET_TLS_H_

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <string>

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

// A session for one QUIC connection; `ref` routes ngtcp2's crypto callbacks
// to the connection and must outlive the session. `verify_name` (client,
// empty: no verification) is the name or address the certificate must match;
// GnuTLS keeps a pointer to it, so it too must outlive the session.
absl::StatusOr<gnutls_session_t> NewServerSession(const Credentials& cred,
                                                  ngtcp2_crypto_conn_ref* ref);
absl::StatusOr<gnutls_session_t> NewClientSession(const Credentials& cred,
                                                  ngtcp2_crypto_conn_ref* ref,
                                                  const std::string& sni,
                                                  const std::string& verify_name);

// True when the handshake chose ALPN sexpr/1.
bool NegotiatedAlpn(gnutls_session_t session);
// Why certificate verification failed (empty when it did not).
std::string VerifyFailure(gnutls_session_t session);

}  // namespace sexp::quic::tls

#endif  // SEXP_SRC_NET_TLS_H_
