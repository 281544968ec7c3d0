// libFuzzer target: HTTP/1.1 requests as bytes (sexp/host/http1.h).
//
// The input: byte 0 chooses the piece size the rest is fed in (1-256
// bytes), byte 1 the reader's limits (small ones, so that every limit is
// reached); the rest is what a client sent. It is read twice, in pieces and
// all at once. Invariants:
//   - nothing crashes or reads outside the bytes;
//   - after an error, Feed returns the same error and appends nothing;
//   - every request appended has a method and a target, field names that
//     are tokens (RFC 9110 §5.1), at most max_headers fields and at most
//     max_body_bytes of body;
//   - the pieces and the whole give the same requests (methods, targets,
//     versions, fields, bodies, keep-alive) and the same error status (but
//     for a head both over a limit and malformed: see below);
//   - each request answered with its own fields (those the writer does not
//     own) and its body — by WriteResponse, and by the chunked writer — is
//     read back by http-parser as one 200 response with those fields and
//     that body (none after a HEAD, whose Content-Length is still the body's).
#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_check.h"
#include "sexp/host/http1.h"

namespace {

using sexp::host::EqualsIgnoreCase;
using sexp::host::Http1Error;
using sexp::host::Http1Limits;
using sexp::host::Http1Reader;
using sexp::host::HttpHeader;
using sexp::host::HttpRequest;
using sexp::host::HttpResponse;

struct Run {
  std::vector<HttpRequest> requests;
  std::optional<Http1Error> error;
};

// Feeds `bytes` in pieces of `piece`, then checks that the error (if any)
// sticks and that nothing more is appended after it.
Run Read(std::string_view bytes, size_t piece, const Http1Limits& limits) {
  Run run;
  Http1Reader reader(limits);
  for (size_t at = 0; at < bytes.size() && !run.error; at += piece) {
    size_t before = run.requests.size();
    run.error = reader.Feed(bytes.substr(at, piece), &run.requests);
    FUZZ_CHECK(run.requests.size() >= before);
  }
  if (run.error) {
    size_t before = run.requests.size();
    std::optional<Http1Error> again = reader.Feed("GET / HTTP/1.1\r\n\r\n", &run.requests);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->status == run.error->status && again->message == run.error->message);
    FUZZ_CHECK(run.requests.size() == before);
    FUZZ_CHECK(run.error->status == 400 || run.error->status == 413 ||
               run.error->status == 431 || run.error->status == 501 ||
               run.error->status == 505);
    FUZZ_CHECK(!run.error->message.empty());
  }
  return run;
}

bool IsTchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTchar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A response read back by http-parser.
struct Parsed {
  int messages = 0;
  unsigned status = 0;
  uint64_t content_length = 0;
  bool head = false;  // the request was HEAD: no body follows the head
  std::vector<HttpHeader> headers;
  bool in_value = false;
  std::string body;
};

Parsed* Of(http_parser* p) { return static_cast<Parsed*>(p->data); }

int OnField(http_parser* p, const char* at, size_t n) {
  Parsed* r = Of(p);
  if (r->in_value || r->headers.empty()) r->headers.emplace_back();
  r->in_value = false;
  r->headers.back().name.append(at, n);
  return 0;
}
int OnValue(http_parser* p, const char* at, size_t n) {
  Parsed* r = Of(p);
  r->in_value = true;
  r->headers.back().value.append(at, n);
  return 0;
}
int OnHeadersDone(http_parser* p) {
  Parsed* r = Of(p);
  r->status = p->status_code;
  r->content_length = p->content_length;
  return r->head ? 1 : 0;  // 1: no body (the answer to a HEAD)
}
int OnBody(http_parser* p, const char* at, size_t n) {
  Of(p)->body.append(at, n);
  return 0;
}
int OnDone(http_parser* p) {
  ++Of(p)->messages;
  return 0;
}

Parsed ParseResponse(std::string_view bytes, bool head) {
  Parsed r;
  r.head = head;
  http_parser parser;
  http_parser_init(&parser, HTTP_RESPONSE);
  parser.data = &r;
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_header_field = OnField;
  s.on_header_value = OnValue;
  s.on_headers_complete = OnHeadersDone;
  s.on_body = OnBody;
  s.on_message_complete = OnDone;
  size_t used = http_parser_execute(&parser, &s, bytes.data(), bytes.size());
  FUZZ_CHECK(HTTP_PARSER_ERRNO(&parser) == HPE_OK);
  FUZZ_CHECK(used == bytes.size());
  return r;
}

// The fields a response to `r` echoes: all but those the writer owns, and
// those whose name only begins with Transfer-Encoding ("Transfer-Encodingx"):
// http-parser 2.9.4 takes them for Transfer-Encoding as soon as the name
// matches that far, and refuses a Content-Length beside them.
std::vector<HttpHeader> Echoed(const HttpRequest& r) {
  constexpr std::string_view kTe = "Transfer-Encoding";
  std::vector<HttpHeader> out;
  for (const HttpHeader& h : r.headers) {
    if (EqualsIgnoreCase(h.name, "Content-Length") ||
        EqualsIgnoreCase(std::string_view(h.name).substr(0, kTe.size()), kTe) ||
        EqualsIgnoreCase(h.name, "Connection") || EqualsIgnoreCase(h.name, "Date")) {
      continue;
    }
    out.push_back(h);
  }
  return out;
}

// `got` holds Date, then `echoed` in order (values up to surrounding
// whitespace, which a reader drops), then the writer's own fields.
void CheckFields(const std::vector<HttpHeader>& got, const std::vector<HttpHeader>& echoed,
                 bool keep_alive, std::string_view framing) {
  FUZZ_CHECK(got.size() >= 1 + echoed.size());
  FUZZ_CHECK(got[0].name == "Date");
  for (size_t i = 0; i < echoed.size(); ++i) {
    FUZZ_CHECK(got[1 + i].name == echoed[i].name);
    FUZZ_CHECK(TrimOws(got[1 + i].value) == TrimOws(echoed[i].value));
  }
  size_t at = 1 + echoed.size();
  if (!keep_alive) {
    FUZZ_CHECK(at < got.size() && got[at].name == "Connection" && got[at].value == "close");
    ++at;
  }
  FUZZ_CHECK(at + 1 == got.size() && got[at].name == framing);
}

void Answer(const HttpRequest& r) {
  bool head = r.method == "HEAD";
  HttpResponse response;
  response.status = 200;
  response.headers = Echoed(r);
  response.body = r.body;

  std::string out;
  sexp::host::WriteResponse(response, head, r.keep_alive, &out);
  Parsed back = ParseResponse(out, head);
  FUZZ_CHECK(back.messages == 1);
  FUZZ_CHECK(back.status == 200);
  FUZZ_CHECK(back.content_length == r.body.size());
  FUZZ_CHECK(back.body == (head ? std::string() : r.body));
  CheckFields(back.headers, response.headers, r.keep_alive, "Content-Length");
  FUZZ_CHECK(back.headers.back().value == std::to_string(r.body.size()));

  if (head) return;
  std::string chunked;
  sexp::host::WriteChunkedHead(200, response.headers, r.keep_alive, &chunked);
  // The body in pieces of 1, 2, 3, … bytes.
  std::string_view rest = r.body;
  for (size_t n = 1; !rest.empty(); ++n) {
    size_t take = n < rest.size() ? n : rest.size();
    sexp::host::AppendChunk(rest.substr(0, take), &chunked);
    rest.remove_prefix(take);
  }
  sexp::host::AppendChunk("", &chunked);
  sexp::host::AppendLastChunk(&chunked);
  Parsed back_chunked = ParseResponse(chunked, false);
  FUZZ_CHECK(back_chunked.messages == 1);
  FUZZ_CHECK(back_chunked.status == 200);
  FUZZ_CHECK(back_chunked.body == r.body);
  CheckFields(back_chunked.headers, response.headers, r.keep_alive, "Transfer-Encoding");
}

bool SameFields(const HttpRequest& a, const HttpRequest& b) {
  if (a.headers.size() != b.headers.size()) return false;
  for (size_t i = 0; i < a.headers.size(); ++i) {
    if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t piece = 1 + size_t{data[0]};
  Http1Limits limits;
  limits.max_headers = 4 + size_t{data[1] & 7u} * 4;                    // 4 … 32
  limits.max_header_bytes = size_t{64} << ((data[1] >> 3) & 3u);        // 64 … 512
  limits.max_body_bytes = size_t{8} << ((data[1] >> 5) & 7u);           // 8 … 1024
  std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);

  Run pieces = Read(bytes, piece, limits);
  Run whole = Read(bytes, bytes.size() + 1, limits);

  FUZZ_CHECK(pieces.error.has_value() == whole.error.has_value());
  if (pieces.error && whole.error && pieces.error->status != whole.error->status) {
    // One case may differ: a head over a limit that also holds a byte the
    // parser refuses further on. A callback parser hands a field to the
    // reader when the field ends or the piece does, and stops at a bad byte
    // without handing over what it had: read whole, the bad byte is met
    // first (400); in pieces, the limit may be (431). Without the limits,
    // both reads meet the same bad byte.
    int a = pieces.error->status;
    int b = whole.error->status;
    FUZZ_CHECK(a == 413 || a == 431 || b == 413 || b == 431);
    Http1Limits none{SIZE_MAX, SIZE_MAX, SIZE_MAX};
    Run pieces_unlimited = Read(bytes, piece, none);
    Run whole_unlimited = Read(bytes, bytes.size() + 1, none);
    FUZZ_CHECK(pieces_unlimited.error && whole_unlimited.error);
    FUZZ_CHECK(pieces_unlimited.error->status == whole_unlimited.error->status);
  }
  FUZZ_CHECK(pieces.requests.size() == whole.requests.size());
  for (size_t i = 0; i < whole.requests.size(); ++i) {
    const HttpRequest& a = pieces.requests[i];
    const HttpRequest& b = whole.requests[i];
    FUZZ_CHECK(a.method == b.method && a.target == b.target);
    FUZZ_CHECK(a.version_minor == b.version_minor && a.keep_alive == b.keep_alive);
    FUZZ_CHECK(SameFields(a, b));
    FUZZ_CHECK(a.body == b.body);

    FUZZ_CHECK(!b.method.empty() && !b.target.empty());
    FUZZ_CHECK(b.version_minor <= 9);
    FUZZ_CHECK(b.body.size() <= limits.max_body_bytes);
    FUZZ_CHECK(b.headers.size() <= limits.max_headers);
    for (const HttpHeader& h : b.headers) FUZZ_CHECK(IsToken(h.name));
    Answer(b);
  }
  return 0;
}
