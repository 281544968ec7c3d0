// HTTP/1.1 as bytes (sexp/host/http1.h): requests read by Http1Reader
// (a callback parser underneath) — keep-alive, pipelining, Content-Length and
// chunked bodies, reads split anywhere — and responses written by
// WriteResponse and the chunked writer. Adversarial requests are in
// http1_hostile_test.cc; the fuzz target is tests/fuzz/fuzz_http1.cc.
#include "sexp/host/http1.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "host/http1_parse.h"

namespace sexp::host {
namespace {

// The one request in `bytes`; fails the test when there is not exactly one.
HttpRequest One(std::string_view bytes) {
  Parsed p = Parse(bytes);
  EXPECT_FALSE(p.error.has_value()) << (p.error ? p.error->message : "");
  EXPECT_EQ(p.requests.size(), 1u);
  if (p.requests.size() != 1) return HttpRequest();
  return p.requests[0];
}

std::vector<std::pair<std::string, std::string>> Fields(const HttpRequest& r) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const HttpHeader& h : r.headers) out.emplace_back(h.name, h.value);
  return out;
}

void ExpectSameRequests(const std::vector<HttpRequest>& a, const std::vector<HttpRequest>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(a[i].method, b[i].method);
    EXPECT_EQ(a[i].target, b[i].target);
    EXPECT_EQ(a[i].version_minor, b[i].version_minor);
    EXPECT_EQ(Fields(a[i]), Fields(b[i]));
    EXPECT_EQ(a[i].body, b[i].body);
    EXPECT_EQ(a[i].keep_alive, b[i].keep_alive);
  }
}

// Removes the one Date line of a response head, after checking its form
// ("Date: Sun, 06 Nov 1994 08:49:37 GMT", RFC 9110 §5.6.7).
std::string WithoutDate(const std::string& response) {
  size_t at = response.find("\r\nDate: ");
  EXPECT_NE(at, std::string::npos) << response;
  if (at == std::string::npos) return response;
  size_t start = at + 2;
  size_t end = response.find("\r\n", start);
  std::string line = response.substr(start, end - start);
  EXPECT_EQ(line.size(), 35u) << line;
  if (line.size() == 35) {
    EXPECT_EQ(line.substr(9, 2), ", ") << line;
    EXPECT_EQ(line.substr(32), "GMT") << line;
    EXPECT_EQ(line[22], ' ') << line;
    EXPECT_EQ(line[25], ':') << line;
    EXPECT_EQ(line[28], ':') << line;
  }
  EXPECT_EQ(response.find("\r\nDate: ", end), std::string::npos) << "two Date lines";
  return response.substr(0, start) + response.substr(end + 2);
}

constexpr std::string_view kGet =
    "GET /posts/1/?tab=x HTTP/1.1\r\n"
    "Host: example.org\r\n"
    "Accept: text/html\r\n"
    "X-Mixed-CASE: Value With Spaces\r\n"
    "\r\n";

TEST(Http1Reader, SimpleGet) {
  HttpRequest r = One(kGet);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/posts/1/?tab=x");
  EXPECT_EQ(r.version_minor, 1u);
  EXPECT_EQ(Fields(r), (std::vector<std::pair<std::string, std::string>>{
                           {"Host", "example.org"},
                           {"Accept", "text/html"},
                           {"X-Mixed-CASE", "Value With Spaces"}}));
  EXPECT_EQ(r.body, "");
  EXPECT_TRUE(r.keep_alive);
}

TEST(Http1Reader, KeepAlive) {
  EXPECT_TRUE(One("GET / HTTP/1.1\r\nHost: a\r\n\r\n").keep_alive);
  EXPECT_FALSE(One("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keep_alive);
  EXPECT_FALSE(One("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").keep_alive);
  HttpRequest old = One("GET / HTTP/1.0\r\nHost: a\r\n\r\n");
  EXPECT_EQ(old.version_minor, 0u);
  EXPECT_FALSE(old.keep_alive);
  HttpRequest kept = One("GET / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(kept.version_minor, 0u);
  EXPECT_TRUE(kept.keep_alive);
}

TEST(Http1Reader, ByteByByteGivesTheSameRequests) {
  const std::string stream =
      std::string(kGet) +
      "POST /inbox HTTP/1.1\r\nHost: example.org\r\nContent-Length: 11\r\n"
      "Content-Type: text/plain\r\n\r\nhello world" +
      "PUT /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX-Empty:\r\n\r\n"
      "3;name=value\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n" +
      "GET /last HTTP/1.0\r\n\r\n";
  Parsed whole = Parse(stream);
  ASSERT_FALSE(whole.error.has_value()) << whole.error->message;
  ASSERT_EQ(whole.requests.size(), 4u);
  EXPECT_EQ(whole.requests[1].body, "hello world");
  EXPECT_EQ(whole.requests[2].body, "abc0123456789abcdef");
  EXPECT_EQ(whole.requests[2].Header("X-Empty"), "");
  EXPECT_TRUE(whole.requests[2].HasHeader("x-empty"));
  for (size_t piece : {1, 2, 3, 7, 64}) {
    SCOPED_TRACE(piece);
    Parsed split = Parse(stream, {}, piece);
    EXPECT_FALSE(split.error.has_value());
    ExpectSameRequests(split.requests, whole.requests);
  }
}

TEST(Http1Reader, PipelinedRequestsInOrder) {
  const std::string three =
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /c HTTP/1.1\r\nHost: x\r\n\r\n";
  Parsed p = Parse(three);
  ASSERT_FALSE(p.error.has_value());
  ASSERT_EQ(p.requests.size(), 3u);
  EXPECT_EQ(p.requests[0].target, "/a");
  EXPECT_EQ(p.requests[1].target, "/b");
  EXPECT_EQ(p.requests[2].target, "/c");

  // Split in two Feeds at every byte: each Feed appends the requests it
  // completes, and the two together give all three in order.
  for (size_t cut = 1; cut < three.size(); ++cut) {
    SCOPED_TRACE(cut);
    Http1Reader reader;
    std::vector<HttpRequest> ready;
    EXPECT_FALSE(reader.Feed(std::string_view(three).substr(0, cut), &ready).has_value());
    size_t first = ready.size();
    EXPECT_EQ(first, cut / (three.size() / 3));  // a request completes at its last byte
    EXPECT_FALSE(reader.Feed(std::string_view(three).substr(cut), &ready).has_value());
    ASSERT_EQ(ready.size(), 3u);
    EXPECT_EQ(ready[0].target, "/a");
    EXPECT_EQ(ready[1].target, "/b");
    EXPECT_EQ(ready[2].target, "/c");
  }
}

TEST(Http1Reader, ContentLengthBodies) {
  HttpRequest r = One("POST /form HTTP/1.1\r\nContent-Length: 7\r\n\r\na=1&b=2");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.body, "a=1&b=2");
  EXPECT_EQ(r.Header("content-length"), "7");

  // A body with CRLFs and NULs is opaque bytes.
  std::string raw("x\r\n\r\n\0y", 7);
  HttpRequest bin = One("PUT /b HTTP/1.1\r\nContent-Length: 7\r\n\r\n" + raw);
  EXPECT_EQ(bin.body, raw);

  // Content-Length: 0, then the next request.
  Parsed p = Parse("POST /e HTTP/1.1\r\nContent-Length: 0\r\n\r\nGET /n HTTP/1.1\r\n\r\n");
  ASSERT_EQ(p.requests.size(), 2u);
  EXPECT_EQ(p.requests[0].body, "");
  EXPECT_EQ(p.requests[1].target, "/n");

  // The body arrives in pieces: the request is appended when the last byte is.
  Http1Reader reader;
  std::vector<HttpRequest> ready;
  EXPECT_FALSE(reader.Feed("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234", &ready));
  EXPECT_TRUE(ready.empty());
  EXPECT_FALSE(reader.Feed("5678", &ready));
  EXPECT_TRUE(ready.empty());
  EXPECT_FALSE(reader.Feed("9", &ready));
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].body, "0123456789");
}

TEST(Http1Reader, ChunkedBodiesAreDechunked) {
  const std::string chunked =
      "POST /up HTTP/1.1\r\n"
      "Host: x\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "5;ext=1\r\nhello\r\n"
      "1;quoted=\"a b\"\r\n \r\n"
      "A\r\n0123456789\r\n"
      "0;last\r\n"
      "X-Checksum: abc\r\n"
      "\r\n"
      "GET /after HTTP/1.1\r\n\r\n";
  for (size_t piece : {0, 1, 5}) {
    SCOPED_TRACE(piece);
    Parsed p = Parse(chunked, {}, piece);
    ASSERT_FALSE(p.error.has_value()) << p.error->message;
    ASSERT_EQ(p.requests.size(), 2u);
    EXPECT_EQ(p.requests[0].method, "POST");
    EXPECT_EQ(p.requests[0].body, "hello 0123456789");
    EXPECT_EQ(p.requests[0].Header("Transfer-Encoding"), "chunked");
    EXPECT_EQ(p.requests[0].Header("Host"), "x");
    EXPECT_TRUE(p.requests[0].keep_alive);
    EXPECT_EQ(p.requests[1].target, "/after");
  }
  // Upper- and lower-case hex sizes.
  EXPECT_EQ(One("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                "b\r\nhello world\r\nB\r\nHELLO WORLD\r\n0\r\n\r\n")
                .body,
            "hello worldHELLO WORLD");
}

TEST(Http1Reader, ChunkExtensions) {
  // RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ),
  // a value a token or a quoted string; extensions are read and ignored.
  auto parse = [](const std::string& ext) {
    return Parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5" + ext +
                 "\r\nhello\r\n0\r\n\r\n");
  };
  for (std::string ext : {";a", ";a=1", ";a;b", ";a=\"x\";b=2"}) {
    SCOPED_TRACE(ext);
    Parsed p = parse(ext);
    EXPECT_FALSE(p.error.has_value()) << p.error->message;
    ASSERT_EQ(p.requests.size(), 1u);
    EXPECT_EQ(p.requests[0].body, "hello");
  }
  // A known limit of llhttp 8.1.0 (Debian's node-llhttp): an extension
  // after one with a token value is refused ("Invalid character in chunk
  // size"). Clients do not send chunk extensions in practice; what matters
  // here is that the refusal is clean — a 400, no request handed out.
  for (std::string ext : {";a=1;b=2", ";a=1;b", ";a=1;b=\"y\""}) {
    SCOPED_TRACE(ext);
    Parsed p = parse(ext);
    ASSERT_TRUE(p.error.has_value());
    EXPECT_EQ(p.error->status, 400);
    EXPECT_TRUE(p.requests.empty());
  }
}

TEST(Http1Reader, Head) {
  Parsed p = Parse("HEAD /page HTTP/1.1\r\nHost: x\r\n\r\nGET /page HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_FALSE(p.error.has_value());
  ASSERT_EQ(p.requests.size(), 2u);
  EXPECT_EQ(p.requests[0].method, "HEAD");
  EXPECT_EQ(p.requests[0].target, "/page");
  EXPECT_EQ(p.requests[0].body, "");
  EXPECT_TRUE(p.requests[0].keep_alive);
  EXPECT_EQ(p.requests[1].method, "GET");
}

TEST(Http1Reader, OtherMethods) {
  for (std::string m : {"PUT", "DELETE", "OPTIONS", "PATCH", "POST"}) {
    EXPECT_EQ(One(m + " /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n").method, m);
  }
  EXPECT_EQ(One("OPTIONS * HTTP/1.1\r\n\r\n").target, "*");
  EXPECT_EQ(One("GET http://a.example/x?y HTTP/1.1\r\n\r\n").target, "http://a.example/x?y");
}

TEST(HttpRequest, HeaderJoinsRepeatedFieldsIgnoringCase) {
  HttpRequest r = One(
      "GET / HTTP/1.1\r\n"
      "Accept: text/html\r\n"
      "Host: x\r\n"
      "accept: application/sx\r\n"
      "ACCEPT: */*;q=0.1\r\n"
      "\r\n");
  EXPECT_EQ(r.headers.size(), 4u);  // kept as sent
  EXPECT_EQ(r.Header("Accept"), "text/html, application/sx, */*;q=0.1");
  EXPECT_EQ(r.Header("aCcEpT"), "text/html, application/sx, */*;q=0.1");
  EXPECT_EQ(r.Header("host"), "x");
  EXPECT_TRUE(r.HasHeader("HOST"));
  EXPECT_FALSE(r.HasHeader("Accept-Language"));
  EXPECT_EQ(r.Header("Accept-Language"), "");
  EXPECT_FALSE(r.HasHeader("Accep"));
  EXPECT_FALSE(r.HasHeader("Accepts"));

  HttpRequest built;
  built.headers = {{"Vary", ""}, {"vary", "b"}};
  EXPECT_TRUE(built.HasHeader("VARY"));
  EXPECT_EQ(built.Header("Vary"), ", b");  // an empty field still takes its place
}

TEST(EqualsIgnoreCase, AsciiOnly) {
  EXPECT_TRUE(EqualsIgnoreCase("Content-Type", "content-TYPE"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("a", ""));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abd"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abcd"));
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));  // 0x5b and 0x7b differ by 0x20 but are not letters
  EXPECT_FALSE(EqualsIgnoreCase("\xc3\xa9", "\xc3\x89"));
}

TEST(Http1Reader, InMessage) {
  Http1Reader reader;
  std::vector<HttpRequest> ready;
  EXPECT_FALSE(reader.in_message());
  EXPECT_FALSE(reader.Feed("GET /a HT", &ready));
  EXPECT_TRUE(reader.in_message());
  EXPECT_FALSE(reader.Feed("TP/1.1\r\nHost: x\r\n", &ready));
  EXPECT_TRUE(reader.in_message());
  EXPECT_FALSE(reader.Feed("\r\n", &ready));
  EXPECT_FALSE(reader.in_message());
  EXPECT_EQ(ready.size(), 1u);
  // Mid-body.
  EXPECT_FALSE(reader.Feed("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nab", &ready));
  EXPECT_TRUE(reader.in_message());
  EXPECT_FALSE(reader.Feed("cd", &ready));
  EXPECT_FALSE(reader.in_message());
  EXPECT_EQ(ready.size(), 2u);
  // One complete and the next begun in the same bytes.
  EXPECT_FALSE(reader.Feed("GET /b HTTP/1.1\r\n\r\nGET /c", &ready));
  EXPECT_EQ(ready.size(), 3u);
  EXPECT_TRUE(reader.in_message());
  EXPECT_FALSE(reader.Feed(" HTTP/1.1\r\n\r\n", &ready));
  EXPECT_FALSE(reader.in_message());
  ASSERT_EQ(ready.size(), 4u);
  EXPECT_EQ(ready[3].target, "/c");
}

TEST(Http1Reader, EmptyFeedDoesNothing) {
  Http1Reader reader;
  std::vector<HttpRequest> ready;
  EXPECT_FALSE(reader.Feed("", &ready));
  EXPECT_FALSE(reader.in_message());
  EXPECT_FALSE(reader.Feed("GET / HTTP/1.1\r\n", &ready));
  EXPECT_FALSE(reader.Feed("", &ready));
  EXPECT_TRUE(reader.in_message());
  EXPECT_FALSE(reader.Feed("\r\n", &ready));
  EXPECT_EQ(ready.size(), 1u);
}

TEST(WriteResponse, ExactBytes) {
  HttpResponse r;
  r.status = 200;
  r.headers = {{"Content-Type", "text/html; charset=utf-8"}, {"ETag", "\"abc\""}};
  r.body = "<p>hi</p>";
  std::string out;
  WriteResponse(r, /*head=*/false, /*keep_alive=*/true, &out);
  EXPECT_EQ(WithoutDate(out),
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/html; charset=utf-8\r\n"
            "ETag: \"abc\"\r\n"
            "Content-Length: 9\r\n"
            "\r\n"
            "<p>hi</p>");
  // The Date line follows the status line.
  EXPECT_EQ(out.find("HTTP/1.1 200 OK\r\nDate: "), 0u);
}

TEST(WriteResponse, Appends) {
  std::string out = "earlier";
  HttpResponse r;
  r.status = 404;
  r.body = "no";
  WriteResponse(r, false, true, &out);
  EXPECT_EQ(WithoutDate(out), "earlierHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno");
}

TEST(WriteResponse, ConnectionCloseWhenNotKeptAlive) {
  HttpResponse r;
  r.status = 400;
  r.headers = {{"Content-Type", "text/plain"}};
  r.body = "bad";
  std::string out;
  WriteResponse(r, false, /*keep_alive=*/false, &out);
  EXPECT_EQ(WithoutDate(out),
            "HTTP/1.1 400 Bad Request\r\n"
            "Content-Type: text/plain\r\n"
            "Connection: close\r\n"
            "Content-Length: 3\r\n"
            "\r\n"
            "bad");
}

TEST(WriteResponse, HeadKeepsContentLengthWithoutBody) {
  HttpResponse r;
  r.status = 200;
  r.body = std::string(1234, 'x');
  std::string out;
  WriteResponse(r, /*head=*/true, true, &out);
  EXPECT_EQ(WithoutDate(out), "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
  std::string closing;
  WriteResponse(r, /*head=*/true, false, &closing);
  EXPECT_EQ(WithoutDate(closing),
            "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1234\r\n\r\n");
}

TEST(WriteResponse, NoContentLengthOrBodyFor204And304And1xx) {
  for (int status : {204, 304, 100}) {
    SCOPED_TRACE(status);
    HttpResponse r;
    r.status = status;
    r.headers = {{"ETag", "\"v1\""}};
    r.body = "ignored";
    std::string out;
    WriteResponse(r, false, true, &out);
    EXPECT_EQ(WithoutDate(out), "HTTP/1.1 " + std::to_string(status) + " " +
                                    std::string(ReasonPhrase(status)) +
                                    "\r\nETag: \"v1\"\r\n\r\n");
  }
  HttpResponse empty;
  empty.status = 200;
  std::string out;
  WriteResponse(empty, false, true, &out);
  EXPECT_EQ(WithoutDate(out), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
}

TEST(WriteResponse, UnknownStatus) {
  HttpResponse r;
  r.status = 299;
  std::string out;
  WriteResponse(r, false, true, &out);
  EXPECT_EQ(WithoutDate(out), "HTTP/1.1 299 Unknown\r\nContent-Length: 0\r\n\r\n");
}

TEST(ChunkedWriter, ExactBytes) {
  std::string out;
  WriteChunkedHead(200, {{"Content-Type", "text/html"}}, /*keep_alive=*/true, &out);
  AppendChunk("hello", &out);
  AppendChunk("", &out);  // nothing: an empty chunk would end the body
  AppendChunk(std::string(300, 'x'), &out);
  AppendLastChunk(&out);
  EXPECT_EQ(WithoutDate(out),
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/html\r\n"
            "Transfer-Encoding: chunked\r\n"
            "\r\n"
            "5\r\nhello\r\n"
            "12c\r\n" +
                std::string(300, 'x') +
                "\r\n"
                "0\r\n\r\n");

  std::string closing;
  WriteChunkedHead(500, {}, /*keep_alive=*/false, &closing);
  EXPECT_EQ(WithoutDate(closing),
            "HTTP/1.1 500 Internal Server Error\r\n"
            "Connection: close\r\n"
            "Transfer-Encoding: chunked\r\n"
            "\r\n");
}

TEST(ChunkedWriter, ParsesBackThroughHttpParser) {
  // The chunked head and chunks with the status line swapped for a request
  // line: the reader de-chunks them as a request body.
  std::string body_in;
  std::string out;
  WriteChunkedHead(200, {{"X-A", "1"}}, true, &out);
  for (int i = 0; i < 40; ++i) {
    std::string chunk(static_cast<size_t>(i * 37 % 300), static_cast<char>('a' + i % 26));
    AppendChunk(chunk, &out);
    body_in += chunk;
  }
  AppendLastChunk(&out);
  size_t eol = out.find("\r\n");
  std::string as_request = "POST /echo HTTP/1.1" + out.substr(eol);
  for (size_t piece : {0, 1, 13}) {
    SCOPED_TRACE(piece);
    Parsed p = Parse(as_request, {}, piece);
    ASSERT_FALSE(p.error.has_value()) << p.error->message;
    ASSERT_EQ(p.requests.size(), 1u);
    EXPECT_EQ(p.requests[0].body, body_in);
    EXPECT_EQ(p.requests[0].Header("X-A"), "1");
    EXPECT_EQ(p.requests[0].Header("Transfer-Encoding"), "chunked");
    EXPECT_TRUE(p.requests[0].HasHeader("Date"));
  }
}

TEST(WriteResponse, ParsesBackThroughHttpParser) {
  HttpResponse r;
  r.status = 201;
  r.headers = {{"Location", "/posts/2"}, {"X-B", "two"}};
  r.body = std::string("line\r\n\0 more", 12);
  std::string out;
  WriteResponse(r, false, true, &out);
  size_t eol = out.find("\r\n");
  EXPECT_EQ(out.substr(0, eol), "HTTP/1.1 201 Created");
  HttpRequest back = One("PUT /x HTTP/1.1" + out.substr(eol));
  EXPECT_EQ(back.body, r.body);
  EXPECT_EQ(back.Header("Location"), "/posts/2");
  EXPECT_EQ(back.Header("X-B"), "two");
  EXPECT_EQ(back.Header("Content-Length"), "12");
}

TEST(ReasonPhrase, Names) {
  EXPECT_EQ(ReasonPhrase(200), "OK");
  EXPECT_EQ(ReasonPhrase(204), "No Content");
  EXPECT_EQ(ReasonPhrase(304), "Not Modified");
  EXPECT_EQ(ReasonPhrase(400), "Bad Request");
  EXPECT_EQ(ReasonPhrase(404), "Not Found");
  EXPECT_EQ(ReasonPhrase(413), "Content Too Large");
  EXPECT_EQ(ReasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(ReasonPhrase(501), "Not Implemented");
  EXPECT_EQ(ReasonPhrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(ReasonPhrase(418), "Unknown");
  EXPECT_EQ(ReasonPhrase(0), "Unknown");
  EXPECT_EQ(ReasonPhrase(-200), "Unknown");
  // Every status the reader refuses with has a name.
  for (int status : {400, 413, 431, 501, 505}) {
    EXPECT_NE(ReasonPhrase(status), "Unknown") << status;
  }
}

}  // namespace
}  // namespace sexp::host
