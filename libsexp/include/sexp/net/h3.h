// sexp/net/h3.h — HTTP/3 (RFC 9114) messages for sexp::quic: a Server given
// ServerOptions::http3 also speaks HTTP/3 (ALPN "h3") on its one UDP port,
// beside sexpr/1, choosing by the client's ALPN; H3Fetch (sexp/net/quic.h)
// is the matching client. nghttp3 frames the streams and does QPACK inside
// the adapter (libsexp/src/net/h3_session.cc); this header names neither.
//
//   sexp::quic::ServerOptions o;
//   o.http3 = [](sexp::quic::H3Request req, sexp::quic::H3Respond respond) {
//     respond({.status = 200, .headers = {{"content-type", "text/plain"}},
//              .body = "hello over h3\n"});
//   };
//   auto server = sexp::quic::Server::Start(o, sexpr_handler);
//
// Requests reach the handler whole (fields and body); answers go out whole.
// Limits: H3Limits below, and ServerOptions' connection window, answer
// budgets and request deadline apply to HTTP/3 streams as to sexpr/1's.
#ifndef SEXP_NET_H3_H_
#define SEXP_NET_H3_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace sexp::quic {

inline constexpr std::string_view kAlpnH3 = "h3";

// A field line. Names are lower case on the wire (HTTP/3 requires it): the
// server lower-cases the names a handler answers with, and requests arrive
// with lower-case names.
struct H3Field {
  std::string name;
  std::string value;
};

struct H3Request {
  std::string method = "GET";
  std::string scheme = "https";
  std::string authority;  // client: empty means the host and port connected to
  std::string path = "/";
  std::vector<H3Field> headers;  // no pseudo-header fields; content-length is the body's
  std::string body;
};

struct H3Response {
  int status = 200;
  // Without content-length: the server adds it (the client reports what
  // came). Hop-by-hop fields (connection, keep-alive, transfer-encoding,
  // upgrade) are dropped: HTTP/3 forbids them.
  std::vector<H3Field> headers;
  std::string body;  // not sent for HEAD, 204 or 304
};

// The answer to one request: call exactly once, from any thread. Calls after
// the first, or after the stream or connection is gone, do nothing.
using H3Respond = std::function<void(H3Response)>;
// Runs on the server's loop thread for each complete request; must not block
// (hand the work to another thread and respond from there).
using H3Handler = std::function<void(H3Request request, H3Respond respond)>;

// What one HTTP/3 request may bring. Over a limit the server answers itself
// (431 for the fields, 413 for the body) and stops reading the stream.
struct H3Limits {
  size_t max_field_bytes = 16 << 10;  // the field section: names + values + 32 per field
  size_t max_fields = 100;
  size_t max_body_bytes = 1 << 20;
};

}  // namespace sexp::quic

#endif  // SEXP_NET_H3_H_
