// The QUIC adapter: sexpr/1 over ngtcp2 0.12 + GnuTLS (spec/wire.md §3).
//
// Shape. An Endpoint owns one UDP socket, an epoll set, an eventfd for work
// posted from other threads, and the thread that runs its loop. A Conn wraps
// one ngtcp2_conn and its GnuTLS session; ServerConn and ClientConn add what
// each side does with streams. Everything ngtcp2 is touched on the loop
// thread only; other threads reach it through Endpoint::Post.
//
// A loop iteration: read every datagram waiting (ngtcp2_conn_read_pkt), then
// run what the reads made ready — request handlers are called after
// read_pkt returns, never inside ngtcp2's callbacks, so a handler may answer
// at once — then the posted tasks, then write every connection that has
// something to send, then fire expired timers, then sleep until the next
// timer or datagram.
//
// Stream data handed to ngtcp2 must stay put until it is acknowledged
// (ngtcp2 keeps pointers for retransmission), so an OutQueue is a deque of
// chunks that never move, dropped from the front as acknowledgements come.
//
// Memory. A request stream holds at most one frame (the decoder refuses a
// length over max_frame_size before buffering it), and the connection's
// flow-control window is only given back when a request is handed off or
// its stream closes, so a connection never holds more than its window
// (max_frame_size + 1 MiB) of unanswered requests.
#include "sexp/net/quic.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <netdb.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/file.h"
#include "net/tls.h"
#include "core/strutil.h"

namespace sexp::quic {

using ::sexp::internal::AV;

// ---------------------------------------------------------------- URLs --

absl::StatusOr<HostPort> ParseHostPort(std::string_view authority, uint16_t default_port) {
  HostPort out{std::string(), default_port};
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority[0] == '[') {  // [v6]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("unclosed [ in ", AV(authority)));
    }
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        return absl::InvalidArgumentError(absl::StrCat("bad authority ", AV(authority)));
      }
      port = after.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      has_port = true;
    }
  }
  if (out.host.empty()) return absl::InvalidArgumentError(absl::StrCat("no host in ", AV(authority)));
  if (has_port) {
    uint32_t n = 0;
    if (port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos ||
        !absl::SimpleAtoi(AV(port), &n) || n > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("bad port in ", AV(authority)));
    }
    out.port = static_cast<uint16_t>(n);
  }
  return out;
}

absl::StatusOr<Url> ParseUrl(std::string_view text) {
  constexpr std::string_view kScheme = "sexpr://";
  if (text.substr(0, kScheme.size()) != kScheme) {
    return absl::InvalidArgumentError(absl::StrCat("not a sexpr:// URL: ", AV(text)));
  }
  std::string_view rest = text.substr(kScheme.size());
  size_t slash = rest.find('/');
  absl::StatusOr<HostPort> authority = ParseHostPort(rest.substr(0, slash));
  if (!authority.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(authority.status().message(), " (", AV(text), ")"));
  }
  if (authority->port == 0) return absl::InvalidArgumentError(absl::StrCat("bad port in ", AV(text)));
  Url url;
  url.host = std::move(authority->host);
  url.port = authority->port;
  url.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  return url;
}

namespace {

using Clock = std::chrono::steady_clock;

uint64_t Now() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
          .count());
}

void Random(uint8_t* dest, size_t n) { gnutls_rnd(GNUTLS_RND_RANDOM, dest, n); }
void RandCallback(uint8_t* dest, size_t n, const ngtcp2_rand_ctx*) { Random(dest, n); }

void DebugLog(void*, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

// ngtcp2's debug log when SEXP_QUIC_DEBUG is set.
ngtcp2_printf DebugPrintf() { return getenv("SEXP_QUIC_DEBUG") != nullptr ? DebugLog : nullptr; }

std::string ErrnoText(std::string_view what) { return absl::StrCat(AV(what), ": ", strerror(errno)); }

// ------------------------------------------------------------ OutQueue --

// Bytes of one stream direction not yet acknowledged, in chunks that never
// move (see the file comment), plus where sending has got to.
class OutQueue {
 public:
  void Append(std::string chunk) {
    end_ += chunk.size();
    if (!chunk.empty()) chunks_.push_back(std::move(chunk));
  }
  void SetFin() { fin_ = true; }
  bool fin() const { return fin_; }
  // Something to hand to ngtcp2: unsent bytes, or the FIN alone.
  bool pending() const { return sent_ < end_ || (fin_ && !fin_sent_); }
  uint64_t held() const { return end_ - base_; }

  // Up to `max` vectors covering the unsent bytes; `*all` tells whether
  // they cover all of them (only then may the FIN go with them).
  size_t Vectors(ngtcp2_vec* v, size_t max, bool* all) const {
    size_t n = 0;
    uint64_t off = base_;
    *all = true;
    for (const std::string& c : chunks_) {
      if (n == max) {
        *all = off >= end_;
        break;
      }
      uint64_t c_end = off + c.size();
      if (c_end > sent_) {
        size_t skip = sent_ > off ? static_cast<size_t>(sent_ - off) : 0;
        v[n].base = reinterpret_cast<uint8_t*>(const_cast<char*>(c.data())) + skip;
        v[n].len = c.size() - skip;
        ++n;
      }
      off = c_end;
    }
    return n;
  }
  // `n` more bytes were handed to ngtcp2 (with the FIN if `fin` and all sent).
  void Sent(size_t n, bool fin) {
    sent_ += n;
    if (fin && sent_ == end_) fin_sent_ = true;
  }
  void Acked(uint64_t offset, uint64_t length) {
    acked_ = std::max(acked_, offset + length);
    while (!chunks_.empty() && base_ + chunks_.front().size() <= acked_) {
      base_ += chunks_.front().size();
      chunks_.pop_front();
    }
  }
  void Clear() {
    chunks_.clear();
    base_ = sent_ = end_ = acked_;
    fin_sent_ = fin_;
  }

 private:
  std::deque<std::string> chunks_;
  uint64_t base_ = 0;   // stream offset of chunks_.front()[0]
  uint64_t sent_ = 0;   // stream offset of the next byte to hand to ngtcp2
  uint64_t end_ = 0;    // stream offset after the last byte queued
  uint64_t acked_ = 0;  // acknowledged up to here
  bool fin_ = false;
  bool fin_sent_ = false;
};

std::string FrameChunk(std::string_view payload) {
  std::string chunk;
  chunk.reserve(VarintSize(payload.size()) + payload.size());
  AppendFrame(payload, &chunk);
  return chunk;
}

WireError WireErrorOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kFrameTooLarge: return WireError::kFrameTooLarge;
    case ErrorCode::kBadVarint: return WireError::kBadVarint;
    case ErrorCode::kFrameTruncated: return WireError::kFrameTruncated;
    default: return WireError::kBadRequest;
  }
}

std::string_view WireErrorName(uint64_t code) {
  switch (static_cast<WireError>(code)) {
    case WireError::kNoError: return "no-error";
    case WireError::kFrameTooLarge: return "frame-too-large";
    case WireError::kBadVarint: return "bad-varint";
    case WireError::kFrameTruncated: return "frame-truncated";
    case WireError::kBadRequest: return "bad-request";
    case WireError::kInternal: return "internal";
    case WireError::kShutdown: return "shutdown";
  }
  return "unknown";
}

// ------------------------------------------------------------ Endpoint --

struct Address {
  sockaddr_storage addr{};
  socklen_t len = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&addr); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&addr); }
};

absl::StatusOr<Address> Resolve(std::string_view host, uint16_t port, bool numeric) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = numeric ? AI_NUMERICHOST | AI_PASSIVE : 0;
  addrinfo* res = nullptr;
  std::string h(host), p = std::to_string(port);
  int rv = getaddrinfo(h.c_str(), p.c_str(), &hints, &res);
  if (rv != 0) return absl::InvalidArgumentError(absl::StrCat(AV(host), ": ", gai_strerror(rv)));
  Address a;
  memcpy(&a.addr, res->ai_addr, res->ai_addrlen);
  a.len = res->ai_addrlen;
  freeaddrinfo(res);
  return a;
}

// One UDP socket and the thread that runs its loop (see the file comment).
class Endpoint {
 public:
  virtual ~Endpoint() {
    for (int fd : {fd_, epfd_, evfd_}) {
      if (fd >= 0) close(fd);
    }
  }

  // Opens the socket, bound to `local` (server) or connected to `remote`
  // (client).
  absl::Status Open(const Address* local, const Address* remote) {
    const Address& a = local != nullptr ? *local : *remote;
    fd_ = socket(a.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return absl::UnavailableError(ErrnoText("socket"));
    // Bursts of a hundred answers must not overflow the default buffers.
    int size = 4 << 20;
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    if (setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0) {
      setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
    if (local != nullptr && bind(fd_, local->get(), local->len) != 0) {
      return absl::UnavailableError(ErrnoText("bind"));
    }
    if (remote != nullptr && connect(fd_, remote->get(), remote->len) != 0) {
      return absl::UnavailableError(ErrnoText("connect"));
    }
    local_.len = sizeof local_.addr;
    if (getsockname(fd_, local_.get(), &local_.len) != 0) {
      return absl::UnavailableError(ErrnoText("getsockname"));
    }
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    evfd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epfd_ < 0 || evfd_ < 0) return absl::UnavailableError(ErrnoText("epoll/eventfd"));
    for (int fd : {fd_, evfd_}) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        return absl::UnavailableError(ErrnoText("epoll_ctl"));
      }
    }
    return absl::OkStatus();
  }

  void StartThread() {
    thread_ = std::thread([this] { Run(); });
  }

  // Runs `task` on the loop thread. False (and `task` dropped) once stopped.
  bool Post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return false;
      tasks_.push_back(std::move(task));
    }
    uint64_t one = 1;
    ssize_t n = write(evfd_, &one, sizeof one);
    (void)n;  // a full counter still wakes the loop
    return true;
  }

  // Runs `task` now when called on the loop thread, else posts it. False
  // when it could not be posted (stopped).
  bool RunOrPost(std::function<void()> task) {
    if (OnLoopThread()) {
      task();
      return true;
    }
    return Post(std::move(task));
  }

  // `compute()`'s result, computed on the loop thread (the caller waits
  // for it); nullopt once stopped.
  template <typename F>
  auto OnLoop(F compute) -> std::optional<decltype(compute())> {
    using T = decltype(compute());
    if (OnLoopThread()) return compute();
    auto promise = std::make_shared<std::promise<T>>();
    std::future<T> result = promise->get_future();
    if (!Post([promise, compute] { promise->set_value(compute()); })) return std::nullopt;
    return result.get();
  }

  // Stops the loop (after OnStop) and joins it. Any thread but the loop's.
  void StopAndJoin() {
    Post([this] { stop_requested_ = true; });
    if (thread_.joinable()) thread_.join();
  }

  bool OnLoopThread() const { return std::this_thread::get_id() == thread_.get_id(); }
  const Address& local() const { return local_; }

  void SendPacket(const Address& to, const uint8_t* data, size_t n) {
    ssize_t rv;
    do {
      rv = to.len != 0 ? sendto(fd_, data, n, 0, to.get(), to.len) : send(fd_, data, n, 0);
    } while (rv < 0 && errno == EINTR);
    // EAGAIN: the packet is lost like any other; QUIC's recovery resends.
  }

  // Sends `n` bytes of packets, each `segment` bytes but the last, in one
  // system call where the kernel segments UDP (GSO, Linux >= 4.18); one
  // call a packet where it cannot.
  void SendPackets(const Address& to, const uint8_t* data, size_t n, size_t segment) {
    if (n > segment && gso_) {
      iovec iov{const_cast<uint8_t*>(data), n};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      if (to.len != 0) {
        msg.msg_name = const_cast<sockaddr*>(to.get());
        msg.msg_namelen = to.len;
      }
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint16_t))] = {};
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsghdr* cm = CMSG_FIRSTHDR(&msg);
      cm->cmsg_level = SOL_UDP;
      cm->cmsg_type = UDP_SEGMENT;
      cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      const uint16_t size = static_cast<uint16_t>(segment);
      memcpy(CMSG_DATA(cm), &size, sizeof size);
      ssize_t rv;
      do {
        rv = sendmsg(fd_, &msg, 0);
      } while (rv < 0 && errno == EINTR);
      if (rv >= 0 || (errno != EIO && errno != EINVAL && errno != ENOPROTOOPT)) return;
      gso_ = false;  // not supported here: one packet a call from now on
    }
    for (size_t off = 0; off < n; off += segment) {
      SendPacket(to, data + off, std::min(segment, n - off));
    }
  }

 protected:
  // Loop-thread hooks.
  virtual void OnPacket(const Address& from, const uint8_t* data, size_t n) = 0;
  virtual void Flush() = 0;                 // write what is pending
  virtual uint64_t NextExpiry() = 0;        // UINT64_MAX: none
  virtual void OnExpiry(uint64_t now) = 0;
  virtual void OnStop() = 0;                // close everything
  virtual void OnSocketError(int err) {}     // recvfrom failed with `err`

  int fd_ = -1;

 private:
  bool gso_ = true;

  void Run() {
    std::vector<uint8_t> buf(65536);
    epoll_event events[2];
    while (!stop_requested_) {
      // Write what the last turn made pending (the client's first Initial
      // too), fire due timers, then sleep until the next timer or input.
      Flush();
      OnExpiry(Now());
      uint64_t next = NextExpiry();
      uint64_t now = Now();
      int timeout = -1;
      if (next != UINT64_MAX) {
        timeout = next <= now ? 0 : static_cast<int>(std::min<uint64_t>((next - now + 999999) / 1000000, 60000));
      }
      int n = epoll_wait(epfd_, events, 2, timeout);
      for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == evfd_) {
          uint64_t count;
          ssize_t r = read(evfd_, &count, sizeof count);
          (void)r;
        }
      }
      // Datagrams first (a bounded batch, so timers and tasks keep running
      // under a flood), then tasks, writes and timers.
      for (int i = 0; i < 1024; ++i) {
        Address from;
        from.len = sizeof from.addr;
        ssize_t r = recvfrom(fd_, buf.data(), buf.size(), 0, from.get(), &from.len);
        if (r < 0) {
          if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) OnSocketError(errno);
          break;
        }
        OnPacket(from, buf.data(), static_cast<size_t>(r));
      }
      std::vector<std::function<void()>> tasks;
      {
        std::lock_guard<std::mutex> lock(mu_);
        tasks.swap(tasks_);
      }
      for (auto& t : tasks) t();
    }
    OnStop();
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    tasks_.clear();
  }

  Address local_;
  int epfd_ = -1;
  int evfd_ = -1;
  std::mutex mu_;
  std::vector<std::function<void()>> tasks_;
  bool stopped_ = false;
  bool stop_requested_ = false;  // loop thread only
  std::thread thread_;
};

// ---------------------------------------------------------------- Conn --

// One ngtcp2 connection: its TLS session, paths, packet I/O and timers.
// Owned by its endpoint; used on the loop thread only.
class Conn {
 public:
  Conn(Endpoint* ep, uint64_t id) : ep_(ep), id_(id) {
    ref_.get_conn = [](ngtcp2_crypto_conn_ref* r) {
      return static_cast<Conn*>(r->user_data)->conn_;
    };
    ref_.user_data = this;
  }
  virtual ~Conn() {
    if (conn_ != nullptr) ngtcp2_conn_del(conn_);
    if (session_ != nullptr) gnutls_deinit(session_);
  }

  uint64_t id() const { return id_; }
  bool dead() const { return dead_; }
  uint64_t expiry() const { return conn_ == nullptr ? UINT64_MAX : ngtcp2_conn_get_expiry(conn_); }
  const std::string& error() const { return error_; }

  // The path from the endpoint's socket to `remote`.
  ngtcp2_path PathTo(const Address& remote) const {
    return ngtcp2_path{{const_cast<sockaddr*>(ep_->local().get()), ep_->local().len},
                       {const_cast<sockaddr*>(remote.get()), remote.len},
                       nullptr};
  }

  // Feeds one datagram. On a fatal error the connection is closed (a
  // CONNECTION_CLOSE sent where one is due) and marked dead.
  void Read(const Address& from, const uint8_t* data, size_t n) {
    if (dead_) return;
    ngtcp2_path path = PathTo(from);
    ngtcp2_pkt_info pi{};
    int rv = ngtcp2_conn_read_pkt(conn_, &path, &pi, data, n, Now());
    if (rv != 0) {
      switch (rv) {
        case NGTCP2_ERR_DRAINING:   // the peer closed
        case NGTCP2_ERR_DROP_CONN:  // nothing to say
          Die(rv == NGTCP2_ERR_DRAINING ? "closed by the peer" : ngtcp2_strerror(rv));
          return;
        case NGTCP2_ERR_CRYPTO:
          if (session_ != nullptr) {
            std::string why = tls::VerifyFailure(session_);
            if (!why.empty()) SetError(absl::StrCat("certificate verification failed: ", why));
          }
          [[fallthrough]];
        default:
          CloseWithLibError(rv);
          return;
      }
    }
    dirty_ = true;
  }

  // Writes packets until ngtcp2 has nothing more (or congestion stops it).
  void Write() {
    if (dead_ || conn_ == nullptr) return;
    dirty_ = false;
    // Packets of one size go out together (Endpoint::SendPackets); a packet
    // of another size ends the batch (GSO needs equal segments, the last
    // may be shorter).
    constexpr size_t kPacket = NGTCP2_MAX_PMTUD_UDP_PAYLOAD_SIZE;
    constexpr size_t kBatch = 32;
    uint8_t batch[kPacket * kBatch];  // packets are written in place
    size_t used = 0, segment = 0, count = 0;
    auto flush = [&] {
      if (used != 0) ep_->SendPackets(remote_, batch, used, segment);
      used = segment = count = 0;
    };
    ngtcp2_path_storage ps;
    ngtcp2_path_storage_zero(&ps);
    const uint64_t ts = Now();
    for (int packets = 0; packets < 4096; ++packets) {
      int64_t stream_id = -1;
      OutQueue* q = nullptr;
      ngtcp2_vec vec[16];
      size_t nvec = 0;
      uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
      while (!sendq_.empty()) {
        q = QueueOf(sendq_.front());
        if (q != nullptr && q->pending()) break;
        sendq_.pop_front();
        q = nullptr;
      }
      if (q != nullptr) {
        stream_id = sendq_.front();
        bool all = false;
        nvec = q->Vectors(vec, 16, &all);
        if (q->fin() && all) flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
      }
      ngtcp2_pkt_info pi{};
      ngtcp2_ssize datalen = -1;
      ngtcp2_ssize nwrite = ngtcp2_conn_writev_stream(conn_, &ps.path, &pi, batch + used,
                                                      kPacket, &datalen, flags, stream_id, vec,
                                                      nvec, ts);
      if (nwrite < 0) {
        switch (nwrite) {
          case NGTCP2_ERR_STREAM_DATA_BLOCKED:  // resumes at extend_max_stream_data
          case NGTCP2_ERR_STREAM_SHUT_WR:
          case NGTCP2_ERR_STREAM_NOT_FOUND:
            sendq_.pop_front();
            continue;
          case NGTCP2_ERR_WRITE_MORE:
            q->Sent(static_cast<size_t>(datalen), (flags & NGTCP2_WRITE_STREAM_FLAG_FIN) != 0);
            continue;
          default:
            flush();
            CloseWithLibError(static_cast<int>(nwrite));
            return;
        }
      }
      if (datalen >= 0 && q != nullptr) {
        q->Sent(static_cast<size_t>(datalen), (flags & NGTCP2_WRITE_STREAM_FLAG_FIN) != 0);
      }
      if (nwrite == 0) break;
      const size_t n = static_cast<size_t>(nwrite);
      if (count != 0 && n > segment) {  // larger than the batch's segments:
        const size_t at = used;         // it starts the next batch
        flush();
        memmove(batch, batch + at, n);
      }
      if (count == 0) segment = n;
      used += n;
      if (++count == kBatch || n < segment) flush();
      if (packets == 4095) dirty_ = true;  // a long burst: go on at the next turn
    }
    flush();
  }

  // Timers fired: retransmission, idle timeout.
  void HandleExpiry(uint64_t now) {
    if (dead_) return;
    int rv = ngtcp2_conn_handle_expiry(conn_, now);
    if (rv == NGTCP2_ERR_IDLE_CLOSE) {
      Die("idle timeout");
      return;
    }
    if (rv != 0) {
      CloseWithLibError(rv);
      return;
    }
    dirty_ = true;
  }

  // Sends CONNECTION_CLOSE with an application error and marks the
  // connection dead.
  void CloseWithAppError(WireError code, std::string_view reason) {
    ngtcp2_connection_close_error ccerr;
    ngtcp2_connection_close_error_default(&ccerr);
    ngtcp2_connection_close_error_set_application_error(
        &ccerr, static_cast<uint64_t>(code), reinterpret_cast<const uint8_t*>(reason.data()),
        reason.size());
    SendClose(ccerr);
    Die(std::string(reason));
  }

  // Gives up on the connection without telling the peer.
  void Fail(std::string why) { Die(std::move(why)); }
  bool dirty() const { return dirty_; }
  void MarkDirty() { dirty_ = true; }
  void Enqueue(int64_t stream_id) {
    sendq_.push_back(stream_id);
    dirty_ = true;
  }

 protected:
  virtual OutQueue* QueueOf(int64_t stream_id) = 0;
  virtual void OnDeath() {}

  void SetError(std::string e) {
    if (error_.empty()) error_ = std::move(e);
  }
  void Die(std::string why) {
    if (dead_) return;
    SetError(std::move(why));
    dead_ = true;
    OnDeath();
  }
  void CloseWithLibError(int liberr) {
    ngtcp2_connection_close_error ccerr;
    ngtcp2_connection_close_error_default(&ccerr);
    ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, liberr, nullptr, 0);
    SendClose(ccerr);
    Die(ngtcp2_strerror(liberr));
  }
  void SendClose(const ngtcp2_connection_close_error& ccerr) {
    if (dead_ || conn_ == nullptr || ngtcp2_conn_is_in_closing_period(conn_) ||
        ngtcp2_conn_is_in_draining_period(conn_)) {
      return;
    }
    uint8_t buf[NGTCP2_MAX_UDP_PAYLOAD_SIZE];
    ngtcp2_path_storage ps;
    ngtcp2_path_storage_zero(&ps);
    ngtcp2_pkt_info pi{};
    ngtcp2_ssize n = ngtcp2_conn_write_connection_close(conn_, &ps.path, &pi, buf, sizeof buf,
                                                        &ccerr, Now());
    if (n > 0) ep_->SendPacket(remote_, buf, static_cast<size_t>(n));
  }

  // The callbacks both sides use.
  static void FillCommonCallbacks(ngtcp2_callbacks* cb) {
    cb->recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
    cb->encrypt = ngtcp2_crypto_encrypt_cb;
    cb->decrypt = ngtcp2_crypto_decrypt_cb;
    cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
    cb->update_key = ngtcp2_crypto_update_key_cb;
    cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
    cb->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
    cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
    cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
    cb->rand = RandCallback;
    cb->acked_stream_data_offset = [](ngtcp2_conn*, int64_t stream_id, uint64_t offset,
                                      uint64_t datalen, void* user, void*) {
      if (OutQueue* q = static_cast<Conn*>(user)->QueueOf(stream_id)) q->Acked(offset, datalen);
      return 0;
    };
    cb->extend_max_stream_data = [](ngtcp2_conn*, int64_t stream_id, uint64_t, void* user,
                                    void*) {
      static_cast<Conn*>(user)->Enqueue(stream_id);
      return 0;
    };
  }

  Endpoint* ep_;
  uint64_t id_;
  ngtcp2_conn* conn_ = nullptr;
  gnutls_session_t session_ = nullptr;
  ngtcp2_crypto_conn_ref ref_;
  Address remote_;
  std::deque<int64_t> sendq_;  // streams that may have something to send

 private:
  bool dead_ = false;
  bool dirty_ = false;
  std::string error_;
};

// ngtcp2's user_data is always the Conn; callbacks cast back through it.
template <typename T>
T* Self(void* user) {
  return static_cast<T*>(static_cast<Conn*>(user));
}

// Keeps each live connection's next timer in one ordered set.
class Timers {
 public:
  void Update(Conn* c) {
    Remove(c);
    uint64_t e = c->expiry();
    if (e != UINT64_MAX) {
      at_[c] = e;
      set_.emplace(e, c);
    }
  }
  void Remove(Conn* c) {
    auto it = at_.find(c);
    if (it == at_.end()) return;
    set_.erase({it->second, c});
    at_.erase(it);
  }
  uint64_t Next() const { return set_.empty() ? UINT64_MAX : set_.begin()->first; }
  // The connections whose timers have expired.
  std::vector<Conn*> Due(uint64_t now) const {
    std::vector<Conn*> due;
    for (auto it = set_.begin(); it != set_.end() && it->first <= now; ++it) due.push_back(it->second);
    return due;
  }

 private:
  std::set<std::pair<uint64_t, Conn*>> set_;
  absl::flat_hash_map<Conn*, uint64_t> at_;
};

bool IsBidi(int64_t stream_id) { return (stream_id & 0x2) == 0; }

std::string CidKey(const uint8_t* data, size_t len) {
  return std::string(reinterpret_cast<const char*>(data), len);
}

}  // namespace

// ------------------------------------------------------------- server --

class ServerConn;

class ServerCore final : public Endpoint, public std::enable_shared_from_this<ServerCore> {
 public:
  ServerCore(ServerOptions options, RequestHandler handler)
      : options_(std::move(options)), handler_(std::move(handler)) {
    Random(static_reset_secret_, sizeof static_reset_secret_);
  }

  absl::Status Init();
  uint16_t port() const {
    const Address& a = local();
    return ntohs(a.addr.ss_family == AF_INET6
                     ? reinterpret_cast<const sockaddr_in6*>(&a.addr)->sin6_port
                     : reinterpret_cast<const sockaddr_in*>(&a.addr)->sin_port);
  }
  const std::string& cert_pem() const { return cert_pem_; }

  // Responder operations, from any thread.
  void StreamOp(uint64_t conn, int64_t stream, std::string payload, int op,
                WireError code = WireError::kInternal);
  absl::Status Push(uint64_t conn, std::string payload);
  std::vector<uint64_t> ConnectionIds();
  ServerStats Stats();

  // Loop-thread internals used by ServerConn.
  const ServerOptions& options() const { return options_; }
  const tls::Credentials& credentials() const { return cred_; }
  void AddCid(const std::string& cid, ServerConn* c) { by_cid_[cid] = c; }
  void RemoveCid(const std::string& cid) { by_cid_.erase(cid); }
  void ResetToken(uint8_t* token, const ngtcp2_cid* cid) {
    ngtcp2_crypto_generate_stateless_reset_token(token, static_reset_secret_,
                                                 sizeof static_reset_secret_, cid);
  }
  void Ready(uint64_t conn, int64_t stream, std::string request) {
    ready_.push_back({conn, stream, std::move(request)});
  }
  void Dirty(Conn* c) { dirty_.push_back(c); }
  void Died(uint64_t id) { died_.push_back(id); }
  std::atomic<uint64_t> requests_total{0}, streams_reset{0}, connections_total{0},
      connections_refused{0};
  uint64_t open_streams = 0;  // loop thread

 private:
  void OnPacket(const Address& from, const uint8_t* data, size_t n) override;
  void Flush() override;
  uint64_t NextExpiry() override { return timers_.Next(); }
  void OnExpiry(uint64_t now) override;
  void OnStop() override;
  void Accept(const Address& from, const uint8_t* data, size_t n);
  void Reap();
  ServerConn* Find(uint64_t id) {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second.get();
  }

  struct ReadyRequest {
    uint64_t conn;
    int64_t stream;
    std::string request;
  };

  ServerOptions options_;
  RequestHandler handler_;
  tls::Credentials cred_;
  std::string cert_pem_;
  uint8_t static_reset_secret_[32];
  uint64_t next_id_ = 1;
  absl::flat_hash_map<uint64_t, std::unique_ptr<ServerConn>> by_id_;
  absl::flat_hash_map<std::string, ServerConn*> by_cid_;
  std::vector<ReadyRequest> ready_;
  std::vector<Conn*> dirty_;
  std::vector<uint64_t> died_;  // connections to delete at the next Reap
  Timers timers_;
};

namespace {

enum StreamOpKind { kOpSend, kOpFinish, kOpReset };

}  // namespace

class ServerConn final : public Conn {
 public:
  ServerConn(ServerCore* core, uint64_t id) : Conn(core, id), core_(core) {}
  ~ServerConn() override {
    for (const std::string& cid : cids_) core_->RemoveCid(cid);
    core_->open_streams -= streams_.size();
  }


  absl::Status Init(const Address& from, const ngtcp2_pkt_hd& hd) {
    remote_ = from;
    ngtcp2_callbacks cb{};
    FillCommonCallbacks(&cb);
    cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
    cb.handshake_completed = [](ngtcp2_conn*, void* user) {
      auto* self = Self<ServerConn>(user);
      // A client that offered no ALPN at all gets here; one that offered
      // others was refused by GnuTLS (no_application_protocol).
      return tls::NegotiatedAlpn(self->session_) ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
    };
    cb.recv_stream_data = [](ngtcp2_conn*, uint32_t flags, int64_t stream_id, uint64_t,
                             const uint8_t* data, size_t datalen, void* user, void*) {
      Self<ServerConn>(user)->OnStreamData(stream_id, flags, data, datalen);
      return 0;
    };
    cb.stream_close = [](ngtcp2_conn*, uint32_t, int64_t stream_id, uint64_t, void* user,
                         void*) {
      Self<ServerConn>(user)->OnStreamClose(stream_id);
      return 0;
    };
    cb.stream_reset = [](ngtcp2_conn*, int64_t stream_id, uint64_t, uint64_t, void* user,
                         void*) {
      Self<ServerConn>(user)->OnPeerAbandoned(stream_id);
      return 0;
    };
    cb.stream_stop_sending = [](ngtcp2_conn*, int64_t stream_id, uint64_t, void* user, void*) {
      Self<ServerConn>(user)->OnPeerAbandoned(stream_id);
      return 0;
    };
    cb.get_new_connection_id = [](ngtcp2_conn*, ngtcp2_cid* cid, uint8_t* token, size_t cidlen,
                                  void* user) {
      auto* self = Self<ServerConn>(user);
      Random(cid->data, cidlen);
      cid->datalen = cidlen;
      self->core_->ResetToken(token, cid);
      self->Register(CidKey(cid->data, cid->datalen));
      return 0;
    };
    cb.remove_connection_id = [](ngtcp2_conn*, const ngtcp2_cid* cid, void* user) {
      auto* self = Self<ServerConn>(user);
      std::string key = CidKey(cid->data, cid->datalen);
      self->core_->RemoveCid(key);
      self->cids_.erase(std::remove(self->cids_.begin(), self->cids_.end(), key),
                        self->cids_.end());
      return 0;
    };
    cb.extend_max_local_streams_uni = [](ngtcp2_conn*, uint64_t, void* user) {
      Self<ServerConn>(user)->OpenPendingPushes();
      return 0;
    };

    ngtcp2_settings settings;
    ngtcp2_settings_default(&settings);
    settings.initial_ts = Now();
    settings.log_printf = DebugPrintf();
    const ServerOptions& o = core_->options();
    ngtcp2_transport_params params;
    ngtcp2_transport_params_default(&params);
    params.initial_max_streams_bidi = o.max_streams_per_connection;
    params.initial_max_streams_uni = 0;
    params.initial_max_stream_data_bidi_remote = 256 * 1024;
    params.initial_max_stream_data_bidi_local = 256 * 1024;
    params.initial_max_stream_data_uni = 256 * 1024;
    params.initial_max_data = o.max_frame_size + (1 << 20);
    params.max_idle_timeout = o.idle_timeout_ms * NGTCP2_MILLISECONDS;
    params.active_connection_id_limit = 7;
    params.stateless_reset_token_present = 1;
    params.original_dcid = hd.dcid;

    ngtcp2_cid scid;
    scid.datalen = 16;
    Random(scid.data, scid.datalen);
    core_->ResetToken(params.stateless_reset_token, &scid);
    ngtcp2_path path = PathTo(remote_);
    int rv = ngtcp2_conn_server_new(&conn_, &hd.scid, &scid, &path, hd.version, &cb, &settings,
                                    &params, nullptr, static_cast<Conn*>(this));
    if (rv != 0) return absl::InternalError(ngtcp2_strerror(rv));
    absl::StatusOr<gnutls_session_t> s = tls::NewServerSession(core_->credentials(), &ref_);
    if (!s.ok()) return s.status();
    session_ = *s;
    ngtcp2_conn_set_tls_native_handle(conn_, session_);
    Register(CidKey(scid.data, scid.datalen));
    Register(CidKey(hd.dcid.data, hd.dcid.datalen));  // the client's first DCID
    return absl::OkStatus();
  }

  // From Responder / Push, on the loop thread.
  void StreamOp(int64_t stream_id, std::string payload, int op, WireError code) {
    auto it = streams_.find(stream_id);
    if (it == streams_.end() || it->second->answer.fin()) return;
    Stream& s = *it->second;
    if (op == kOpReset) {
      s.answer.Clear();
      ngtcp2_conn_shutdown_stream(conn_, stream_id, static_cast<uint64_t>(code));
    } else {
      if (op == kOpSend) s.answer.Append(FrameChunk(payload));
      if (op == kOpFinish) s.answer.SetFin();
      Enqueue(stream_id);
    }
    core_->Dirty(this);
  }

  void Push(std::string payload) {
    pending_pushes_.push_back(FrameChunk(payload));
    OpenPendingPushes();
    core_->Dirty(this);
  }

  uint64_t Buffered() const {
    uint64_t n = 0;
    for (const auto& [id, s] : streams_) n += s->request.buffered() + s->answer.held();
    for (const std::string& p : pending_pushes_) n += p.size();
    return n;
  }

 private:
  struct Stream {
    explicit Stream(const FrameOptions& fo) : request(fo) {}
    FrameDecoder request;
    OutQueue answer;
    uint64_t unreleased = 0;  // request bytes not yet given back to the window
    bool handed_off = false;
  };

  void Register(std::string key) {
    core_->AddCid(key, this);
    cids_.push_back(std::move(key));
  }

  Stream& StreamFor(int64_t id) {
    auto& slot = streams_[id];
    if (slot == nullptr) {
      slot = std::make_unique<Stream>(FrameOptions{core_->options().max_frame_size});
      ++core_->open_streams;
    }
    return *slot;
  }

  void Release(Stream& s) {
    if (s.unreleased != 0) {
      ngtcp2_conn_extend_max_offset(conn_, s.unreleased);
      s.unreleased = 0;
    }
  }

  void OnStreamData(int64_t id, uint32_t flags, const uint8_t* data, size_t n) {
    if (!IsBidi(id)) return;
    Stream& s = StreamFor(id);
    ngtcp2_conn_extend_max_stream_offset(conn_, id, n);
    s.unreleased += n;
    if (s.handed_off) {  // bytes after the request's end: ignored
      Release(s);
      return;
    }
    if (n != 0) s.request.Feed(std::string_view(reinterpret_cast<const char*>(data), n));
    if (s.request.failed()) {
      Refuse(id, s, WireErrorOf(s.request.error().code));
      return;
    }
    if ((flags & NGTCP2_STREAM_DATA_FLAG_FIN) == 0) return;
    std::optional<std::string_view> frame = s.request.Next();
    std::string request = frame ? std::string(*frame) : std::string();
    bool more = frame && s.request.Next().has_value();
    Error end = s.request.Finish();
    if (!end.ok()) {
      Refuse(id, s, WireErrorOf(end.code));
      return;
    }
    if (!frame || more) {  // not exactly one frame
      Refuse(id, s, WireError::kBadRequest);
      return;
    }
    EndRequest(s);
    core_->Ready(id_, id, std::move(request));
  }

  // The request is read (or refused): its decoder's memory is freed and its
  // bytes given back to the connection's window.
  void EndRequest(Stream& s) {
    s.handed_off = true;
    s.request = FrameDecoder(FrameOptions{core_->options().max_frame_size});
    Release(s);
  }

  // A framing error: reset both directions with the error's code; the
  // connection goes on serving.
  void Refuse(int64_t id, Stream& s, WireError code) {
    EndRequest(s);
    ++core_->streams_reset;
    ngtcp2_conn_shutdown_stream(conn_, id, static_cast<uint64_t>(code));
    MarkDirty();
  }

  void OnPeerAbandoned(int64_t id) {
    auto it = streams_.find(id);
    if (it != streams_.end()) it->second->answer.Clear();
  }

  void OnStreamClose(int64_t id) {
    auto it = streams_.find(id);
    if (it != streams_.end()) {
      Release(*it->second);
      streams_.erase(it);
      --core_->open_streams;
    }
    if (IsBidi(id) && !ngtcp2_conn_is_local_stream(conn_, id)) {
      ngtcp2_conn_extend_max_streams_bidi(conn_, 1);
    }
  }

  void OpenPendingPushes() {
    while (!pending_pushes_.empty()) {
      int64_t id;
      if (ngtcp2_conn_open_uni_stream(conn_, &id, nullptr) != 0) return;  // at the limit
      Stream& s = StreamFor(id);
      s.handed_off = true;
      s.answer.Append(std::move(pending_pushes_.front()));
      s.answer.SetFin();
      pending_pushes_.pop_front();
      Enqueue(id);
    }
  }

  OutQueue* QueueOf(int64_t id) override {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : &it->second->answer;
  }

  void OnDeath() override { core_->Died(id_); }

  ServerCore* core_;
  absl::flat_hash_map<int64_t, std::unique_ptr<Stream>> streams_;
  std::deque<std::string> pending_pushes_;
  std::vector<std::string> cids_;
};

absl::Status ServerCore::Init() {
  if (options_.cert_file.empty() != options_.key_file.empty()) {
    return absl::InvalidArgumentError("give both a certificate and a key, or neither");
  }
  std::string key_pem;
  if (options_.cert_file.empty()) {
    absl::StatusOr<PemCertificate> dev = MakeSelfSignedCertificate();
    if (!dev.ok()) return dev.status();
    cert_pem_ = dev->cert_pem;
    key_pem = dev->key_pem;
  } else {
    absl::StatusOr<std::string> c = internal::ReadWholeFile(options_.cert_file);
    if (!c.ok()) return c.status();
    absl::StatusOr<std::string> k = internal::ReadWholeFile(options_.key_file);
    if (!k.ok()) return k.status();
    cert_pem_ = *c;
    key_pem = *k;
  }
  if (absl::Status s = cred_.InitServer(cert_pem_, key_pem); !s.ok()) return s;
  absl::StatusOr<Address> addr = Resolve(options_.address, options_.port, /*numeric=*/true);
  if (!addr.ok()) return addr.status();
  return Open(&*addr, nullptr);
}

void ServerCore::OnPacket(const Address& from, const uint8_t* data, size_t n) {
  ngtcp2_version_cid vc;
  int rv = ngtcp2_pkt_decode_version_cid(&vc, data, n, 16);
  if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
    uint8_t buf[NGTCP2_MAX_UDP_PAYLOAD_SIZE];
    uint8_t unused;
    Random(&unused, 1);
    const uint32_t versions[] = {NGTCP2_PROTO_VER_V1, NGTCP2_PROTO_VER_V2_DRAFT};
    ngtcp2_ssize w = ngtcp2_pkt_write_version_negotiation(buf, sizeof buf, unused, vc.scid,
                                                          vc.scidlen, vc.dcid, vc.dcidlen,
                                                          versions, 2);
    if (w > 0) SendPacket(from, buf, static_cast<size_t>(w));
    return;
  }
  if (rv != 0) return;  // not QUIC: dropped
  auto it = by_cid_.find(CidKey(vc.dcid, vc.dcidlen));
  if (it == by_cid_.end()) {
    Accept(from, data, n);
    return;
  }
  ServerConn* c = it->second;
  c->Read(from, data, n);
  dirty_.push_back(c);
}

void ServerCore::Accept(const Address& from, const uint8_t* data, size_t n) {
  ngtcp2_pkt_hd hd;
  if (ngtcp2_accept(&hd, data, n) != 0) return;  // not an Initial: dropped
  if (by_id_.size() >= options_.max_connections) {
    ++connections_refused;
    // CONNECTION_REFUSED without keeping any state (RFC 9000 §10.2.3).
    // The Initial keys derive from the client's DCID, echoed as our SCID.
    uint8_t buf[NGTCP2_MAX_UDP_PAYLOAD_SIZE];
    ngtcp2_ssize w = ngtcp2_crypto_write_connection_close(
        buf, sizeof buf, hd.version, &hd.scid, &hd.dcid, NGTCP2_CONNECTION_REFUSED, nullptr, 0);
    if (w > 0) SendPacket(from, buf, static_cast<size_t>(w));
    return;
  }
  uint64_t id = next_id_++;
  auto conn = std::make_unique<ServerConn>(this, id);
  if (!conn->Init(from, hd).ok()) return;
  ServerConn* c = conn.get();
  by_id_[id] = std::move(conn);
  ++connections_total;
  c->Read(from, data, n);
  dirty_.push_back(c);
}

void ServerCore::Flush() {
  // Handlers first: their answers go out in this same write.
  while (!ready_.empty()) {
    std::vector<ReadyRequest> batch;
    batch.swap(ready_);
    for (ReadyRequest& r : batch) {
      ServerConn* c = Find(r.conn);
      if (c == nullptr || c->dead()) continue;
      ++requests_total;
      Responder responder(shared_from_this(), r.conn, r.stream);
      try {
        handler_(r.request, responder);
      } catch (...) {  // a host's bug ends its answer, not the server
        responder.Reset(WireError::kInternal);
      }
    }
  }
  std::vector<Conn*> dirty;
  dirty.swap(dirty_);
  for (Conn* c : dirty) {
    if (c->dirty()) c->Write();
    timers_.Update(c);
  }
  Reap();
}

void ServerCore::OnExpiry(uint64_t now) {
  for (Conn* c : timers_.Due(now)) {
    c->HandleExpiry(now);
    c->Write();
    timers_.Update(c);
  }
  Reap();
}

// Deletes the connections that died since the last time (not inside
// ngtcp2's callbacks, nor while a list of dirty connections may name them).
void ServerCore::Reap() {
  for (uint64_t id : died_) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;
    timers_.Remove(it->second.get());
    by_id_.erase(it);
  }
  died_.clear();
}

void ServerCore::OnStop() {
  for (auto& [id, c] : by_id_) {
    c->Write();  // answers already queued go out first
    c->CloseWithAppError(WireError::kShutdown, "server shutting down");
    timers_.Remove(c.get());
  }
  by_id_.clear();
}

void ServerCore::StreamOp(uint64_t conn, int64_t stream, std::string payload, int op,
                          WireError code) {
  RunOrPost([self = shared_from_this(), conn, stream, payload = std::move(payload), op,
             code]() mutable {
    if (ServerConn* c = self->Find(conn)) c->StreamOp(stream, std::move(payload), op, code);
  });
}

absl::Status ServerCore::Push(uint64_t conn, std::string payload) {
  if (OnLoopThread() && Find(conn) == nullptr) return absl::NotFoundError("no such connection");
  bool queued = RunOrPost([self = shared_from_this(), conn, payload = std::move(payload)]() mutable {
    if (ServerConn* c = self->Find(conn)) c->Push(std::move(payload));
  });
  return queued ? absl::OkStatus() : absl::FailedPreconditionError("server stopped");
}

std::vector<uint64_t> ServerCore::ConnectionIds() {
  return OnLoop([this] {
           std::vector<uint64_t> ids;
           for (auto& [id, c] : by_id_) {
             if (!c->dead()) ids.push_back(id);
           }
           std::sort(ids.begin(), ids.end());
           return ids;
         })
      .value_or(std::vector<uint64_t>());
}

ServerStats ServerCore::Stats() {
  ServerStats s = OnLoop([this] {
                    ServerStats live;
                    for (auto& [id, c] : by_id_) {
                      if (c->dead()) continue;
                      ++live.connections;
                      live.buffered_bytes += c->Buffered();
                    }
                    live.streams = open_streams;
                    return live;
                  })
                      .value_or(ServerStats());
  s.connections_total = connections_total;
  s.requests_total = requests_total;
  s.streams_reset = streams_reset;
  s.connections_refused = connections_refused;
  return s;
}

void Responder::Send(std::string_view payload) const {
  core_->StreamOp(connection_, stream_, std::string(payload), kOpSend);
}
void Responder::Finish() const { core_->StreamOp(connection_, stream_, {}, kOpFinish); }
void Responder::Reset(WireError code) const {
  core_->StreamOp(connection_, stream_, {}, kOpReset, code);
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options,
                                                      RequestHandler handler) {
  if (!handler) return absl::InvalidArgumentError("no request handler");
  auto core = std::make_shared<ServerCore>(options, std::move(handler));
  if (absl::Status s = core->Init(); !s.ok()) return s;
  core->StartThread();
  return std::unique_ptr<Server>(new Server(std::move(core)));
}

Server::~Server() { Shutdown(); }
uint16_t Server::port() const { return core_->port(); }
const std::string& Server::certificate_pem() const { return core_->cert_pem(); }
absl::Status Server::Push(uint64_t connection, std::string_view payload) {
  return core_->Push(connection, std::string(payload));
}
std::vector<uint64_t> Server::Connections() const { return core_->ConnectionIds(); }
ServerStats Server::Stats() const { return core_->Stats(); }
void Server::Shutdown() { core_->StopAndJoin(); }

// ------------------------------------------------------------- client --

class ClientConn;

struct Pending {  // a request not yet answered
  std::string payload;
  bool raw = false;  // payload is the stream's bytes as they are (no framing)
  std::function<void(std::string_view)> on_frame;
  std::function<void(absl::Status)> on_done;
};

class ClientCore final : public Endpoint, public std::enable_shared_from_this<ClientCore> {
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
    remote_.len = 0;  // the socket is connected: send(), not sendto()
    ngtcp2_callbacks cb{};
    FillCommonCallbacks(&cb);
    cb.client_initial = ngtcp2_crypto_client_initial_cb;
    cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
    cb.handshake_completed = [](ngtcp2_conn*, void* user) {
      auto* self = Self<ClientConn>(user);
      if (!tls::NegotiatedAlpn(self->session_)) return NGTCP2_ERR_CALLBACK_FAILURE;
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
    cb.get_new_connection_id = [](ngtcp2_conn*, ngtcp2_cid* cid, uint8_t* token, size_t cidlen,
                                  void*) {
      Random(cid->data, cidlen);
      cid->datalen = cidlen;
      Random(token, NGTCP2_STATELESS_RESET_TOKENLEN);
      return 0;
    };

    ngtcp2_settings settings;
    ngtcp2_settings_default(&settings);
    settings.initial_ts = Now();
    settings.log_printf = DebugPrintf();
    settings.handshake_timeout = core_->options_.connect_timeout_ms * NGTCP2_MILLISECONDS;
    ngtcp2_transport_params params;
    ngtcp2_transport_params_default(&params);
    params.initial_max_streams_bidi = 0;
    params.initial_max_streams_uni = 100;  // pushes
    params.initial_max_stream_data_bidi_local = 1 << 20;
    params.initial_max_stream_data_uni = 1 << 20;
    params.initial_max_data = 16 << 20;
    params.max_idle_timeout = core_->options_.idle_timeout_ms * NGTCP2_MILLISECONDS;

    ngtcp2_cid dcid, scid;
    dcid.datalen = 18;
    Random(dcid.data, dcid.datalen);
    scid.datalen = 16;
    Random(scid.data, scid.datalen);
    ngtcp2_path path = PathTo(remote);
    int rv = ngtcp2_conn_client_new(&conn_, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1, &cb,
                                    &settings, &params, nullptr, static_cast<Conn*>(this));
    if (rv != 0) return absl::InternalError(ngtcp2_strerror(rv));
    verify_name_ = verify;  // GnuTLS keeps the pointer, not a copy
    absl::StatusOr<gnutls_session_t> s =
        tls::NewClientSession(core_->cred_, &ref_, sni, verify_name_);
    if (!s.ok()) return s.status();
    session_ = *s;
    ngtcp2_conn_set_tls_native_handle(conn_, session_);
    return absl::OkStatus();
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
      s.out.SetFin();
      Enqueue(id);
    }
  }

  void OnStreamData(int64_t id, uint32_t flags, const uint8_t* data, size_t n) {
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
  std::string verify_name_;  // session_ verifies against this (GnuTLS keeps the pointer)
  absl::flat_hash_map<int64_t, Stream> streams_;
  std::deque<Pending> queued_;
  std::vector<std::function<void()>> callbacks_;
};

absl::Status ClientCore::Connect(std::string_view host, uint16_t port) {
  if (absl::Status s = cred_.InitClient(options_.insecure ? std::string() : options_.ca_file);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<Address> remote = Resolve(host, port, /*numeric=*/false);
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
      conn_->CloseWithAppError(WireError::kNoError, "client closed");
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
                        std::function<void(absl::Status)> on_done) {
  core_->Request({std::move(bytes), true, std::move(on_frame), std::move(on_done)});
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
