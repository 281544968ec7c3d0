// HTTP/1.1 requests from bytes over http-parser's callbacks; responses to
// bytes. Field names and values may arrive in pieces across reads, so each
// piece is appended to the field being built, and a name piece after a value
// piece starts a new field (as sig/http1.cc does for whole messages).
#include "sexp/host/http1.h"

#include <http_parser.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

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
  http_parser parser;
  http_parser_settings settings;
  HttpRequest current;
  bool in_value = false;
  bool in_message = false;
  size_t header_bytes = 0;
  std::vector<HttpRequest>* ready = nullptr;
  std::optional<Http1Error> error;  // sticky
  bool upgraded = false;            // bytes after an upgrade request are not HTTP/1.1

  // Ends the parse from inside a callback with `status`.
  int Refuse(int status, std::string message) {
    if (!error) error = Http1Error{status, std::move(message)};
    return 1;
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

Http1Reader::State* StateOf(http_parser* p) { return static_cast<Http1Reader::State*>(p->data); }

int OnMessageBegin(http_parser* p) {
  Http1Reader::State* s = StateOf(p);
  s->current = HttpRequest();
  s->in_value = false;
  s->in_message = true;
  s->header_bytes = 0;
  return 0;
}
int OnUrl(http_parser* p, const char* at, size_t n) {
  Http1Reader::State* s = StateOf(p);
  s->current.target.append(at, n);
  return s->CountHeaderBytes(n);
}
int OnHeaderField(http_parser* p, const char* at, size_t n) {
  Http1Reader::State* s = StateOf(p);
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
int OnHeaderValue(http_parser* p, const char* at, size_t n) {
  Http1Reader::State* s = StateOf(p);
  s->in_value = true;
  s->current.headers.back().value.append(at, n);
  return s->CountHeaderBytes(n);
}
// on_headers_complete's return value means something to http-parser (1: no
// body, 2: upgrade); any other non-zero one is an error.
constexpr int kHeadError = -1;

int OnHeadersComplete(http_parser* p) {
  Http1Reader::State* s = StateOf(p);
  if (p->http_major != 1) {
    s->Refuse(505, "only HTTP/1.0 and HTTP/1.1 are served");
    return kHeadError;
  }
  if (p->method == HTTP_CONNECT) {
    s->Refuse(501, "CONNECT is not served");
    return kHeadError;
  }
  s->current.method = http_method_str(static_cast<http_method>(p->method));
  s->current.version_minor = p->http_minor;
  // http-parser keeps ULLONG_MAX when there is no Content-Length.
  if (p->content_length != ULLONG_MAX && p->content_length > s->limits.max_body_bytes) {
    s->Refuse(413, absl::StrCat("a request body over ", s->limits.max_body_bytes, " bytes"));
    return kHeadError;
  }
  return 0;
}
int OnBody(http_parser* p, const char* at, size_t n) {
  Http1Reader::State* s = StateOf(p);
  if (s->current.body.size() + n > s->limits.max_body_bytes) {
    return s->Refuse(413, absl::StrCat("a request body over ", s->limits.max_body_bytes, " bytes"));
  }
  s->current.body.append(at, n);
  return 0;
}
int OnMessageComplete(http_parser* p) {
  Http1Reader::State* s = StateOf(p);
  s->current.keep_alive = http_should_keep_alive(p) != 0 && !p->upgrade;
  s->in_message = false;
  s->ready->push_back(std::move(s->current));
  s->current = HttpRequest();
  return 0;
}

// http-parser's errors as statuses: its own header cap is 431, the rest is
// a malformed request (smuggling shapes included: HPE_UNEXPECTED_CONTENT_LENGTH
// for Content-Length beside chunked, HPE_INVALID_TRANSFER_ENCODING).
int StatusOf(http_errno e) {
  switch (e) {
    case HPE_HEADER_OVERFLOW:
      return 431;
    case HPE_INVALID_METHOD:
      return 501;
    case HPE_INVALID_VERSION:
      return 505;
    default:
      return 400;
  }
}

}  // namespace

Http1Reader::Http1Reader(const Http1Limits& limits) : state_(std::make_unique<State>()) {
  state_->limits = limits;
  http_parser_init(&state_->parser, HTTP_REQUEST);
  state_->parser.data = state_.get();
  http_parser_settings& s = state_->settings;
  http_parser_settings_init(&s);
  s.on_message_begin = OnMessageBegin;
  s.on_url = OnUrl;
  s.on_header_field = OnHeaderField;
  s.on_header_value = OnHeaderValue;
  s.on_headers_complete = OnHeadersComplete;
  s.on_body = OnBody;
  s.on_message_complete = OnMessageComplete;
}

Http1Reader::~Http1Reader() = default;

bool Http1Reader::in_message() const { return state_->in_message; }

std::optional<Http1Error> Http1Reader::Feed(std::string_view bytes,
                                            std::vector<HttpRequest>* ready) {
  State& s = *state_;
  if (s.error || s.upgraded) return s.error;
  s.ready = ready;
  while (!bytes.empty()) {
    size_t used = http_parser_execute(&s.parser, &s.settings, bytes.data(), bytes.size());
    http_errno e = HTTP_PARSER_ERRNO(&s.parser);
    if (e != HPE_OK) {
      if (!s.error) {
        s.error = Http1Error{StatusOf(e), absl::StrCat("malformed request (",
                                                       AV(http_errno_description(e)), ")")};
      }
      break;
    }
    if (s.parser.upgrade) {
      // The connection answers the upgrade request as an ordinary one and
      // closes (keep_alive is false): what follows is another protocol.
      s.upgraded = true;
      break;
    }
    if (used == 0) break;
    bytes.remove_prefix(used);
  }
  s.ready = nullptr;
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
