// HTTP/3 over ngtcp2 through nghttp3 (see h3_session.h).
#include "net/h3_session.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/strutil.h"

namespace sexp::net_internal {

namespace {

std::string_view View(nghttp3_rcbuf* b) {
  nghttp3_vec v = nghttp3_rcbuf_get_buf(b);
  return std::string_view(reinterpret_cast<const char*>(v.base), v.len);
}

nghttp3_nv Nv(std::string_view name, std::string_view value) {
  return nghttp3_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP3_NV_FLAG_NONE};
}

// Connection-specific fields HTTP/3 forbids (RFC 9114 §4.2).
bool HopByHop(std::string_view lower) {
  return lower == "connection" || lower == "keep-alive" || lower == "proxy-connection" ||
         lower == "transfer-encoding" || lower == "upgrade" || lower == "te";
}

// The caller's fields as HTTP/3 field lines, after the pseudo-fields already
// in `nva`: names lower-cased (held in `names`, which must stay alive
// through the submit), connection-specific fields, pseudo-fields and
// content-length dropped — the sender writes the body's length itself.
void AppendFields(const std::vector<quic::H3Field>& fields, std::vector<std::string>* names,
                  std::vector<nghttp3_nv>* nva) {
  names->reserve(fields.size());  // no reallocation: nva points into it
  for (const quic::H3Field& f : fields) {
    names->push_back(absl::AsciiStrToLower(f.name));
    const std::string& name = names->back();
    if (HopByHop(name) || name == "content-length" || name.empty() || name[0] == ':') continue;
    nva->push_back(Nv(name, f.value));
  }
}

// nghttp3's data reader for a body held whole until its stream closes: all
// of it at the first call, with the end.
nghttp3_ssize GiveWhole(std::string* body, bool* given, nghttp3_vec* vec, uint32_t* flags) {
  *flags |= NGHTTP3_DATA_FLAG_EOF;
  if (body == nullptr || *given) return 0;
  *given = true;
  vec[0].base = reinterpret_cast<uint8_t*>(body->data());
  vec[0].len = body->size();
  return 1;
}

}  // namespace

uint64_t H3ErrorCode(int liberr) { return nghttp3_err_infer_quic_app_error_code(liberr); }

// ------------------------------------------------------------ H3Session --

H3Session::~H3Session() {
  if (h3_ != nullptr) nghttp3_conn_del(h3_);
}

void H3Session::FillCommonCallbacks(nghttp3_callbacks* cb) {
  cb->deferred_consume = [](nghttp3_conn*, int64_t id, size_t consumed, void* user, void*) {
    static_cast<H3Session*>(user)->Consumed(id, consumed);
    return 0;
  };
  cb->stop_sending = [](nghttp3_conn*, int64_t id, uint64_t code, void* user, void*) {
    ngtcp2_conn_shutdown_stream_read(static_cast<H3Session*>(user)->quic_, id, code);
    return 0;
  };
  cb->reset_stream = [](nghttp3_conn*, int64_t id, uint64_t code, void* user, void*) {
    ngtcp2_conn_shutdown_stream_write(static_cast<H3Session*>(user)->quic_, id, code);
    return 0;
  };
}

int H3Session::Open() {
  if (opened_) return 0;
  if (ngtcp2_conn_get_streams_uni_left(quic_) < 3) return NGHTTP3_ERR_H3_STREAM_CREATION_ERROR;
  int64_t control, qenc, qdec;
  int rv = ngtcp2_conn_open_uni_stream(quic_, &control, nullptr);
  if (rv == 0) rv = nghttp3_conn_bind_control_stream(h3_, control);
  if (rv == 0) rv = ngtcp2_conn_open_uni_stream(quic_, &qenc, nullptr);
  if (rv == 0) rv = ngtcp2_conn_open_uni_stream(quic_, &qdec, nullptr);
  if (rv == 0) rv = nghttp3_conn_bind_qpack_streams(h3_, qenc, qdec);
  if (rv != 0) return rv < 0 && rv > -500 ? NGHTTP3_ERR_H3_STREAM_CREATION_ERROR : rv;
  opened_ = true;
  return 0;
}

int H3Session::ReadStream(int64_t id, const uint8_t* data, size_t n, bool fin) {
  nghttp3_ssize consumed = nghttp3_conn_read_stream(h3_, id, data, n, fin ? 1 : 0);
  if (consumed < 0) return static_cast<int>(consumed);
  // What nghttp3 consumed (framing, fields); DATA payloads are the
  // callbacks' to give back.
  Consumed(id, static_cast<uint64_t>(consumed));
  return 0;
}

void H3Session::StreamClosed(int64_t id, uint64_t app_error_code) {
  // Not found: a stream nghttp3 never saw (or already forgot).
  nghttp3_conn_close_stream(h3_, id, app_error_code);
}

void H3Session::PeerStoppedStream(int64_t id) { nghttp3_conn_shutdown_stream_read(h3_, id); }

Outgoing H3Session::Next(ngtcp2_vec* vec, size_t max, int* error) {
  Outgoing out;
  // nghttp3 hands out stream data regardless of the connection's window;
  // with none left, offering it would only spin.
  if (h3_ == nullptr || ngtcp2_conn_get_max_data_left(quic_) == 0) return out;
  int fin = 0;
  static_assert(sizeof(nghttp3_vec) == sizeof(ngtcp2_vec));
  nghttp3_ssize n =
      nghttp3_conn_writev_stream(h3_, &out.stream, &fin, reinterpret_cast<nghttp3_vec*>(vec), max);
  if (n < 0) {
    *error = static_cast<int>(n);
    return Outgoing{};
  }
  if (out.stream < 0) return Outgoing{};
  out.count = static_cast<size_t>(n);
  out.fin = fin != 0;
  return out;
}

void H3Session::NotWritable(int64_t id, int liberr) {
  if (liberr == NGTCP2_ERR_STREAM_DATA_BLOCKED) {
    nghttp3_conn_block_stream(h3_, id);  // unblocked by the peer's credit
  } else {
    nghttp3_conn_shutdown_stream_write(h3_, id);
  }
}

void H3Session::Abort(int64_t id, uint64_t code) {
  nghttp3_conn_shutdown_stream_write(h3_, id);
  nghttp3_conn_shutdown_stream_read(h3_, id);
  ngtcp2_conn_shutdown_stream(quic_, id, code);
}

// ------------------------------------------------------ H3ServerSession --

H3ServerSession::H3ServerSession(ngtcp2_conn* quic, const quic::H3Limits& limits,
                                 uint64_t max_streams)
    : H3Session(quic), limits_(limits), max_streams_(max_streams) {}

H3ServerSession::~H3ServerSession() = default;

int H3ServerSession::Init() {
  nghttp3_callbacks cb{};
  FillCommonCallbacks(&cb);
  cb.begin_headers = [](nghttp3_conn*, int64_t id, void* user, void*) {
    auto* self = static_cast<H3ServerSession*>(user);
    auto& slot = self->streams_[id];
    if (slot == nullptr) {
      slot = std::make_unique<Stream>();
      slot->opened = Now();
    }
    return 0;
  };
  cb.recv_header = [](nghttp3_conn*, int64_t id, int32_t, nghttp3_rcbuf* name,
                      nghttp3_rcbuf* value, uint8_t, void* user, void*) {
    static_cast<H3ServerSession*>(user)->OnHeader(id, name, value);
    return 0;
  };
  cb.end_headers = [](nghttp3_conn*, int64_t id, int, void* user, void*) {
    auto* self = static_cast<H3ServerSession*>(user);
    Stream* s = self->Find(id);
    if (s != nullptr && s->refuse != 0) self->local_.push_back(id);
    return 0;
  };
  cb.recv_data = [](nghttp3_conn*, int64_t id, const uint8_t* data, size_t n, void* user,
                    void*) {
    static_cast<H3ServerSession*>(user)->OnBody(id, data, n);
    return 0;
  };
  cb.end_stream = [](nghttp3_conn*, int64_t id, void* user, void*) {
    static_cast<H3ServerSession*>(user)->OnEnd(id);
    return 0;
  };
  cb.stream_close = [](nghttp3_conn*, int64_t id, uint64_t, void* user, void*) {
    static_cast<H3ServerSession*>(user)->OnClose(id);
    return 0;
  };
  nghttp3_settings settings;
  nghttp3_settings_default(&settings);
  settings.max_field_section_size = limits_.max_field_bytes;
  settings.qpack_max_dtable_capacity = 4096;
  settings.qpack_blocked_streams = 100;
  int rv = nghttp3_conn_server_new(&h3_, &cb, &settings, nghttp3_mem_default(), this);
  if (rv != 0) return rv;
  nghttp3_conn_set_max_client_streams_bidi(h3_, max_streams_);
  return 0;
}

H3ServerSession::Stream* H3ServerSession::Find(int64_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

void H3ServerSession::OnHeader(int64_t id, nghttp3_rcbuf* name, nghttp3_rcbuf* value) {
  Stream* s = Find(id);
  if (s == nullptr || s->refuse != 0) return;
  std::string_view n = View(name), v = View(value);
  s->field_bytes += n.size() + v.size() + 32;  // RFC 9114 §4.2.2's size of a field
  if (++s->fields > limits_.max_fields || s->field_bytes > limits_.max_field_bytes) {
    s->refuse = 431;
    s->request.headers.clear();
    s->request.headers.shrink_to_fit();
    return;
  }
  quic::H3Request& r = s->request;
  if (!n.empty() && n[0] == ':') {  // nghttp3 has checked the pseudo-fields
    if (n == ":method") {
      r.method = std::string(v);
      s->head = v == "HEAD";
    } else if (n == ":scheme") {
      r.scheme = std::string(v);
    } else if (n == ":authority") {
      r.authority = std::string(v);
    } else if (n == ":path") {
      r.path = std::string(v);
    }
    return;
  }
  r.headers.push_back({std::string(n), std::string(v)});
}

void H3ServerSession::OnBody(int64_t id, const uint8_t* data, size_t n) {
  Stream* s = Find(id);
  if (s != nullptr && s->refuse == 0 && s->request.body.size() + n > limits_.max_body_bytes) {
    s->refuse = 413;
    local_.push_back(id);
    std::string().swap(s->request.body);
    held_ -= s->held;
    ngtcp2_conn_extend_max_offset(quic_, s->held);
    s->held = 0;
  }
  if (s == nullptr || s->refuse != 0) {  // dropped: the bytes go back at once
    Consumed(id, n);
    return;
  }
  s->request.body.append(reinterpret_cast<const char*>(data), n);
  s->held += n;
  held_ += n;
  // The stream's window moves on (the body cap bounds a stream); the
  // connection's waits until the request is handed on, so a connection
  // never holds more unread body bytes than its window.
  ngtcp2_conn_extend_max_stream_offset(quic_, id, n);
}

void H3ServerSession::OnEnd(int64_t id) {
  Stream* s = Find(id);
  if (s == nullptr || s->refuse != 0 || s->ended) return;
  s->ended = true;
  ready_.push_back(id);
}

void H3ServerSession::OnClose(int64_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  Stream& s = *it->second;
  freed_ += s.answer_bytes;
  if (s.held != 0) {
    held_ -= s.held;
    ngtcp2_conn_extend_max_offset(quic_, s.held);
  }
  streams_.erase(it);
}

std::vector<int64_t> H3ServerSession::Expired(uint64_t now, uint64_t deadline,
                                              uint64_t* next) const {
  std::vector<int64_t> out;
  *next = UINT64_MAX;
  for (const auto& [id, s] : streams_) {
    if (now >= s->opened + deadline) {
      out.push_back(id);
    } else {
      *next = std::min(*next, s->opened + deadline);
    }
  }
  return out;
}

uint64_t H3ServerSession::OutstandingAnswerBytes() const {
  uint64_t n = freed_;
  for (const auto& [id, s] : streams_) n += s->answer_bytes;
  return n;
}

std::optional<H3ServerSession::Ready> H3ServerSession::NextRequest() {
  while (!local_.empty()) {  // over a limit: answered here, the rest unread
    const int64_t id = local_.front();
    local_.pop_front();
    Stream* s = Find(id);
    if (s == nullptr || s->answered) continue;
    const int status = s->refuse;
    quic::H3Response r;
    r.status = status;
    r.headers.push_back({"content-type", "text/plain; charset=utf-8"});
    r.body = status == 431 ? "request header fields too large\n" : "request body too large\n";
    Respond(id, std::move(r), 0);  // a few bytes per stream: not charged
    if (!s->ended) {  // RFC 9114 §4.1.2: stop the upload, without an error
      nghttp3_conn_shutdown_stream_read(h3_, id);
      ngtcp2_conn_shutdown_stream_read(quic_, id, NGHTTP3_H3_NO_ERROR);
    }
  }
  while (!ready_.empty()) {
    const int64_t id = ready_.front();
    ready_.pop_front();
    Stream* s = Find(id);
    if (s == nullptr || s->refuse != 0) continue;
    Ready r{id, std::move(s->request)};
    s->request = quic::H3Request();
    if (s->held != 0) {  // handed on: the connection's window moves on
      held_ -= s->held;
      ngtcp2_conn_extend_max_offset(quic_, s->held);
      s->held = 0;
    }
    return r;
  }
  return std::nullopt;
}

uint64_t H3ServerSession::AnswerBytes(const quic::H3Response& response) {
  uint64_t n = response.body.size() + 64;
  for (const quic::H3Field& f : response.headers) n += f.name.size() + f.value.size() + 32;
  return n;
}

bool H3ServerSession::Respond(int64_t id, quic::H3Response response, uint64_t charged) {
  Stream* s = Find(id);
  if (s == nullptr || s->answered) return false;
  const int status = response.status;
  const bool bodiless = s->head || status < 200 || status == 204 || status == 304;
  std::string status_text = absl::StrCat(status);
  std::string length = absl::StrCat(response.body.size());
  std::vector<std::string> names;
  std::vector<nghttp3_nv> nva = {Nv(":status", status_text)};
  AppendFields(response.headers, &names, &nva);
  if (status >= 200 && status != 204 && status != 304) {
    nva.push_back(Nv("content-length", length));
  }
  s->body_out = bodiless ? std::string() : std::move(response.body);
  nghttp3_data_reader reader{ReadBody};
  int rv = nghttp3_conn_submit_response(h3_, id, nva.data(), nva.size(),
                                        s->body_out.empty() ? nullptr : &reader);
  if (rv != 0) {
    std::string().swap(s->body_out);
    return false;
  }
  s->answered = true;
  s->answer_bytes = charged;
  return true;
}

nghttp3_ssize H3ServerSession::ReadBody(nghttp3_conn*, int64_t id, nghttp3_vec* vec, size_t,
                                        uint32_t* flags, void* user, void*) {
  Stream* s = static_cast<H3ServerSession*>(user)->Find(id);
  return s == nullptr ? GiveWhole(nullptr, nullptr, vec, flags)
                      : GiveWhole(&s->body_out, &s->body_given, vec, flags);
}

// ------------------------------------------------------ H3ClientSession --

int H3ClientSession::Init() {
  nghttp3_callbacks cb{};
  FillCommonCallbacks(&cb);
  cb.recv_header = [](nghttp3_conn*, int64_t id, int32_t, nghttp3_rcbuf* name,
                      nghttp3_rcbuf* value, uint8_t, void* user, void*) {
    auto* self = static_cast<H3ClientSession*>(user);
    auto it = self->streams_.find(id);
    if (it == self->streams_.end()) return 0;
    std::string_view n = View(name), v = View(value);
    if (n == ":status") {
      int status = 0;
      if (absl::SimpleAtoi(::sexp::internal::AV(v), &status)) it->second->response.status = status;
    } else {
      it->second->response.headers.push_back({std::string(n), std::string(v)});
    }
    return 0;
  };
  cb.begin_headers = [](nghttp3_conn*, int64_t id, void* user, void*) {
    // A second field section after a 1xx answer: the final one replaces it.
    auto* self = static_cast<H3ClientSession*>(user);
    auto it = self->streams_.find(id);
    if (it != self->streams_.end()) it->second->response.headers.clear();
    return 0;
  };
  cb.recv_data = [](nghttp3_conn*, int64_t id, const uint8_t* data, size_t n, void* user,
                    void*) {
    auto* self = static_cast<H3ClientSession*>(user);
    self->Consumed(id, n);
    auto it = self->streams_.find(id);
    if (it == self->streams_.end()) return 0;
    Stream& s = *it->second;
    if (s.reported) return 0;
    if (s.too_big || s.response.body.size() + n > self->max_body_) {
      s.too_big = true;
      std::string().swap(s.response.body);
      return 0;
    }
    s.response.body.append(reinterpret_cast<const char*>(data), n);
    return 0;
  };
  cb.end_stream = [](nghttp3_conn*, int64_t id, void* user, void*) {
    auto* self = static_cast<H3ClientSession*>(user);
    auto it = self->streams_.find(id);
    if (it == self->streams_.end()) return 0;
    Result r;
    r.done = true;
    if (it->second->too_big) {
      r.error = NGHTTP3_H3_EXCESSIVE_LOAD;
    } else {
      r.response = std::move(it->second->response);
    }
    self->done_.emplace_back(id, std::move(r));
    it->second->response = quic::H3Response();
    it->second->reported = true;
    return 0;
  };
  cb.stream_close = [](nghttp3_conn*, int64_t id, uint64_t code, void* user, void*) {
    auto* self = static_cast<H3ClientSession*>(user);
    auto it = self->streams_.find(id);
    if (it == self->streams_.end()) return 0;
    if (!it->second->reported) {  // closed before its end: reset
      Result r;
      r.done = true;
      r.error = code == 0 ? NGHTTP3_H3_REQUEST_INCOMPLETE : code;
      self->done_.emplace_back(id, std::move(r));
    }
    self->streams_.erase(it);
    return 0;
  };
  nghttp3_settings settings;
  nghttp3_settings_default(&settings);
  settings.qpack_max_dtable_capacity = 4096;
  settings.qpack_blocked_streams = 100;
  return nghttp3_conn_client_new(&h3_, &cb, &settings, nghttp3_mem_default(), this);
}

int H3ClientSession::Submit(const quic::H3Request& request, int64_t* id) {
  int rv = ngtcp2_conn_open_bidi_stream(quic_, id, nullptr);
  if (rv != 0) return rv;
  auto stream = std::make_unique<Stream>();
  Stream& s = *stream;
  streams_[*id] = std::move(stream);
  std::vector<std::string> names;
  std::string length = absl::StrCat(request.body.size());
  std::vector<nghttp3_nv> nva = {Nv(":method", request.method), Nv(":scheme", request.scheme),
                                 Nv(":authority", request.authority), Nv(":path", request.path)};
  AppendFields(request.headers, &names, &nva);
  if (!request.body.empty()) nva.push_back(Nv("content-length", length));
  s.body_out = request.body;
  nghttp3_data_reader reader{ReadBody};
  return nghttp3_conn_submit_request(h3_, *id, nva.data(), nva.size(),
                                     s.body_out.empty() ? nullptr : &reader, nullptr);
}

nghttp3_ssize H3ClientSession::ReadBody(nghttp3_conn*, int64_t id, nghttp3_vec* vec, size_t,
                                        uint32_t* flags, void* user, void*) {
  auto* self = static_cast<H3ClientSession*>(user);
  auto it = self->streams_.find(id);
  return it == self->streams_.end()
             ? GiveWhole(nullptr, nullptr, vec, flags)
             : GiveWhole(&it->second->body_out, &it->second->body_given, vec, flags);
}

std::vector<std::pair<int64_t, H3ClientSession::Result>> H3ClientSession::TakeDone() {
  std::vector<std::pair<int64_t, Result>> out;
  out.swap(done_);
  return out;
}

}  // namespace sexp::net_internal
