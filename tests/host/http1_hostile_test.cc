// Hostile HTTP/1.1 requests against Http1Reader (sexp/host/http1.h):
// request smuggling shapes (Content-Length beside Transfer-Encoding, two
// lengths, codings that do not end in chunked, bodies hidden behind a
// refused head, trailers, loose chunk framing), headers and bodies over the
// limits, bytes no request may hold, versions and methods not served, what
// follows an error or an upgrade, and many pipelined requests. Each is a
// clear error status (sticky) or a well-formed request — never a request
// made of bytes the reader refused. The fuzz target tests/fuzz/fuzz_http1.cc
// runs the same reader on random bytes. The statuses were checked against
// both parsers the reader has been built on — Debian's http-parser 2.9.4 and
// llhttp 8.1.0 (node-llhttp); a note naming one describes that one.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "host/http1_parse.h"
#include "sexp/host/http1.h"

namespace sexp::host {
namespace {

// The status `bytes` are refused with, whole and byte by byte; 0 when they
// are not. A refused request is never appended.
int Status(std::string_view bytes, const Http1Limits& limits = {}) {
  Parsed whole = Parse(bytes, limits);
  Parsed bytewise = Parse(bytes, limits, 1);
  EXPECT_EQ(whole.error.has_value(), bytewise.error.has_value());
  if (whole.error && bytewise.error) {
    EXPECT_EQ(whole.error->status, bytewise.error->status);
  }
  if (!whole.error) return 0;
  EXPECT_FALSE(whole.error->message.empty());
  EXPECT_TRUE(whole.requests.empty()) << "a refused request was appended: "
                                      << whole.requests[0].method << " "
                                      << whole.requests[0].target;
  EXPECT_TRUE(bytewise.requests.empty());
  return whole.error->status;
}

std::vector<std::string> Targets(const std::vector<HttpRequest>& rs) {
  std::vector<std::string> out;
  for (const HttpRequest& r : rs) out.push_back(r.target);
  return out;
}

// ---------------------------------------------------------------- smuggling

TEST(Http1Smuggling, ContentLengthBesideChunkedIsRefused) {
  // http-parser 2.9.4: HPE_UNEXPECTED_CONTENT_LENGTH, in either order.
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nG"),
            400);
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                   "Content-Length: 6\r\n\r\n0\r\n\r\nG"),
            400);
  // Also when chunked is the last of several codings.
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nContent-Length: 3\r\n"
                   "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
            400);
}

TEST(Http1Smuggling, RepeatedContentLengthIsRefused) {
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
            400);
  // http-parser refuses any second Content-Length, even an equal one.
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
            400);
  // A list in one field is not a length.
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello"), 400);
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello"), 400);
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\nhello"), 400);
  // Over 2^64.
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"), 400);
}

TEST(Http1Smuggling, TransferCodingNotEndingInChunkedIsRefused) {
  // RFC 9112 §6.3: the length of such a request cannot be known (http-parser
  // 2.9.4: HPE_INVALID_TRANSFER_ENCODING, a 400).
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nhello"), 400);
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"), 400);
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                   "Transfer-Encoding: identity\r\n\r\n0\r\n\r\n"),
            400);
  // Ending in chunked is chunked: the body is the de-chunked bytes.
  Parsed p = Parse("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                   "5\r\nhello\r\n0\r\n\r\n");
  ASSERT_FALSE(p.error.has_value());
  ASSERT_EQ(p.requests.size(), 1u);
  EXPECT_EQ(p.requests[0].body, "hello");
}

TEST(Http1Smuggling, WhitespaceInFieldNamesIsRefused) {
  // RFC 9112 §5.1: a server MUST reject a request with whitespace between a
  // field name and its colon. Debian's http-parser 2.9.4 (built with
  // HTTP_PARSER_STRICT=0) takes SP as a field-name byte: it frames
  // "Transfer-Encoding : chunked" as chunked while the field reaches the
  // request as "Transfer-Encoding " — the framing and the fields the server
  // sees disagree, and a proxy in front may frame it differently.
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n"
                   "5\r\nhello\r\n0\r\n\r\n"),
            400);
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nContent-Length : 5\r\n\r\nhello"), 400);
  EXPECT_EQ(Status("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), 400);
  // Inside a name ("Bad Field"), and a first field line that begins with
  // whitespace (RFC 9112 §2.2: reject, or drop the line) — both arrive as
  // fields named with a space.
  EXPECT_EQ(Status("GET / HTTP/1.1\r\nBad Field: x\r\n\r\n"), 400);
  EXPECT_EQ(Status("GET / HTTP/1.1\r\n Host: x\r\n\r\n"), 400);
}

TEST(Http1Smuggling, NoRequestFromTheBodyOfARefusedHead) {
  // The head is refused (a body over the limit, a version or method not
  // served); the bytes after it are its body or another protocol, never
  // requests: a request smuggled there would be answered before the refusal.
  const std::string smuggled = "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n";
  Http1Limits small;
  small.max_body_bytes = 16;
  std::string over = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                     std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled;
  Parsed p = Parse(over, small);
  ASSERT_TRUE(p.error.has_value());
  EXPECT_EQ(p.error->status, 413);
  EXPECT_EQ(Targets(p.requests), std::vector<std::string>{}) << "smuggled past a 413";

  Parsed v2 = Parse("GET / HTTP/2.0\r\nHost: x\r\n\r\n" + smuggled);
  ASSERT_TRUE(v2.error.has_value());
  EXPECT_EQ(v2.error->status, 505);
  EXPECT_EQ(Targets(v2.requests), std::vector<std::string>{});

  Parsed connect = Parse("CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n" + smuggled);
  ASSERT_TRUE(connect.error.has_value());
  EXPECT_EQ(connect.error->status, 501);
  EXPECT_EQ(Targets(connect.requests), std::vector<std::string>{});
}

TEST(Http1Smuggling, TrailerFieldsDoNotBecomeHeaderFields) {
  // RFC 9110 §6.5.1: a trailer field is not merged into the header section.
  // Here the trailer names Host and Content-Length: merged, the request
  // would claim a second host and a length its body does not have.
  Parsed p = Parse(
      "POST /up HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\nHost: evil.example\r\nContent-Length: 7\r\n\r\n");
  ASSERT_FALSE(p.error.has_value()) << p.error->message;
  ASSERT_EQ(p.requests.size(), 1u);
  const HttpRequest& r = p.requests[0];
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.Header("Host"), "a.example");
  EXPECT_FALSE(r.HasHeader("Content-Length"));
  EXPECT_EQ(r.headers.size(), 2u);
}

TEST(Http1Smuggling, LooseLineEndsAreRefused) {
  // Some framing bytes the reader must check itself: the two after a chunk's
  // data ("helloXX" passes for "hello\r\n"), the byte after the CR of a
  // chunk-size line, and the byte after the CR of the empty line that ends a
  // head. Debian's http-parser 2.9.4 (HTTP_PARSER_STRICT=0) and llhttp 8.1.0
  // (node-llhttp) both take any byte there. A front end that reads the
  // framing strictly frames these bytes differently — request smuggling
  // shapes (cf. CVE-2023-30589, llhttp's lone CR).
  const std::string chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(Status(chunked + "5\r\nhelloXX0\r\n\r\n"), 400);
  EXPECT_EQ(Status(chunked + "5\rXhello\r\n0\r\n\r\n"), 400);
  EXPECT_EQ(Status(chunked + "5\r\nhello\r\n0\r\n\rX"), 400);
  // Read loosely, this is two requests.
  EXPECT_EQ(Status("GET / HTTP/1.1\r\nHost: x\r\n\rXGET /2 HTTP/1.1\r\n\r\n"), 400);
}

TEST(Http1Smuggling, ChunkSizeLines) {
  // Over 2^64.
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "FFFFFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n"),
            400);
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "1" + std::string(100, '0') + "\r\nhello\r\n0\r\n\r\n"),
            400);
  // Not hex; a negative size; none.
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n\r\n"), 400);
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n"), 400);
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n"), 400);
  // A size that fits in 64 bits but not in the limit: refused as its data
  // passes the limit, not buffered.
  Http1Limits small;
  small.max_body_bytes = 1000;
  Http1Reader reader(small);
  std::vector<HttpRequest> ready;
  EXPECT_FALSE(reader.Feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "FFFFFFFFFFFFFFF\r\n" + std::string(1000, 'x'),
                           &ready));
  std::optional<Http1Error> e = reader.Feed("x", &ready);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->status, 413);
  EXPECT_TRUE(ready.empty());
  // Leading zeros are the same size.
  Parsed zeros = Parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
                       std::string(10000, '0') + "5\r\nhello\r\n0\r\n\r\n");
  ASSERT_FALSE(zeros.error.has_value());
  ASSERT_EQ(zeros.requests.size(), 1u);
  EXPECT_EQ(zeros.requests[0].body, "hello");
}

// ------------------------------------------------------------------ limits

TEST(Http1Limits, HeaderBytes) {
  Http1Limits l;
  l.max_header_bytes = 64;
  // Target + names + values: "/" + "Host" + "x" + "X-Pad" + 57 bytes = 69.
  EXPECT_EQ(Status("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(57, 'p') + "\r\n\r\n", l),
            431);
  // 64 exactly is served.
  Parsed at = Parse("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(52, 'p') + "\r\n\r\n", l);
  EXPECT_FALSE(at.error.has_value());
  EXPECT_EQ(at.requests.size(), 1u);
  // A long target counts.
  EXPECT_EQ(Status("GET /" + std::string(100, 'a') + " HTTP/1.1\r\n\r\n", l), 431);
  // A long name counts.
  EXPECT_EQ(Status("GET / HTTP/1.1\r\n" + std::string(100, 'N') + ": v\r\n\r\n", l), 431);
  // The count starts again at each request.
  std::string fits = "GET / HTTP/1.1\r\nX-Pad: " + std::string(50, 'p') + "\r\n\r\n";
  Parsed many = Parse(fits + fits + fits, l);
  EXPECT_FALSE(many.error.has_value());
  EXPECT_EQ(many.requests.size(), 3u);
  // Refused as the bytes arrive, before the head ends.
  Http1Reader reader(l);
  std::vector<HttpRequest> ready;
  std::optional<Http1Error> e =
      reader.Feed("GET / HTTP/1.1\r\nX-Pad: " + std::string(100, 'p'), &ready);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->status, 431);
}

TEST(Http1Limits, HeaderBytesDefaultAgainstAHugeHead) {
  // A megabyte of one header value with the default limits (16 KiB).
  std::string head = "GET / HTTP/1.1\r\nX-Big: " + std::string(1 << 20, 'b') + "\r\n\r\n";
  EXPECT_EQ(Status(head), 431);
}

TEST(Http1Limits, HeaderCount) {
  Http1Limits l;
  l.max_headers = 3;
  auto with = [](int n) {
    std::string s = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < n; ++i) s += "X-" + std::to_string(i) + ": v\r\n";
    return s + "\r\n";
  };
  Parsed three = Parse(with(3), l);
  EXPECT_FALSE(three.error.has_value());
  ASSERT_EQ(three.requests.size(), 1u);
  EXPECT_EQ(three.requests[0].headers.size(), 3u);
  EXPECT_EQ(Status(with(4), l), 431);
  EXPECT_EQ(Status(with(1000), l), 431);
  // Empty fields count too.
  EXPECT_EQ(Status("GET / HTTP/1.1\r\nA:\r\nB:\r\nC:\r\nD:\r\n\r\n", l), 431);
}

TEST(Http1Limits, BodyByContentLengthRefusedAtTheHead) {
  Http1Limits l;
  l.max_body_bytes = 10;
  // Exactly the limit is served.
  Parsed at = Parse("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", l);
  EXPECT_FALSE(at.error.has_value());
  EXPECT_EQ(at.requests.size(), 1u);
  // One over is refused as soon as the head is read: no body byte sent.
  Http1Reader reader(l);
  std::vector<HttpRequest> ready;
  std::optional<Http1Error> e = reader.Feed("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", &ready);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->status, 413);
  EXPECT_TRUE(ready.empty());
  // A length of an exabyte.
  EXPECT_EQ(Status("POST / HTTP/1.1\r\nContent-Length: 1000000000000000000\r\n\r\n", l), 413);
}

TEST(Http1Limits, BodyByChunksRefusedWhenTheyPassIt) {
  Http1Limits l;
  l.max_body_bytes = 10;
  Http1Reader reader(l);
  std::vector<HttpRequest> ready;
  EXPECT_FALSE(reader.Feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &ready));
  EXPECT_FALSE(reader.Feed("5\r\nhello\r\n", &ready));
  EXPECT_FALSE(reader.Feed("5\r\nworld\r\n", &ready));  // 10: at the limit
  std::optional<Http1Error> e = reader.Feed("1\r\n!\r\n0\r\n\r\n", &ready);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->status, 413);
  EXPECT_TRUE(ready.empty());
  // Exactly the limit in chunks is served.
  Parsed ok = Parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", l);
  EXPECT_FALSE(ok.error.has_value());
  ASSERT_EQ(ok.requests.size(), 1u);
  EXPECT_EQ(ok.requests[0].body, "helloworld");
  // Many one-byte chunks.
  std::string tiny = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 11; ++i) tiny += "1\r\nx\r\n";
  EXPECT_EQ(Status(tiny + "0\r\n\r\n", l), 413);
}

// ------------------------------------------------------------ bad bytes

TEST(Http1BadBytes, ObsFoldAndBareCr) {
  // http-parser keeps an obs-fold line as part of the value (RFC 9112 §5.2
  // allows replacing the fold with spaces): one field, no new field made of
  // the continuation line.
  Parsed fold = Parse("GET / HTTP/1.1\r\nX-A: a\r\n b\r\nX-B: c\r\n\r\n");
  if (!fold.error) {
    ASSERT_EQ(fold.requests.size(), 1u);
    ASSERT_EQ(fold.requests[0].headers.size(), 2u);
    EXPECT_EQ(fold.requests[0].Header("X-A"), "a b");
    EXPECT_EQ(fold.requests[0].Header("X-B"), "c");
  } else {
    EXPECT_EQ(fold.error->status, 400);
  }
  // A bare CR inside a value, in the request line, as a line end.
  EXPECT_EQ(Status("GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n"), 400);
  EXPECT_EQ(Status("GET /a\rb HTTP/1.1\r\n\r\n"), 400);
  // After the version: http-parser says "LF expected" (400), llhttp "invalid
  // version" (505). Either way refused.
  int cr_after_version = Status("GET / HTTP/1.1\rHost: x\r\n\r\n");
  EXPECT_TRUE(cr_after_version == 400 || cr_after_version == 505) << cr_after_version;
}

TEST(Http1BadBytes, NulInTargetAndValues) {
  using namespace std::string_literals;
  EXPECT_EQ(Status("GET /a\0b HTTP/1.1\r\n\r\n"s), 400);
  EXPECT_EQ(Status("GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n"s), 400);
  EXPECT_EQ(Status("GET / HTTP/1.1\r\nX\0A: ab\r\n\r\n"s), 400);
  EXPECT_EQ(Status("\0GET / HTTP/1.1\r\n\r\n"s), 501);  // not a method token
  // Other control bytes in a value.
  EXPECT_EQ(Status("GET / HTTP/1.1\r\nX-A: a\x01z\r\n\r\n"), 400);
  EXPECT_EQ(Status("GET / HTTP/1.1\r\nX-A: a\x7fz\r\n\r\n"), 400);
  // A space in the target ends it: what follows is not a version.
  EXPECT_EQ(Status("GET /a b HTTP/1.1\r\n\r\n"), 400);
}

TEST(Http1BadBytes, MethodsAndVersions) {
  // http-parser knows a fixed list of methods; anything else — unknown,
  // lower case, or not a token at all — is HPE_INVALID_METHOD, answered 501.
  EXPECT_EQ(Status("FOO / HTTP/1.1\r\n\r\n"), 501);
  EXPECT_EQ(Status("get / HTTP/1.1\r\n\r\n"), 501);
  EXPECT_EQ(Status("G@T / HTTP/1.1\r\n\r\n"), 501);
  EXPECT_EQ(Status("GETX / HTTP/1.1\r\n\r\n"), 501);
  EXPECT_EQ(Status(" GET / HTTP/1.1\r\n\r\n"), 501);
  EXPECT_EQ(Status("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), 501);  // a TLS hello
  // CONNECT is a method http-parser knows; the host does not serve it.
  EXPECT_EQ(Status("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"), 501);
  // Versions: a major other than 1 is 505 (http-parser reads one digit).
  EXPECT_EQ(Status("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
  EXPECT_EQ(Status("GET / HTTP/0.9\r\n\r\n"), 505);
  EXPECT_EQ(Status("GET / HTTP/9.9\r\n\r\n"), 505);
  // HTTP/0.9's request line (no version): http-parser takes it as 0.9.
  EXPECT_EQ(Status("GET /\r\n\r\n"), 505);
  // A version that is not a digit, a dot and a digit: malformed (400), or
  // as http-parser reports it (HPE_INVALID_VERSION), 505.
  for (std::string_view bad : {"GET / HTTP/1.x\r\n\r\n", "GET / HTTP/1.12\r\n\r\n"}) {
    int status = Status(bad);
    EXPECT_TRUE(status == 400 || status == 505) << bad << ": " << status;
  }
  // Not "HTTP/" at all.
  EXPECT_EQ(Status("GET / FOO/1.1\r\n\r\n"), 400);
}

// -------------------------------------------------- after errors, upgrades

TEST(Http1Errors, Sticky) {
  using namespace std::string_literals;
  Http1Reader reader;
  std::vector<HttpRequest> ready;
  std::optional<Http1Error> first = reader.Feed("GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n"s, &ready);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 400);
  EXPECT_TRUE(ready.empty());
  for (std::string_view more : {"GET / HTTP/1.1\r\n\r\n", "", "\r\n", "POST / HTTP/1.1\r\n"}) {
    std::optional<Http1Error> again = reader.Feed(more, &ready);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->status, first->status);
    EXPECT_EQ(again->message, first->message);
    EXPECT_TRUE(ready.empty());
  }
  // The same for a limit error.
  Http1Limits l;
  l.max_headers = 1;
  Http1Reader limited(l);
  std::optional<Http1Error> e = limited.Feed("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", &ready);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->status, 431);
  std::optional<Http1Error> again = limited.Feed("GET / HTTP/1.1\r\n\r\n", &ready);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 431);
  EXPECT_EQ(again->message, e->message);
  EXPECT_TRUE(ready.empty());
}

TEST(Http1Errors, RequestsBeforeTheBadBytesAreAppended) {
  Http1Reader reader;
  std::vector<HttpRequest> ready;
  std::optional<Http1Error> e = reader.Feed(
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nok"
      "GET /c HTTP/1.1\r\nX-A: a\x01z\r\n\r\n"
      "GET /d HTTP/1.1\r\n\r\n",
      &ready);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->status, 400);
  EXPECT_EQ(Targets(ready), (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(ready[1].body, "ok");
  // Across Feeds: the earlier Feed's requests stay; the bad one appends none.
  Http1Reader split;
  std::vector<HttpRequest> got;
  EXPECT_FALSE(split.Feed("GET /a HTTP/1.1\r\n\r\nGET /b HT", &got));
  EXPECT_EQ(got.size(), 1u);
  e = split.Feed("TP/1.1\r\n\r\nGET /c HTTP/7.1\r\n\r\n", &got);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->status, 505);
  EXPECT_EQ(Targets(got), (std::vector<std::string>{"/a", "/b"}));
}

TEST(Http1Errors, UpgradeEndsTheHttpBytes) {
  const std::string upgrade =
      "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  const std::string after = std::string("\x81\x85\x00\x00\x00\x00hello", 11) +
                            "GET /smuggled HTTP/1.1\r\n\r\n";
  for (size_t piece : {0, 1, 7}) {
    SCOPED_TRACE(piece);
    Parsed p = Parse(upgrade + after, {}, piece);
    EXPECT_FALSE(p.error.has_value());
    ASSERT_EQ(p.requests.size(), 1u);
    EXPECT_EQ(p.requests[0].target, "/chat");
    EXPECT_EQ(p.requests[0].Header("Upgrade"), "websocket");
    EXPECT_FALSE(p.requests[0].keep_alive);
  }
  // And in later Feeds.
  Http1Reader reader;
  std::vector<HttpRequest> ready;
  EXPECT_FALSE(reader.Feed(upgrade, &ready));
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_FALSE(reader.Feed("GET /x HTTP/1.1\r\n\r\n", &ready));
  EXPECT_FALSE(reader.Feed(std::string("\0\0\0 garbage", 11), &ready));
  EXPECT_EQ(ready.size(), 1u);
  // Upgrade without "Connection: upgrade" is an ordinary request.
  Parsed plain = Parse("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\nGET /2 HTTP/1.1\r\n\r\n");
  EXPECT_FALSE(plain.error.has_value());
  ASSERT_EQ(plain.requests.size(), 2u);
  EXPECT_TRUE(plain.requests[0].keep_alive);
}

TEST(Http1Errors, ConnectionCloseRequestIsNotKeptAlive) {
  // What follows a closing request is for the server to drop (server.cc
  // stops reading at the first request that is not kept alive).
  Parsed p = Parse("GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
  ASSERT_GE(p.requests.size(), 1u);
  EXPECT_EQ(p.requests[0].target, "/a");
  EXPECT_FALSE(p.requests[0].keep_alive);
  // Whatever follows it — here a bare CR — the closing request, complete
  // before those bytes, is still appended (in one Feed or in pieces).
  for (std::string_view closing : {"GET /a HTTP/1.1\r\nConnection: close\r\n\r\n",
                                   "GET /a HTTP/1.0\r\n\r\n"}) {
    for (size_t piece : {0, 1}) {
      SCOPED_TRACE(std::string(closing) + " piece " + std::to_string(piece));
      Parsed after = Parse(std::string(closing) + "X\rY", {}, piece);
      EXPECT_EQ(after.requests.size(), 1u) << (after.error ? after.error->message : "");
      if (after.requests.size() == 1) {
        EXPECT_EQ(after.requests[0].target, "/a");
        EXPECT_FALSE(after.requests[0].keep_alive);
      }
    }
  }
}

// ---------------------------------------------------------------- volume

TEST(Http1Volume, TenThousandPipelinedRequests) {
  std::string many;
  for (int i = 0; i < 10000; ++i) many += "GET /" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
  auto start = std::chrono::steady_clock::now();
  Http1Reader reader;
  std::vector<HttpRequest> ready;
  EXPECT_FALSE(reader.Feed(many, &ready).has_value());
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(ready.size(), 10000u);
  for (int i = 0; i < 10000; ++i) {
    if (ready[static_cast<size_t>(i)].target != "/" + std::to_string(i)) {
      ADD_FAILURE() << "request " << i << " is " << ready[static_cast<size_t>(i)].target;
      break;
    }
  }
  EXPECT_FALSE(reader.in_message());
  EXPECT_LT(seconds, 5.0);  // milliseconds in practice, even under ASan
}

TEST(Http1Volume, EmptyLinesBetweenRequests) {
  // Empty lines between requests are skipped (RFC 9112 §2.2 allows it) ...
  auto with = [](int crlfs) {
    std::string s = "GET /a HTTP/1.1\r\n\r\n";
    for (int i = 0; i < crlfs; ++i) s += "\r\n";
    return s + "GET /b HTTP/1.1\r\n\r\n";
  };
  Parsed few = Parse(with(1000));
  EXPECT_FALSE(few.error.has_value());
  EXPECT_EQ(Targets(few.requests), (std::vector<std::string>{"/a", "/b"}));
  // ... and a flood of them is never a request. It may be refused
  // (http-parser counts it against its own 80 KiB cap on a head: 431) or
  // skipped without being held (llhttp), but the same way however the
  // bytes are split.
  const std::string flood = with(100000);
  Parsed whole = Parse(flood);
  for (size_t piece : {0, 4096, 1}) {
    SCOPED_TRACE(piece);
    Parsed p = Parse(flood, {}, piece);
    if (p.error) {
      EXPECT_TRUE(p.error->status == 400 || p.error->status == 431) << p.error->status;
      EXPECT_EQ(Targets(p.requests), std::vector<std::string>{"/a"});
    } else {
      EXPECT_EQ(Targets(p.requests), (std::vector<std::string>{"/a", "/b"}));
    }
    EXPECT_EQ(p.error.has_value(), whole.error.has_value()) << (p.error ? p.error->message : "");
    if (p.error && whole.error) {
      EXPECT_EQ(p.error->status, whole.error->status);
    }
  }
}

}  // namespace
}  // namespace sexp::host
