#include "net/tls.h"
#include "core/strutil.h"

#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include <arpa/inet.h>

#include <ctime>
#include <memory>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sexp/net/quic.h"

namespace sexp::quic {

using ::sexp::internal::AV;
namespace tls {
namespace {

// TLS 1.3 only (QUIC requires it), the AEADs QUIC defines, no middlebox
// compatibility mode (RFC 9001 §8.4).
constexpr char kPriority[] =
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"
    "+CHACHA20-POLY1305:+AES-128-CCM:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:"
    "+GROUP-SECP384R1:+GROUP-SECP521R1:%DISABLE_TLS13_COMPAT_MODE";

absl::Status GnutlsError(std::string_view what, int rv) {
  return absl::InternalError(absl::StrCat(AV(what), ": ", gnutls_strerror(rv)));
}

gnutls_datum_t Datum(const std::string& s) {
  return {reinterpret_cast<unsigned char*>(const_cast<char*>(s.data())),
          static_cast<unsigned>(s.size())};
}

// The parts both sides share; the session is freed on error.
absl::StatusOr<gnutls_session_t> Configure(gnutls_session_t session, const Credentials& cred,
                                           SessionRef* ref,
                                           const std::vector<std::string_view>& protocols) {
  int rv = gnutls_priority_set_direct(session, kPriority, nullptr);
  if (rv == 0) rv = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, cred.get());
  if (rv == 0) {
    // GnuTLS copies the protocol names.
    std::vector<gnutls_datum_t> alpn;
    for (std::string_view p : protocols) {
      alpn.push_back({reinterpret_cast<unsigned char*>(const_cast<char*>(p.data())),
                      static_cast<unsigned>(p.size())});
    }
    // Server: its own order of preference, not the client's.
    rv = gnutls_alpn_set_protocols(session, alpn.data(), static_cast<unsigned>(alpn.size()),
                                   GNUTLS_ALPN_MANDATORY | GNUTLS_ALPN_SERVER_PRECEDENCE);
  }
  if (rv != 0) {
    gnutls_deinit(session);
    return GnutlsError("tls session", rv);
  }
  // ngtcp2 reads the pointer as its conn_ref, SessionRef's first member.
  static_assert(std::is_standard_layout_v<SessionRef>);
  gnutls_session_set_ptr(session, &ref->conn_ref);
  return session;
}

}  // namespace

Credentials::~Credentials() {
  if (cred_ != nullptr) gnutls_certificate_free_credentials(cred_);
}

absl::Status Credentials::InitServer(const std::string& cert_pem, const std::string& key_pem) {
  int rv = gnutls_certificate_allocate_credentials(&cred_);
  if (rv != 0) return GnutlsError("credentials", rv);
  gnutls_datum_t cert = Datum(cert_pem), key = Datum(key_pem);
  rv = gnutls_certificate_set_x509_key_mem(cred_, &cert, &key, GNUTLS_X509_FMT_PEM);
  if (rv != 0) return GnutlsError("certificate and key", rv);
  return absl::OkStatus();
}

absl::Status Credentials::InitClient(const std::string& ca_file) {
  int rv = gnutls_certificate_allocate_credentials(&cred_);
  if (rv != 0) return GnutlsError("credentials", rv);
  if (ca_file.empty()) {
    rv = gnutls_certificate_set_x509_system_trust(cred_);
  } else {
    rv = gnutls_certificate_set_x509_trust_file(cred_, ca_file.c_str(), GNUTLS_X509_FMT_PEM);
    if (rv == 0) return absl::InvalidArgumentError(absl::StrCat(ca_file, ": no certificate"));
  }
  if (rv < 0) return GnutlsError(ca_file.empty() ? "system trust store" : ca_file, rv);
  return absl::OkStatus();
}

absl::StatusOr<gnutls_session_t> NewServerSession(const Credentials& cred, SessionRef* ref,
                                                  const std::vector<std::string_view>& alpn) {
  gnutls_session_t session;
  int rv = gnutls_init(&session, GNUTLS_SERVER | GNUTLS_NO_END_OF_EARLY_DATA);
  if (rv != 0) return GnutlsError("gnutls_init", rv);
  if ((rv = ngtcp2_crypto_gnutls_configure_server_session(session)) != 0) {
    gnutls_deinit(session);
    return absl::InternalError("ngtcp2_crypto_gnutls_configure_server_session failed");
  }
  absl::StatusOr<gnutls_session_t> s = Configure(session, cred, ref, alpn);
  if (!s.ok() || ref->on_alpn == nullptr) return s;
  // After the ClientHello is processed (ALPN chosen), before the
  // ServerHello's keys are installed.
  gnutls_handshake_set_hook_function(
      *s, GNUTLS_HANDSHAKE_CLIENT_HELLO, GNUTLS_HOOK_POST,
      [](gnutls_session_t hello, unsigned, unsigned, unsigned incoming,
         const gnutls_datum_t*) -> int {
        if (incoming == 0) return 0;
        auto* r = static_cast<SessionRef*>(gnutls_session_get_ptr(hello));
        return r->on_alpn(r, SelectedAlpn(hello)) == 0 ? 0 : GNUTLS_E_NO_APPLICATION_PROTOCOL;
      });
  return s;
}

absl::StatusOr<gnutls_session_t> NewClientSession(const Credentials& cred, SessionRef* ref,
                                                  std::string_view alpn, const std::string& sni,
                                                  const std::string& verify_name) {
  gnutls_session_t session;
  int rv = gnutls_init(&session, GNUTLS_CLIENT | GNUTLS_NO_END_OF_EARLY_DATA);
  if (rv != 0) return GnutlsError("gnutls_init", rv);
  if (ngtcp2_crypto_gnutls_configure_client_session(session) != 0) {
    gnutls_deinit(session);
    return absl::InternalError("ngtcp2_crypto_gnutls_configure_client_session failed");
  }
  absl::StatusOr<gnutls_session_t> s = Configure(session, cred, ref, {alpn});
  if (!s.ok()) return s;
  // SNI carries names only (RFC 6066 §3), never address literals.
  unsigned char addr[16];
  if (!sni.empty() && inet_pton(AF_INET, sni.c_str(), addr) != 1 &&
      inet_pton(AF_INET6, sni.c_str(), addr) != 1) {
    gnutls_server_name_set(session, GNUTLS_NAME_DNS, sni.data(), sni.size());
  }
  // Matches names and (GnuTLS >= 3.6) address literals against the SANs.
  if (!verify_name.empty()) gnutls_session_set_verify_cert(session, verify_name.c_str(), 0);
  return session;
}

std::string_view SelectedAlpn(gnutls_session_t session) {
  gnutls_datum_t proto;
  if (gnutls_alpn_get_selected_protocol(session, &proto) != 0) return {};
  return std::string_view(reinterpret_cast<const char*>(proto.data), proto.size);
}

std::string VerifyFailure(gnutls_session_t session) {
  unsigned status = gnutls_session_get_verify_cert_status(session);
  if (status == 0) return "";
  gnutls_datum_t text;
  if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) != 0) {
    return "certificate not trusted";
  }
  std::string out(reinterpret_cast<const char*>(text.data), text.size);
  gnutls_free(text.data);
  return out;
}

}  // namespace tls

absl::StatusOr<PemCertificate> MakeSelfSignedCertificate() {
  gnutls_x509_privkey_t key = nullptr;
  gnutls_x509_crt_t crt = nullptr;
  auto cleanup = [&] {
    if (crt != nullptr) gnutls_x509_crt_deinit(crt);
    if (key != nullptr) gnutls_x509_privkey_deinit(key);
  };
  auto fail = [&](std::string_view what, int rv) {
    cleanup();
    return tls::GnutlsError(what, rv);
  };
  int rv = gnutls_x509_privkey_init(&key);
  if (rv == 0) {
    rv = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                      GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
  }
  if (rv != 0) return fail("key generation", rv);
  if ((rv = gnutls_x509_crt_init(&crt)) != 0) return fail("certificate", rv);

  unsigned char serial[16];
  gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial);
  serial[0] &= 0x7f;  // a positive INTEGER
  const time_t now = time(nullptr);
  const unsigned char v4[4] = {127, 0, 0, 1};
  unsigned char v6[16] = {};
  v6[15] = 1;
  const char* err = nullptr;
  if ((rv = gnutls_x509_crt_set_version(crt, 3)) != 0 ||
      (rv = gnutls_x509_crt_set_serial(crt, serial, sizeof serial)) != 0 ||
      (rv = gnutls_x509_crt_set_activation_time(crt, now - 3600)) != 0 ||
      (rv = gnutls_x509_crt_set_expiration_time(crt, now + 365 * 86400)) != 0 ||
      (rv = gnutls_x509_crt_set_dn(crt, "CN=localhost", &err)) != 0 ||
      (rv = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                                 GNUTLS_FSAN_APPEND)) != 0 ||
      (rv = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, v4, 4,
                                                 GNUTLS_FSAN_APPEND)) != 0 ||
      (rv = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, v6, 16,
                                                 GNUTLS_FSAN_APPEND)) != 0 ||
      (rv = gnutls_x509_crt_set_key(crt, key)) != 0 ||
      (rv = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) != 0 ||
      (rv = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) != 0 ||
      (rv = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) != 0 ||
      (rv = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) != 0) {
    return fail("certificate", rv);
  }
  PemCertificate out;
  gnutls_datum_t pem;
  if ((rv = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem)) != 0) {
    return fail("certificate export", rv);
  }
  out.cert_pem.assign(reinterpret_cast<const char*>(pem.data), pem.size);
  gnutls_free(pem.data);
  if ((rv = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &pem)) != 0) {
    return fail("key export", rv);
  }
  out.key_pem.assign(reinterpret_cast<const char*>(pem.data), pem.size);
  gnutls_free(pem.data);
  cleanup();
  return out;
}

}  // namespace sexp::quic
