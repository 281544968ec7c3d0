// HTTP/1.1 bytes ↔ HttpMessage over http-parser's callbacks: header names
// and values may arrive in pieces, so each piece is appended to the field
// being built, and a name piece after a value piece starts a new field.
#include "sexp/sig/http1.h"

#include <http_parser.h>

#include "sig/strings.h"

namespace sexp::sig {

using str::Append;
using str::Cat;

namespace {

struct ParseState {
  HttpMessage message;
  std::string url;
  bool in_value = false;
  bool complete = false;
  bool too_many = false;
  size_t max_headers = 0;
};

ParseState* StateOf(http_parser* p) { return static_cast<ParseState*>(p->data); }

int OnUrl(http_parser* p, const char* at, size_t n) {
  StateOf(p)->url.append(at, n);
  return 0;
}
int OnHeaderField(http_parser* p, const char* at, size_t n) {
  ParseState* s = StateOf(p);
  if (s->in_value || s->message.headers.empty()) {
    if (s->message.headers.size() >= s->max_headers) {
      s->too_many = true;
      return 1;
    }
    s->message.headers.emplace_back();
    s->in_value = false;
  }
  s->message.headers.back().first.append(at, n);
  return 0;
}
int OnHeaderValue(http_parser* p, const char* at, size_t n) {
  ParseState* s = StateOf(p);
  s->in_value = true;
  s->message.headers.back().second.append(at, n);
  return 0;
}
int OnBody(http_parser* p, const char* at, size_t n) {
  StateOf(p)->message.body.append(at, n);
  return 0;
}
int OnComplete(http_parser* p) {
  StateOf(p)->complete = true;
  http_parser_pause(p, 1);  // one message; what follows is not read
  return 0;
}

}  // namespace

SigResult<HttpMessage> ParseHttp1(std::string_view raw, std::string_view scheme,
                                  const Http1Limits& limits) {
  if (raw.size() > limits.max_bytes)
    return Fail(SigCode::kMalformed, Cat("an HTTP message over ", limits.max_bytes, " bytes"));
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_url = OnUrl;
  settings.on_header_field = OnHeaderField;
  settings.on_header_value = OnHeaderValue;
  settings.on_body = OnBody;
  settings.on_message_complete = OnComplete;
  http_parser parser;
  http_parser_init(&parser, HTTP_BOTH);
  ParseState state;
  state.max_headers = limits.max_headers;
  parser.data = &state;
  size_t used = http_parser_execute(&parser, &settings, raw.data(), raw.size());
  if (!state.complete && HTTP_PARSER_ERRNO(&parser) == HPE_OK)
    http_parser_execute(&parser, &settings, nullptr, 0);  // end of input ends the body
  if (state.too_many)
    return Fail(SigCode::kMalformed, Cat("more than ", limits.max_headers, " header lines"));
  http_errno err = HTTP_PARSER_ERRNO(&parser);
  if (!state.complete || (err != HPE_OK && err != HPE_PAUSED))
    return Fail(SigCode::kMalformed,
                Cat("not an HTTP/1.1 message (byte ", used, "): ",
                    err == HPE_OK ? "it ends early" : http_errno_description(err)));
  HttpMessage& m = state.message;
  if (parser.type == HTTP_REQUEST) {
    m.method = http_method_str(static_cast<http_method>(parser.method));
    if (state.url.find("://") != std::string::npos) {
      m.target_uri = state.url;
    } else {
      std::optional<std::string> host = m.Field("host");
      if (!host) return Fail(SigCode::kMalformed, "a request without Host");
      m.target_uri = Cat(scheme, "://", *host, state.url);
    }
  } else {
    m.status = static_cast<int>(parser.status_code);
  }
  return std::move(m);
}

std::string WriteHttp1(const HttpMessage& m) {
  std::string out;
  if (m.is_request()) {
    size_t start = m.target_uri.find("://");
    size_t path = start == std::string::npos ? 0 : m.target_uri.find('/', start + 3);
    std::string target = path == std::string::npos ? "/" : m.target_uri.substr(path);
    size_t hash = target.find('#');
    if (hash != std::string::npos) target.resize(hash);
    Append(&out, m.method, " ", target, " HTTP/1.1\r\n");
  } else {
    Append(&out, "HTTP/1.1 ", m.status, " ",
           http_status_str(static_cast<http_status>(m.status)), "\r\n");
  }
  for (const auto& [name, value] : m.headers) Append(&out, name, ": ", value, "\r\n");
  out += "\r\n";
  out += m.body;
  return out;
}

}  // namespace sexp::sig
