// HTTP/1.1 requests from bytes over llhttp's callbacks; responses to bytes.
// Field names and values may arrive in pieces across reads, so each piece is
// appended to the field being built, and a name piece after a value piece
// starts a new field.
//
// Why llhttp (Debian's node-llhttp, the parser of Node.js) and not Debian's
// http-parser, which sexp::sig uses for whole messages: Debian builds
// http-parser without its strict mode, and then it takes "5\r\nhelloXX0"
// as a chunk, a bare CR as a line end and a space inside a field name — the
// leniencies request smuggling is made of. llhttp is strict unless asked
// not to be, and is maintained.
#include "sexp/host/http1.h"

#include <llhttp.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/strutil.h"

namespace sexp::host {

using internal::AV;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string HttpRequest::Header(std::string_view name) const {
  std::string joined;
  bool first = true;
  for (const HttpHeader& h : headers) {
    if (!EqualsIgnoreCase(h.name, name)) continue;
    if (!first) joined += ", ";
    joined += h.value;
    first = false;
  }
  return joined;
}

bool HttpRequest::HasHeader(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return true;
  }
  return false;
}

struct Http1Reader::State {
  Http1Limits limits;
  llhttp_t parser;
  llhttp_settings_t settings;
  HttpRequest current;
  bool in_value = false;
  bool in_message = false;
  bool head_done = false;  // fields after the head are a chunked body's trailer
  // The bytes of the head so far, line ends and whitespace included (what
  // header_bytes does not see): measured from where its target began when
  // that was in the current Feed, else by whole Feeds.
  size_t raw_head_bytes = 0;
  bool began_this_feed = false;
  const char* head_at = nullptr;  // the target's first byte, in this Feed
  size_t header_bytes = 0;
  std::optional<Http1Error> error;  // sticky

  // Line ends llhttp 8.1 lets through (see LineEndCheck below). Per Feed:
  // the requests completed, each with where it ended (llhttp pauses after
  // each one, and says where), so that those not whole before the first
  // bad byte can be held back; the body bytes, which are data; where each chunk's
  // data ended (a CRLF must follow).
  std::vector<std::pair<HttpRequest, const char*>> completed;  // (request, its end)
  std::vector<std::pair<const char*, const char*>> bodies;
  std::vector<const char*> chunk_ends;
  uint64_t chunk_left = 0;
  // Carried from the Feed before: its last framing byte was a CR (the next
  // must be LF), and how much of a chunk's CRLF is still to come.
  bool cr_pending = false;
  size_t crlf_owed = 0;

  // Bytes after an upgrade request are not HTTP/1.1, and bytes after a
  // request that closes the connection are not read.
  bool upgraded = false;

  // Ends the parse from inside a callback with `status`.
  int Refuse(int status, std::string message) {
    if (!error) error = Http1Error{status, std::move(message)};
    return -1;  // an error for every llhttp callback
  }
  int CountHeaderBytes(size_t n) {
    header_bytes += n;
    if (header_bytes > limits.max_header_bytes) {
      return Refuse(431, absl::StrCat("request header fields over ", limits.max_header_bytes,
                                      " bytes"));
    }
    return 0;
  }
};

namespace {

Http1Reader::State* StateOf(llhttp_t* p) { return static_cast<Http1Reader::State*>(p->data); }

int OnMessageBegin(llhttp_t* p) {
  Http1Reader::State* s = StateOf(p);
  s->current = HttpRequest();
  s->in_value = false;
  s->in_message = true;
  s->head_done = false;
  s->header_bytes = 0;
  s->raw_head_bytes = 0;
  s->began_this_feed = true;
  s->head_at = nullptr;
  return 0;
}
int OnUrl(llhttp_t* p, const char* at, size_t n) {
  Http1Reader::State* s = StateOf(p);
  if (s->began_this_feed && s->head_at == nullptr) s->head_at = at;
  s->current.target.append(at, n);
  return s->CountHeaderBytes(n);
}
int OnHeaderField(llhttp_t* p, const char* at, size_t n) {
  Http1Reader::State* s = StateOf(p);
  // A trailer (fields after a chunked body) is dropped (RFC 9112 §7.1.2
  // allows it): nothing reads it, so nothing can be smuggled in it. Its
  // bytes still count.
  if (s->head_done) return s->CountHeaderBytes(n);
  std::vector<HttpHeader>& headers = s->current.headers;
  if (s->in_value || headers.empty()) {
    if (headers.size() >= s->limits.max_headers) {
      return s->Refuse(431, absl::StrCat("more than ", s->limits.max_headers,
                                         " request header fields"));
    }
    headers.emplace_back();
    s->in_value = false;
  }
  headers.back().name.append(at, n);
  return s->CountHeaderBytes(n);
}
int OnHeaderValue(llhttp_t* p, const char* at, size_t n) {
  Http1Reader::State* s = StateOf(p);
  if (s->head_done) return s->CountHeaderBytes(n);
  s->in_value = true;
  s->current.headers.back().value.append(at, n);
  return s->CountHeaderBytes(n);
}
// on_headers_complete's return value means something to llhttp (1: no
// body, 2: upgrade); -1 is an error.
constexpr int kHeadError = -1;

// RFC 9110 §5.6.2 tchar. llhttp checks field names too; these checks stay
// as the contract of Http1Reader whatever parser is under it: a field name
// with a space or a control byte ("Ae t: x") is a request that another
// parser on the path may read differently.
bool IsTchar(unsigned char c) {
  return absl::ascii_isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                                       std::string_view::npos;
}
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTchar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}
// Field values: visible bytes, spaces and tabs, and obs-text (0x80-0xFF).
bool IsFieldValue(std::string_view s) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}
// The request target: no whitespace and no control bytes.
bool IsTarget(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

int OnHeadersComplete(llhttp_t* p) {
  Http1Reader::State* s = StateOf(p);
  s->head_done = true;
  if (p->http_major != 1) {
    s->Refuse(505, "only HTTP/1.0 and HTTP/1.1 are served");
    return kHeadError;
  }
  if (p->method == HTTP_CONNECT) {
    s->Refuse(501, "CONNECT is not served");
    return kHeadError;
  }
  if (!IsTarget(s->current.target)) {
    s->Refuse(400, "malformed request (the target holds whitespace or control bytes)");
    return kHeadError;
  }
  for (const HttpHeader& h : s->current.headers) {
    if (!IsToken(h.name)) {
      s->Refuse(400, "malformed request (a header field name that is not a token)");
      return kHeadError;
    }
    if (!IsFieldValue(h.value)) {
      s->Refuse(400, "malformed request (control bytes in a header field value)");
      return kHeadError;
    }
  }
  s->current.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
  s->current.version_minor = p->http_minor;
  if ((p->flags & F_CONTENT_LENGTH) != 0 && p->content_length > s->limits.max_body_bytes) {
    s->Refuse(413, absl::StrCat("a request body over ", s->limits.max_body_bytes, " bytes"));
    return kHeadError;
  }
  return 0;
}
int OnBody(llhttp_t* p, const char* at, size_t n) {
  Http1Reader::State* s = StateOf(p);
  s->bodies.emplace_back(at, at + n);  // data, even when refused: not line ends
  if (s->current.body.size() + n > s->limits.max_body_bytes) {
    return s->Refuse(413, absl::StrCat("a request body over ", s->limits.max_body_bytes, " bytes"));
  }
  s->current.body.append(at, n);
  if ((p->flags & F_CHUNKED) != 0) {
    s->chunk_left -= std::min<uint64_t>(s->chunk_left, n);
    if (s->chunk_left == 0) s->chunk_ends.push_back(at + n);
  }
  return 0;
}
int OnChunkHeader(llhttp_t* p) {
  StateOf(p)->chunk_left = p->content_length;
  return 0;
}
int OnMessageComplete(llhttp_t* p) {
  Http1Reader::State* s = StateOf(p);
  s->current.keep_alive = llhttp_should_keep_alive(p) != 0 && !p->upgrade;
  s->in_message = false;
  s->completed.emplace_back(std::move(s->current), nullptr);
  s->current = HttpRequest();
  // Feed learns where the request ended, and goes on or (after one that
  // closes the connection) stops.
  return HPE_PAUSED;
}

// llhttp's errors as statuses: a method it does not know is 501, a
// version it does not speak 505, the rest (smuggling shapes included:
// HPE_UNEXPECTED_CONTENT_LENGTH for Content-Length beside chunked,
// HPE_INVALID_TRANSFER_ENCODING, HPE_INVALID_CONTENT_LENGTH for two
// lengths) a malformed request.
int StatusOf(llhttp_errno_t e, std::string_view reason) {
  switch (e) {
    case HPE_INVALID_METHOD:
      return 501;
    case HPE_INVALID_VERSION:
      // Also "Expected CRLF after version": only a version it does not
      // speak is 505.
      return reason == "Invalid HTTP version" ? 505 : 400;
    default:
      return 400;
  }
}

// llhttp 8.1 (Debian's) takes a bare CR for a line end ("GET / HTTP/1.1\r\n
// Host: x\r\n\rXGET /2 …" is two requests to it) and skips the two bytes
// after a chunk's data without looking at them ("5\r\nhelloXX0\r\n\r\n").
// A parser in front of this host that reads those bytes otherwise would see
// other requests than it does — request smuggling. RFC 9112 §2.2 lets a
// recipient refuse a bare CR, and §7.1 requires the CRLF: both are checked
// here over the bytes llhttp consumed, outside the bodies (which are data).
// The first offending byte, or nullptr.
const char* LineEndCheck(Http1Reader::State& s, const char* begin, const char* end) {
  const char* p = begin;
  // A chunk's CRLF begun in the Feed before.
  for (; s.crlf_owed > 0 && p < end; --s.crlf_owed, ++p) {
    if (*p != "\r\n"[2 - s.crlf_owed]) return p;
    s.cr_pending = *p == '\r';  // the scan below saw the CR, not this LF
  }
  // The earliest offence of either kind is the one that counts.
  const char* first_bad = nullptr;
  for (const char* chunk_end : s.chunk_ends) {
    for (size_t i = 0; i < 2; ++i) {
      if (chunk_end + i >= end) {
        s.crlf_owed = 2 - i;
        break;
      }
      if (chunk_end[i] != "\r\n"[i]) {
        if (first_bad == nullptr || chunk_end + i < first_bad) first_bad = chunk_end + i;
        break;
      }
    }
  }
  if (first_bad != nullptr) end = first_bad;
  size_t body = 0;  // the next body range (in order)
  for (; p < end; ++p) {
    while (body < s.bodies.size() && s.bodies[body].second <= p) ++body;
    if (body < s.bodies.size() && s.bodies[body].first <= p) {
      p = s.bodies[body].second - 1;
      continue;
    }
    if (s.cr_pending) {
      s.cr_pending = false;
      if (*p != '\n') return p;
    }
    if (*p == '\r') s.cr_pending = true;
  }
  return first_bad;
}

}  // namespace

Http1Reader::Http1Reader(const Http1Limits& limits) : state_(std::make_unique<State>()) {
  state_->limits = limits;
  llhttp_settings_t& s = state_->settings;
  llhttp_settings_init(&s);
  s.on_message_begin = OnMessageBegin;
  s.on_url = OnUrl;
  s.on_header_field = OnHeaderField;
  s.on_header_value = OnHeaderValue;
  s.on_headers_complete = OnHeadersComplete;
  s.on_body = OnBody;
  s.on_message_complete = OnMessageComplete;
  s.on_chunk_header = OnChunkHeader;
  llhttp_init(&state_->parser, HTTP_REQUEST, &s);
  state_->parser.data = state_.get();
}

Http1Reader::~Http1Reader() = default;

bool Http1Reader::in_message() const { return state_->in_message; }

std::optional<Http1Error> Http1Reader::Feed(std::string_view bytes,
                                            std::vector<HttpRequest>* ready) {
  State& s = *state_;
  if (s.error || s.upgraded) return s.error;
  if (bytes.empty()) return std::nullopt;
  s.began_this_feed = false;
  s.head_at = nullptr;
  s.completed.clear();
  s.bodies.clear();
  s.chunk_ends.clear();
  const char* begin = bytes.data();
  const char* end = begin + bytes.size();
  const char* consumed = end;
  llhttp_errno_t e = HPE_OK;
  bool stop = false;  // after a request that closes the connection, or an upgrade
  for (const char* at = begin; at < end;) {
    e = llhttp_execute(&s.parser, at, static_cast<size_t>(end - at));
    if (e == HPE_OK) break;
    const char* pos = llhttp_get_error_pos(&s.parser);
    if (pos == nullptr || pos < at || pos > end) pos = end;
    if ((e != HPE_PAUSED && e != HPE_PAUSED_UPGRADE) || s.completed.empty() ||
        s.completed.back().second != nullptr) {
      consumed = pos;  // an error
      break;
    }
    s.completed.back().second = pos;  // paused by OnMessageComplete, right after it
    if (!s.completed.back().first.keep_alive) {
      consumed = pos;
      stop = true;
      break;
    }
    llhttp_resume(&s.parser);
    at = pos;
    e = HPE_OK;
  }
  // Requests not whole before the first bad line end are not handed out.
  size_t keep = s.completed.size();
  if (const char* bad = LineEndCheck(s, begin, consumed)) {
    s.error = Http1Error{400, "malformed request (a bare CR, or no CRLF after chunk data)"};
    keep = 0;
    while (keep < s.completed.size() && s.completed[keep].second <= bad) ++keep;
  }
  for (size_t i = 0; i < keep; ++i) ready->push_back(std::move(s.completed[i].first));
  s.completed.clear();
  if (s.error) return s.error;
  if (stop) {
    // The connection answers the request that closes it (an upgrade
    // request too: no protocol switch is offered) and closes: what follows
    // is nothing, or another protocol.
    s.upgraded = true;
    return std::nullopt;
  }
  if (e != HPE_OK) {
    const char* why = llhttp_get_error_reason(&s.parser);
    std::string_view reason = why != nullptr ? why : llhttp_errno_name(e);
    s.error = Http1Error{StatusOf(e, reason), absl::StrCat("malformed request (", AV(reason), ")")};
    return s.error;
  }
  if (s.in_message && !s.head_done) {
    if (!s.began_this_feed) {
      s.raw_head_bytes += bytes.size();
    } else if (s.head_at != nullptr) {
      s.raw_head_bytes = static_cast<size_t>(end - s.head_at);
    }
    // Room for the line ends and whitespace the callbacks do not count.
    if (s.raw_head_bytes > 2 * s.limits.max_header_bytes + 4096) {
      s.error = Http1Error{431, absl::StrCat("request header fields over ",
                                             s.limits.max_header_bytes, " bytes")};
    }
  }
  return s.error;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

namespace {

// The Date field value (RFC 9110 §5.6.7), formatted once a second per thread.
std::string_view HttpDate() {
  thread_local std::time_t last = 0;
  thread_local char text[40] = {0};
  std::time_t now = std::time(nullptr);
  if (now != last) {
    std::tm tm;
    gmtime_r(&now, &tm);
    std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    last = now;
  }
  return text;
}

void AppendHead(int status, const std::vector<HttpHeader>& headers, bool keep_alive,
                std::string* out) {
  absl::StrAppend(out, "HTTP/1.1 ", status, " ", AV(ReasonPhrase(status)), "\r\nDate: ",
                  AV(HttpDate()), "\r\n");
  for (const HttpHeader& h : headers) {
    absl::StrAppend(out, AV(h.name), ": ", AV(h.value), "\r\n");
  }
  if (!keep_alive) out->append("Connection: close\r\n");
}

}  // namespace

void WriteResponse(const HttpResponse& response, bool head, bool keep_alive, std::string* out) {
  AppendHead(response.status, response.headers, keep_alive, out);
  int s = response.status;
  bool bodyless = (s >= 100 && s < 200) || s == 204 || s == 304;
  if (!bodyless) absl::StrAppend(out, "Content-Length: ", response.body.size(), "\r\n");
  out->append("\r\n");
  if (!head && !bodyless) out->append(response.body);
}

void WriteChunkedHead(int status, const std::vector<HttpHeader>& headers, bool keep_alive,
                      std::string* out) {
  AppendHead(status, headers, keep_alive, out);
  out->append("Transfer-Encoding: chunked\r\n\r\n");
}

void AppendChunk(std::string_view data, std::string* out) {
  if (data.empty()) return;  // an empty chunk would end the body
  char size[20];
  int n = std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
  out->append(size, static_cast<size_t>(n));
  out->append(data);
  out->append("\r\n");
}

void AppendLastChunk(std::string* out) { out->append("0\r\n\r\n"); }

}  // namespace sexp::host
