// sexp/host/http1.h — the server side of HTTP/1.1 as bytes in, requests out,
// and responses as bytes: no sockets (sexp/host/server.h owns those).
// Requests are parsed by llhttp (Node.js's parser, from Debian's node-llhttp
// sources), a callback parser that works on whatever bytes have arrived —
// keep-alive, pipelining and chunked bodies included — and the reader
// refuses what request smuggling needs: Content-Length beside
// Transfer-Encoding, a repeated Content-Length, a Transfer-Encoding that
// does not end in chunked, a bare CR, bytes other than CRLF after chunk
// data, field names that are not tokens (spec/host.md §7). A trailer is
// read and dropped.
//
//   sexp::host::Http1Reader reader(limits);
//   std::vector<sexp::host::HttpRequest> ready;
//   if (auto error = reader.Feed(bytes_from_socket, &ready)) {
//     // answer error->status (400, 413, 431, 501, 505) and close
//   }
//   for (auto& r : ready) { … WriteResponse(response, r.method == "HEAD", r.keep_alive, &out); }
//
// Threads: a reader belongs to one connection and one thread at a time; the
// functions are pure.
#ifndef SEXP_HOST_HTTP1_H_
#define SEXP_HOST_HTTP1_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sexp::host {

struct HttpHeader {
  std::string name;  // as sent; compare with EqualsIgnoreCase
  std::string value;
};

struct HttpRequest {
  std::string method;  // "GET", "HEAD", "POST", …
  std::string target;  // the request target as sent: "/posts/1/?tab=x"
  unsigned version_minor = 1;
  std::vector<HttpHeader> headers;
  std::string body;  // de-chunked
  // Whether the connection stays open after the answer (HTTP/1.1 unless
  // "Connection: close"; HTTP/1.0 only with "Connection: keep-alive"; never
  // after a request asking to upgrade the protocol).
  bool keep_alive = true;

  // The field `name` (ASCII case-insensitive): repeated fields joined with
  // ", " (RFC 9110 §5.3); empty when absent.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

struct Http1Limits {
  size_t max_header_bytes = 16 << 10;  // the target, field names and values together
  size_t max_headers = 100;            // field lines
  size_t max_body_bytes = 1 << 20;     // after de-chunking
};

// Why a connection's bytes cannot be read on. The connection answers
// `status` with `message` as the body and closes.
struct Http1Error {
  int status;  // 400 malformed, 413 body too large, 431 headers too large,
               // 501 a method or transfer coding not served, 505 not HTTP/1.x
  std::string message;
};

class Http1Reader {
 public:
  explicit Http1Reader(const Http1Limits& limits = {});
  ~Http1Reader();
  Http1Reader(const Http1Reader&) = delete;
  Http1Reader& operator=(const Http1Reader&) = delete;

  // Reads `bytes`, which continue what came before: each request completed
  // is appended to `ready`, in order. An error ends the reading for good —
  // this call and every later one return it (requests whole before the bad
  // byte are still appended). Nothing after a request that closes the
  // connection (keep_alive false) is read: later calls return nothing.
  std::optional<Http1Error> Feed(std::string_view bytes, std::vector<HttpRequest>* ready);
  // A request has begun and is not complete (a server times this out as a
  // request, not as an idle connection).
  bool in_message() const;

  struct State;  // implementation detail (libsexp/src/host/http1.cc)

 private:
  std::unique_ptr<State> state_;
};

struct HttpResponse {
  int status = 200;
  // Without Content-Length, Transfer-Encoding, Connection and Date: the
  // writer adds those.
  std::vector<HttpHeader> headers;
  std::string body;
};

// Appends `response` as HTTP/1.1: the status line, a Date, its headers,
// Content-Length (none for 1xx, 204 and 304), "Connection: close" when the
// connection is not kept alive, then the body unless `head` (a HEAD keeps
// the Content-Length of the body it does not send).
void WriteResponse(const HttpResponse& response, bool head, bool keep_alive, std::string* out);

// A response whose length is not known before it is sent: the head with
// "Transfer-Encoding: chunked", then chunks, then the last chunk.
void WriteChunkedHead(int status, const std::vector<HttpHeader>& headers, bool keep_alive,
                      std::string* out);
void AppendChunk(std::string_view data, std::string* out);  // nothing for empty data
void AppendLastChunk(std::string* out);

// "OK", "Not Found", …; "Unknown" for a code it does not name.
std::string_view ReasonPhrase(int status);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace sexp::host

#endif  // SEXP_HOST_HTTP1_H_
