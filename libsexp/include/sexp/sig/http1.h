// sexp/sig/http1.h — raw HTTP/1.1 messages (a request or a response as
// bytes, e.g. a file of a published test vector) to and from HttpMessage,
// parsed by Debian's http-parser (nodejs/http-parser 2.9).
//
//   SigResult<HttpMessage> m = ParseHttp1(file_text);   // "POST /foo HTTP/1.1\r\n…"
//   m->target_uri;                                        // "https://example.com/foo"
//   std::string again = WriteHttp1(*m);
//
// Line ends may be CRLF or bare LF (published vectors use LF). A request's
// target URI is `scheme` + "://" + Host + the request target, unless the
// request target is already absolute. The body is what Content-Length (or
// chunked framing) says; without either, a response's body runs to the end.
#ifndef SEXP_SIG_HTTP1_H_
#define SEXP_SIG_HTTP1_H_

#include <string>
#include <string_view>

#include "sexp/sig/error.h"
#include "sexp/sig/httpsig.h"

namespace sexp::sig {

struct Http1Limits {
  size_t max_bytes = 16 << 20;     // the whole message
  size_t max_headers = 256;        // field lines
};

// `malformed` with http-parser's reason and byte offset when the bytes are
// not one HTTP/1.1 message.
SigResult<HttpMessage> ParseHttp1(std::string_view raw, std::string_view scheme = "https",
                                  const Http1Limits& limits = {});

// The message as HTTP/1.1 bytes with CRLF line ends (the headers as they
// are; no Content-Length is added).
std::string WriteHttp1(const HttpMessage& message);

}  // namespace sexp::sig

#endif  // SEXP_SIG_HTTP1_H_
