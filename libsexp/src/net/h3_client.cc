// The HTTP/3 client (H3Fetch, sexp/net/quic.h): one connection with ALPN h3,
// the requests on concurrent streams, nghttp3 (net/h3_session.h) for the
// framing and QPACK. The endpoint is this file's own, like the sexpr/1
// client's (client.cc): a connected UDP socket and one connection.
#include <nghttp3/nghttp3.h>
#include <ngtcp2/ngtcp2.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/strutil.h"
#include "net/connection.h"
#include "net/endpoint.h"
#include "net/h3_session.h"
#include "sexp/net/quic.h"

namespace sexp::quic {

using net_internal::Address;
using net_internal::Conn;
using net_internal::H3ClientSession;
using net_internal::OutQueue;
using net_internal::Outgoing;
using net_internal::Self;

namespace {

class FetchCore;

class FetchConn final : public net_internal::H3Capable<Conn, H3ClientSession> {
 public:
  FetchConn(FetchCore* core, std::vector<H3Request> requests);
  absl::Status Init(const Address& remote, const std::string& sni, const std::string& verify);
  // Moves finished streams into the results; true when every request has one.
  bool Collect();
  std::vector<std::optional<absl::StatusOr<H3Response>>>& results() { return results_; }
  void FailRest(const absl::Status& why) {
    for (auto& r : results_) {
      if (!r) r = why;
    }
  }
  void Goodbye() {
    if (!dead()) CloseWithAppError(NGHTTP3_H3_NO_ERROR, "done");
  }

 private:
  // Submits what the server's stream limit allows.
  int SubmitQueued();

  OutQueue* QueueOf(int64_t) override { return nullptr; }
  void OnDeath() override;
  FetchCore* core_;
  std::vector<H3Request> requests_;
  size_t next_ = 0;  // requests_[next_] is the next to submit
  absl::flat_hash_map<int64_t, size_t> index_;  // stream → request
  std::vector<std::optional<absl::StatusOr<H3Response>>> results_;
};

class FetchCore final : public net_internal::Endpoint {
 public:
  explicit FetchCore(const ClientOptions& options) : options_(options) {}

  absl::StatusOr<std::vector<absl::StatusOr<H3Response>>> Run(std::string_view host,
                                                               uint16_t port,
                                                               std::vector<H3Request> requests,
                                                               uint64_t timeout_ms);
  const ClientOptions& options() const { return options_; }
  const tls::Credentials& cred() const { return cred_; }
  void HandshakeDone(absl::Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!handshake_) handshake_ = std::move(s);
    cv_.notify_all();
  }

 private:
  void OnPacket(const Address&, const uint8_t* data, size_t n) override {
    if (conn_ != nullptr) conn_->Read(remote_, data, n);
  }
  void Flush() override {
    if (conn_ == nullptr) return;
    if (conn_->dirty()) conn_->Write();
    Check();
  }
  uint64_t NextExpiry() override {
    return conn_ == nullptr || conn_->dead() ? UINT64_MAX : conn_->expiry();
  }
  void OnExpiry(uint64_t now) override {
    if (conn_ == nullptr || conn_->dead() || conn_->expiry() > now) return;
    conn_->HandleExpiry(now);
    conn_->Write();
    Check();
  }
  void OnStop() override {
    if (conn_ != nullptr) conn_->Goodbye();
  }
  void OnSocketError(int err) override {
    if (conn_ != nullptr && err == ECONNREFUSED) {
      conn_->Fail("connection refused (no server on that UDP port)");
      Check();
    }
  }
  // Wakes Run when every request is answered or the connection is gone.
  void Check() {
    bool all = conn_->Collect();
    if (conn_->dead()) {
      conn_->FailRest(absl::UnavailableError(absl::StrCat("connection lost: ", conn_->error())));
      all = true;
    }
    if (!all) return;
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    cv_.notify_all();
  }

  ClientOptions options_;
  tls::Credentials cred_;
  Address remote_;
  std::unique_ptr<FetchConn> conn_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<absl::Status> handshake_;  // guarded by mu_
  bool finished_ = false;                  // guarded by mu_
};

FetchConn::FetchConn(FetchCore* core, std::vector<H3Request> requests)
    : H3Capable(core, 1), core_(core), requests_(std::move(requests)), results_(requests_.size()) {}

absl::Status FetchConn::Init(const Address& remote, const std::string& sni,
                             const std::string& verify) {
  ngtcp2_callbacks cb{};
  cb.handshake_completed = [](ngtcp2_conn*, void* user) {
    auto* self = Self<FetchConn>(user);
    if (tls::SelectedAlpn(self->session_) != kAlpnH3) return NGTCP2_ERR_CALLBACK_FAILURE;
    if (int rv = self->H3Call(self->h3_->Open()); rv != 0) return rv;
    self->core_->HandshakeDone(absl::OkStatus());
    return self->SubmitQueued();
  };
  cb.recv_stream_data = [](ngtcp2_conn*, uint32_t flags, int64_t id, uint64_t,
                           const uint8_t* data, size_t n, void* user, void*) {
    auto* self = Self<FetchConn>(user);
    return self->H3Call(
        self->h3_->ReadStream(id, data, n, (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0));
  };
  cb.stream_close = [](ngtcp2_conn*, uint32_t flags, int64_t id, uint64_t code, void* user,
                       void*) {
    bool has_code = (flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET) != 0;
    Self<FetchConn>(user)->h3_->StreamClosed(id, has_code ? code : NGHTTP3_H3_NO_ERROR);
    return 0;
  };
  cb.stream_reset = [](ngtcp2_conn*, int64_t id, uint64_t, uint64_t, void* user, void*) {
    Self<FetchConn>(user)->h3_->PeerStoppedStream(id);
    return 0;
  };
  cb.stream_stop_sending = [](ngtcp2_conn*, int64_t id, uint64_t, void* user, void*) {
    Self<FetchConn>(user)->h3_->PeerStoppedStream(id);
    return 0;
  };
  cb.extend_max_local_streams_bidi = [](ngtcp2_conn*, uint64_t, void* user) {
    return Self<FetchConn>(user)->SubmitQueued();
  };
  cb.extend_max_remote_streams_bidi = nullptr;

  const ClientOptions& o = core_->options();
  ngtcp2_settings settings = net_internal::DefaultSettings();
  settings.handshake_timeout = o.connect_timeout_ms * NGTCP2_MILLISECONDS;
  ngtcp2_transport_params params;
  ngtcp2_transport_params_default(&params);
  params.initial_max_streams_bidi = 0;
  params.initial_max_streams_uni = 8;  // the server's control and QPACK streams
  params.initial_max_stream_data_bidi_local = 1 << 20;
  params.initial_max_stream_data_uni = 64 << 10;
  params.initial_max_data = 16 << 20;
  params.max_idle_timeout = o.idle_timeout_ms * NGTCP2_MILLISECONDS;
  absl::Status started =
      StartClient(remote, cb, settings, params, core_->cred(), kAlpnH3, sni, verify);
  if (!started.ok()) return started;
  h3_ = std::make_unique<H3ClientSession>(conn_, o.max_frame_size);
  if (int rv = h3_->Init(); rv != 0) return absl::InternalError(nghttp3_strerror(rv));
  return absl::OkStatus();
}

int FetchConn::SubmitQueued() {
  if (!h3_->opened()) return 0;
  while (next_ < requests_.size()) {
    int64_t id;
    int rv = h3_->Submit(requests_[next_], &id);
    if (rv == NGTCP2_ERR_STREAM_ID_BLOCKED) return 0;  // on the server's credit
    if (rv != 0) {
      results_[next_] = absl::InternalError(absl::StrCat("cannot send the request: ",
                                                         rv < -500 ? nghttp3_strerror(rv)
                                                                   : ngtcp2_strerror(rv)));
    } else {
      index_[id] = next_;
    }
    ++next_;
  }
  MarkDirty();
  return 0;
}

bool FetchConn::Collect() {
  for (auto& [id, r] : h3_->TakeDone()) {
    auto it = index_.find(id);
    if (it == index_.end()) continue;
    if (r.response) {
      results_[it->second] = std::move(*r.response);
    } else if (r.error == NGHTTP3_H3_EXCESSIVE_LOAD) {
      results_[it->second] = absl::ResourceExhaustedError(absl::StrCat(
          "response body over ", core_->options().max_frame_size, " bytes"));
    } else {
      results_[it->second] =
          absl::UnavailableError(absl::StrFormat("stream reset by the server (0x%x)", r.error));
    }
    index_.erase(it);
  }
  for (const auto& r : results_) {
    if (!r) return false;
  }
  return true;
}

void FetchConn::OnDeath() { core_->HandshakeDone(absl::UnavailableError(error())); }

absl::StatusOr<std::vector<absl::StatusOr<H3Response>>> FetchCore::Run(
    std::string_view host, uint16_t port, std::vector<H3Request> requests,
    uint64_t timeout_ms) {
  if (absl::Status s = cred_.InitClient(options_.insecure ? std::string() : options_.ca_file);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<Address> remote = net_internal::Resolve(host, port, /*numeric=*/false);
  if (!remote.ok()) return remote.status();
  remote_ = *remote;
  if (absl::Status s = Open(nullptr, &*remote); !s.ok()) return s;
  const bool v6 = host.find(':') != std::string_view::npos;
  const std::string authority = absl::StrCat(v6 ? "[" : "", ::sexp::internal::AV(host), v6 ? "]" : "", ":", port);
  for (H3Request& r : requests) {
    if (r.authority.empty()) r.authority = authority;
  }
  const size_t count = requests.size();
  std::string name = options_.server_name.empty() ? std::string(host) : options_.server_name;
  conn_ = std::make_unique<FetchConn>(this, std::move(requests));
  if (absl::Status s = conn_->Init(*remote, name, options_.insecure ? "" : name); !s.ok()) {
    return s;
  }
  conn_->MarkDirty();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  StartThread();
  absl::Status handshake;
  {
    std::unique_lock<std::mutex> lock(mu_);
    bool done = cv_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() +
                                                            std::chrono::milliseconds(
                                                                options_.connect_timeout_ms + 500)),
                               [this] { return handshake_.has_value(); });
    handshake = done ? *handshake_ : absl::DeadlineExceededError("handshake timed out");
    if (handshake.ok()) cv_.wait_until(lock, deadline, [this] { return finished_; });
  }
  if (!handshake.ok()) {
    StopAndJoin();
    return absl::UnavailableError(absl::StrFormat("cannot connect to %s:%d: %s", host, port,
                                                  handshake.message()));
  }
  StopAndJoin();  // the loop is gone: the results are this thread's
  conn_->FailRest(absl::DeadlineExceededError("no answer in time"));
  std::vector<absl::StatusOr<H3Response>> out;
  out.reserve(count);
  for (auto& r : conn_->results()) out.push_back(std::move(*r));
  conn_.reset();
  return out;
}

}  // namespace

absl::StatusOr<std::vector<absl::StatusOr<H3Response>>> H3Fetch(std::string_view host,
                                                                 uint16_t port,
                                                                 const ClientOptions& options,
                                                                 std::vector<H3Request> requests,
                                                                 uint64_t timeout_ms) {
  auto core = std::make_shared<FetchCore>(options);
  return core->Run(host, port, std::move(requests), timeout_ms);
}

}  // namespace sexp::quic
