// The sexpr/1 client (sexp/net/quic.h): one connection, a bidirectional
// stream per request, pushes on the server's unidirectional streams.
//
// ClientCore is the Endpoint (net/endpoint.h) of the one connection, over a
// connected UDP socket; ClientConn is that Conn (net/connection.h) with the
// sexpr/1 streams. Unlike a server's, this endpoint's hooks are only a few
// lines each around the one connection, and they are interleaved with what
// is sexpr/1's (RunCallbacks between ngtcp2 calls, the handshake wait of
// Connect), so they stay here rather than in a shared client endpoint.
#include <ngtcp2/ngtcp2.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "net/connection.h"
#include "net/endpoint.h"
#include "net/wire_error.h"
#include "sexp/net/quic.h"
#include "sexp/wire/frame.h"

namespace sexp::quic {

using net_internal::Address;
using net_internal::Conn;
using net_internal::FrameChunk;
using net_internal::IsBidi;
using net_internal::OutQueue;
using net_internal::Self;
using net_internal::WireErrorName;
using net_internal::WireErrorOf;

class ClientConn;

struct Pending {  // a request not yet answered
  std::string payload;
  bool raw = false;  // payload is the stream's bytes as they are (no framing)
  std::function<void(std::string_view)> on_frame;
  std::function<void(absl::Status)> on_done;
  bool end = true;  // FIN after the payload
};

class ClientCore final : public net_internal::Endpoint,
                         public std::enable_shared_from_this<ClientCore> {
 public:
  explicit ClientCore(ClientOptions options) : options_(std::move(options)) {}

  absl::Status Connect(std::string_view host, uint16_t port);
  void Request(Pending p);
  void Close() { StopAndJoin(); }
  void Abandon() {
    abandon_ = true;
    StopAndJoin();
  }
  bool connected() const { return connected_; }

 private:
  friend class ClientConn;

  void OnPacket(const Address& from, const uint8_t* data, size_t n) override;
  void Flush() override;
  uint64_t NextExpiry() override;
  void OnExpiry(uint64_t now) override;
  void OnStop() override;
  void OnSocketError(int err) override;
  void HandshakeDone(absl::Status status);

  ClientOptions options_;
  tls::Credentials cred_;
  std::unique_ptr<ClientConn> conn_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> abandon_{false};
  std::mutex hs_mu_;
  std::condition_variable hs_cv_;
  std::optional<absl::Status> handshake_;
};

// The client's connection. Callbacks to the host (frames, completions) are
// collected while ngtcp2 runs and called after it returns (RunCallbacks), so
// a host callback may send the next request at once.
class ClientConn final : public Conn {
 public:
  explicit ClientConn(ClientCore* core) : Conn(core, 1), core_(core) {}
  ~ClientConn() override {
    FailAll(absl::UnavailableError("connection closed"));
    RunCallbacks();
  }

  void RunCallbacks() {
    while (!callbacks_.empty()) {
      std::vector<std::function<void()>> batch;
      batch.swap(callbacks_);
      for (auto& f : batch) f();
    }
  }

  absl::Status Init(const Address& remote, const std::string& sni, const std::string& verify) {
    ngtcp2_callbacks cb{};
    cb.handshake_completed = [](ngtcp2_conn*, void* user) {
      auto* self = Self<ClientConn>(user);
      if (tls::SelectedAlpn(self->session_) != self->core_->options_.alpn) {
        return NGTCP2_ERR_CALLBACK_FAILURE;
      }
      self->core_->HandshakeDone(absl::OkStatus());
      return 0;
    };
    cb.recv_stream_data = [](ngtcp2_conn*, uint32_t flags, int64_t stream_id, uint64_t,
                             const uint8_t* data, size_t datalen, void* user, void*) {
      Self<ClientConn>(user)->OnStreamData(stream_id, flags, data, datalen);
      return 0;
    };
    cb.stream_close = [](ngtcp2_conn*, uint32_t flags, int64_t stream_id, uint64_t code,
                         void* user, void*) {
      bool has_code = (flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET) != 0;
      Self<ClientConn>(user)->OnStreamClose(stream_id, has_code ? code : 0);
      return 0;
    };
    cb.stream_reset = [](ngtcp2_conn*, int64_t stream_id, uint64_t, uint64_t code, void* user,
                         void*) {
      Self<ClientConn>(user)->OnStreamReset(stream_id, code);
      return 0;
    };
    cb.extend_max_local_streams_bidi = [](ngtcp2_conn*, uint64_t, void* user) {
      Self<ClientConn>(user)->OpenQueued();
      return 0;
    };

    ngtcp2_settings settings = net_internal::DefaultSettings();
    settings.handshake_timeout = core_->options_.connect_timeout_ms * NGTCP2_MILLISECONDS;
    ngtcp2_transport_params params;
    ngtcp2_transport_params_default(&params);
    params.initial_max_streams_bidi = 0;
    params.initial_max_streams_uni = 100;  // pushes
    params.initial_max_stream_data_bidi_local = 1 << 20;
    params.initial_max_stream_data_uni = 1 << 20;
    params.initial_max_data = 16 << 20;
    params.max_idle_timeout = core_->options_.idle_timeout_ms * NGTCP2_MILLISECONDS;
    absl::Status started = StartClient(remote, cb, settings, params, core_->cred_,
                                       core_->options_.alpn, sni, verify);
    if (started.ok() && core_->options_.keep_alive_ms != 0) {
      ngtcp2_conn_set_keep_alive_timeout(conn_, core_->options_.keep_alive_ms * NGTCP2_MILLISECONDS);
    }
    return started;
  }

  void Submit(Pending p) {
    queued_.push_back(std::move(p));
    OpenQueued();
  }

  void FailAll(const absl::Status& why) {
    for (auto& [id, s] : streams_) Complete(s, why);
    for (Pending& p : queued_) {
      callbacks_.push_back([done = std::move(p.on_done), why] { done(why); });
    }
    streams_.clear();
    queued_.clear();
  }

 private:
  struct Stream {
    explicit Stream(const FrameOptions& fo) : decoder(fo) {}
    Pending pending;  // empty for pushes
    FrameDecoder decoder;
    OutQueue out;
  };

  void OpenQueued() {
    while (!queued_.empty()) {
      int64_t id;
      if (ngtcp2_conn_open_bidi_stream(conn_, &id, nullptr) != 0) return;  // at the limit
      Stream& s = streams_.try_emplace(id, FrameOptions{core_->options_.max_frame_size})
                      .first->second;
      s.pending = std::move(queued_.front());
      queued_.pop_front();
      s.out.Append(s.pending.raw ? std::move(s.pending.payload) : FrameChunk(s.pending.payload));
      s.pending.payload.clear();
      if (s.pending.end) s.out.SetFin();
      Enqueue(id);
    }
  }

  void OnStreamData(int64_t id, uint32_t flags, const uint8_t* data, size_t n) {
    if (!core_->options_.read_answers) {  // a peer that does not read: no credit, no frames
      auto it = streams_.find(id);
      if (it != streams_.end() && (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0) {
        Complete(it->second, absl::OkStatus());
      }
      return;
    }
    ngtcp2_conn_extend_max_stream_offset(conn_, id, n);
    ngtcp2_conn_extend_max_offset(conn_, n);
    auto it = streams_.find(id);
    if (it == streams_.end()) {
      if (IsBidi(id)) return;  // not ours
      it = streams_.try_emplace(id, FrameOptions{core_->options_.max_frame_size}).first;
    }
    Stream& s = it->second;
    if (s.decoder.failed()) return;
    s.decoder.Feed(std::string_view(reinterpret_cast<const char*>(data), n));
    while (std::optional<std::string_view> f = s.decoder.Next()) {
      if (s.pending.on_frame) {
        callbacks_.push_back([on = s.pending.on_frame, frame = std::string(*f)] { on(frame); });
      } else if (core_->options_.on_push) {
        callbacks_.push_back([core = core_, frame = std::string(*f)] {
          core->options_.on_push(frame);
        });
      }
    }
    absl::Status st;
    if (s.decoder.failed()) {
      st = absl::DataLossError(s.decoder.error().ToString());
      ngtcp2_conn_shutdown_stream(conn_, id, static_cast<uint64_t>(WireErrorOf(s.decoder.error().code)));
    } else if (flags & NGTCP2_STREAM_DATA_FLAG_FIN) {
      Error end = s.decoder.Finish();
      if (!end.ok()) st = absl::DataLossError(end.ToString());
    } else {
      return;
    }
    if (!IsBidi(id)) {
      EndPush(id);
      return;
    }
    Complete(s, st);
  }

  void Complete(Stream& s, absl::Status st) {
    if (s.pending.on_done) {
      callbacks_.push_back([done = std::move(s.pending.on_done), st = std::move(st)] { done(st); });
      s.pending.on_done = nullptr;
      s.pending.on_frame = nullptr;
    }
  }

  void OnStreamClose(int64_t id, uint64_t code) {
    OnStreamReset(id, code);
    streams_.erase(id);
  }

  // A push stream has ended (FIN or reset): forget it and let the server
  // open the next one. Done here rather than at stream_close because
  // ngtcp2 0.12 never closes remote unidirectional streams.
  void EndPush(int64_t id) {
    if (streams_.erase(id) != 0) ngtcp2_conn_extend_max_streams_uni(conn_, 1);
  }

  // The answer ends without its FIN: the request fails (a no-op when it
  // already completed).
  void OnStreamReset(int64_t id, uint64_t code) {
    if (!IsBidi(id)) {
      EndPush(id);
      return;
    }
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    Complete(it->second,
             absl::UnavailableError(absl::StrFormat("stream reset by the server: %s (0x%x)",
                                                    WireErrorName(code), code)));
  }

  OutQueue* QueueOf(int64_t id) override {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : &it->second.out;
  }

  void OnDeath() override {
    core_->HandshakeDone(absl::UnavailableError(error()));
    FailAll(absl::UnavailableError(absl::StrCat("connection lost: ", error())));
  }

  ClientCore* core_;
  absl::flat_hash_map<int64_t, Stream> streams_;
  std::deque<Pending> queued_;
  std::vector<std::function<void()>> callbacks_;
};

absl::Status ClientCore::Connect(std::string_view host, uint16_t port) {
  if (absl::Status s = cred_.InitClient(options_.insecure ? std::string() : options_.ca_file);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<Address> remote = net_internal::Resolve(host, port, /*numeric=*/false);
  if (!remote.ok()) return remote.status();
  if (absl::Status s = Open(nullptr, &*remote); !s.ok()) return s;
  std::string name = options_.server_name.empty() ? std::string(host) : options_.server_name;
  conn_ = std::make_unique<ClientConn>(this);
  if (absl::Status s = conn_->Init(*remote, name, options_.insecure ? "" : name); !s.ok()) {
    return s;
  }
  conn_->MarkDirty();
  StartThread();
  std::unique_lock<std::mutex> lock(hs_mu_);
  bool done = hs_cv_.wait_for(lock, std::chrono::milliseconds(options_.connect_timeout_ms + 500),
                              [this] { return handshake_.has_value(); });
  absl::Status result = done ? *handshake_ : absl::DeadlineExceededError("handshake timed out");
  lock.unlock();
  if (!result.ok()) {
    StopAndJoin();
    return absl::UnavailableError(absl::StrFormat("cannot connect to %s:%d: %s", host, port,
                                                  result.message()));
  }
  return absl::OkStatus();
}

void ClientCore::HandshakeDone(absl::Status status) {
  std::lock_guard<std::mutex> lock(hs_mu_);
  if (handshake_.has_value()) return;
  connected_ = status.ok();
  handshake_ = std::move(status);
  hs_cv_.notify_all();
}

void ClientCore::Request(Pending request) {
  std::function<void(absl::Status)> on_done = request.on_done;
  bool queued = RunOrPost([self = shared_from_this(), p = std::move(request)]() mutable {
    if (self->conn_ == nullptr || self->conn_->dead()) {
      p.on_done(absl::UnavailableError("not connected"));
      return;
    }
    self->conn_->Submit(std::move(p));
  });
  if (!queued) on_done(absl::UnavailableError("client closed"));
}

void ClientCore::OnPacket(const Address& from, const uint8_t* data, size_t n) {
  if (conn_ == nullptr) return;
  conn_->Read(from, data, n);  // the connected socket's peer
}

void ClientCore::OnSocketError(int err) {
  // A connected UDP socket reports ICMP port unreachable: nobody listens.
  if (conn_ != nullptr && err == ECONNREFUSED) conn_->Fail("connection refused (no server on that UDP port)");
}

void ClientCore::Flush() {
  if (conn_ == nullptr) return;
  conn_->RunCallbacks();
  if (conn_->dirty()) conn_->Write();
  conn_->RunCallbacks();
  if (conn_->dead()) connected_ = false;
}

uint64_t ClientCore::NextExpiry() {
  return conn_ == nullptr || conn_->dead() ? UINT64_MAX : conn_->expiry();
}

void ClientCore::OnExpiry(uint64_t now) {
  if (conn_ == nullptr || conn_->dead() || conn_->expiry() > now) return;
  conn_->HandleExpiry(now);
  conn_->Write();
  conn_->RunCallbacks();
  if (conn_->dead()) connected_ = false;
}

void ClientCore::OnStop() {
  if (conn_ != nullptr) {
    if (abandon_) {
      conn_->Fail("abandoned");
    } else {
      conn_->Write();
      conn_->CloseWithAppError(static_cast<uint64_t>(WireError::kNoError), "client closed");
    }
    conn_.reset();  // fails what is still pending
  }
  connected_ = false;
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(std::string_view host, uint16_t port,
                                                        const ClientOptions& options) {
  auto core = std::make_shared<ClientCore>(options);
  if (absl::Status s = core->Connect(host, port); !s.ok()) return s;
  return std::unique_ptr<Client>(new Client(std::move(core)));
}

Client::~Client() { Close(); }

void Client::Request(std::string payload, std::function<void(std::string_view)> on_frame,
                     std::function<void(absl::Status)> on_done) {
  core_->Request({std::move(payload), false, std::move(on_frame), std::move(on_done)});
}

void Client::RequestRaw(std::string bytes, std::function<void(std::string_view)> on_frame,
                        std::function<void(absl::Status)> on_done, bool end) {
  core_->Request({std::move(bytes), true, std::move(on_frame), std::move(on_done), end});
}

void Client::Abandon() { core_->Abandon(); }

absl::StatusOr<std::vector<std::string>> Client::Call(std::string payload, uint64_t timeout_ms) {
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::string> frames;
    std::optional<absl::Status> done;
  };
  auto st = std::make_shared<State>();
  Request(
      std::move(payload),
      [st](std::string_view f) {
        std::lock_guard<std::mutex> lock(st->mu);
        st->frames.emplace_back(f);
      },
      [st](absl::Status s) {
        std::lock_guard<std::mutex> lock(st->mu);
        st->done = std::move(s);
        st->cv.notify_all();
      });
  std::unique_lock<std::mutex> lock(st->mu);
  if (!st->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                       [&] { return st->done.has_value(); })) {
    return absl::DeadlineExceededError("no answer in time");
  }
  if (!st->done->ok()) return *st->done;
  return std::move(st->frames);
}

void Client::Close() { core_->Close(); }
bool Client::connected() const { return core_->connected(); }

}  // namespace sexp::quic
