// RedisTier: one blocking hiredis connection, used under a mutex.
//
// Failure handling is the point of this file. A call finds the connection
// in one of three states:
//   - open: the command is sent; if hiredis reports an I/O or protocol
//     error (server gone, timeout), the context is unusable — hiredis says
//     so — and is freed, and the tier becomes "down";
//   - down, back-off not yet passed: the call fails at once, touching no
//     socket, so a dead Redis costs a clock read per call;
//   - down, back-off passed (or never connected): one connection attempt
//     with the connect timeout. A failed attempt doubles the back-off (up to
//     the maximum); a successful command resets it.
// An error *reply* (say, OOM under maxmemory) is an error of that call only;
// the connection stays open.
//
// Writing to a socket whose peer has gone raises SIGPIPE, which kills a
// process that has not ignored it, and hiredis 0.14 uses plain write(2). A
// library must not change the process's signal dispositions, so each
// command runs with SIGPIPE blocked in the calling thread, and a SIGPIPE it
// raised is taken off the pending set before the mask is restored.
#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <mutex>
#include <string>

#include "sexp/cache/cache.h"

namespace sexp {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct timeval ToTimeval(milliseconds ms) {
  int64_t n = std::max<int64_t>(ms.count(), 1);  // hiredis: 0 means no timeout
  struct timeval tv;
  tv.tv_sec = static_cast<time_t>(n / 1000);
  tv.tv_usec = static_cast<suseconds_t>((n % 1000) * 1000);
  return tv;
}

// Blocks SIGPIPE in this thread for its lifetime, and discards a SIGPIPE
// that arrived meanwhile (unless one was already pending before).
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeGuard() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

}  // namespace

struct RedisTier::Impl {
  explicit Impl(RedisOptions o) : opt(std::move(o)), backoff(opt.initial_backoff) {}
  ~Impl() {
    if (ctx != nullptr) redisFree(ctx);
  }

  const RedisOptions opt;
  std::mutex mu;
  redisContext* ctx = nullptr;     // guarded by mu; null while down
  Clock::time_point next_attempt;  // guarded by mu; epoch: try at once
  milliseconds backoff;            // guarded by mu
  std::string last_error;          // guarded by mu
  std::atomic<uint64_t> attempts{0};
  std::atomic<bool> up{false};

  std::string Where() const { return opt.host + ":" + std::to_string(opt.port); }

  // The connection is unusable: free it and wait out the back-off.
  absl::Status GoDown(std::string text) {
    if (ctx != nullptr) {
      redisFree(ctx);
      ctx = nullptr;
    }
    up.store(false);
    next_attempt = Clock::now() + backoff;
    backoff = std::min(backoff * 2, std::max(opt.max_backoff, opt.initial_backoff));
    last_error = "redis " + Where() + ": " + std::move(text);
    return absl::UnavailableError(last_error);
  }

  // Requires mu. An open context, or why there is none; a connection is
  // not attempted past `deadline`.
  absl::Status Ensure(Clock::time_point deadline) {
    if (ctx != nullptr) return absl::OkStatus();
    Clock::time_point now = Clock::now();
    if (now < next_attempt) {
      auto wait = std::chrono::duration_cast<milliseconds>(next_attempt - now);
      return absl::UnavailableError(last_error + " (down; next attempt in " +
                                    std::to_string(wait.count()) + " ms)");
    }
    milliseconds left = std::chrono::duration_cast<milliseconds>(deadline - now);
    if (left.count() <= 0) return absl::DeadlineExceededError("redis " + Where() + ": no time left");
    attempts.fetch_add(1);
    ctx = redisConnectWithTimeout(opt.host.c_str(), opt.port,
                                  ToTimeval(std::min(opt.connect_timeout, left)));
    if (ctx == nullptr) return GoDown("cannot allocate a connection");
    if (ctx->err != 0) return GoDown(std::string("connect: ") + ctx->errstr);
    if (redisSetTimeout(ctx, ToTimeval(opt.command_timeout)) != REDIS_OK) {
      return GoDown(std::string("set timeout: ") + ctx->errstr);
    }
    up.store(true);
    return absl::OkStatus();
  }

  // Requires an open context: hiredis's text for its last error, or `what`.
  std::string ErrorText(const char* what) const {
    return ctx->errstr[0] != '\0' ? std::string(ctx->errstr) : what;
  }

  // Waits until the connection's socket is ready for `events`, at most
  // until `deadline`. False on timeout or a poll error.
  bool WaitFor(short events, Clock::time_point deadline) {
    for (;;) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{ctx->fd, events, 0};
      int n = poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1 << 30)));
      if (n > 0) return true;
      if (n < 0 && errno != EINTR) return false;
    }
  }

  // Requires mu and an open context. A reply, or a status (the tier is down
  // afterwards if the connection failed or the command ran out of time).
  // The command as a whole — writing it, reading every byte of its reply —
  // ends by the nearer of its own timeout and `deadline`: hiredis's socket
  // timeout applies to each read, which a server trickling its reply could
  // renew for ever.
  absl::StatusOr<ReplyPtr> Command(const char* format, std::string_view a, std::string_view b,
                                   int nargs, Clock::time_point deadline) {
    deadline = std::min(deadline, Clock::now() + opt.command_timeout);
    int appended = nargs == 1 ? redisAppendCommand(ctx, format, a.data(), a.size())
                              : redisAppendCommand(ctx, format, a.data(), a.size(), b.data(),
                                                   b.size());
    if (appended != REDIS_OK) return GoDown("cannot format the command");
    void* raw = nullptr;
    {
      SigpipeGuard guard;
      int written = 0;
      while (!written) {
        if (!WaitFor(POLLOUT, deadline)) return GoDown("command timed out while sending");
        if (redisBufferWrite(ctx, &written) != REDIS_OK) {
          return GoDown(ErrorText("write failed"));
        }
      }
      for (;;) {
        if (redisGetReplyFromReader(ctx, &raw) != REDIS_OK) {
          return GoDown(ErrorText("bad reply"));
        }
        if (raw != nullptr) break;
        if (!WaitFor(POLLIN, deadline)) return GoDown("command timed out");
        if (redisBufferRead(ctx) != REDIS_OK) {
          return GoDown(ErrorText("read failed"));
        }
      }
    }
    ReplyPtr reply(static_cast<redisReply*>(raw));
    if (reply->type == REDIS_REPLY_ERROR) {
      std::string text(reply->str, reply->len);
      return absl::UnavailableError("redis " + Where() + ": " + text);
    }
    backoff = opt.initial_backoff;
    return reply;
  }

  std::string RedisKey(const Digest& key) const { return opt.key_prefix + key.cid(); }
};

RedisTier::RedisTier(RedisOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
RedisTier::~RedisTier() = default;

uint64_t RedisTier::connect_attempts() const { return impl_->attempts.load(); }
bool RedisTier::connected() const { return impl_->up.load(); }

absl::StatusOr<std::optional<std::string>> RedisTier::Get(const Digest& key) {
  return Get(key, Deadline::max());
}

absl::Status RedisTier::Put(const Digest& key, std::string_view bytes) {
  return Put(key, bytes, Deadline::max());
}

absl::StatusOr<std::optional<std::string>> RedisTier::Get(const Digest& key, Deadline deadline) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (absl::Status s = impl_->Ensure(deadline); !s.ok()) return s;
  absl::StatusOr<ReplyPtr> reply = impl_->Command("GET %b", impl_->RedisKey(key), {}, 1, deadline);
  if (!reply.ok()) return reply.status();
  redisReply* r = reply->get();
  if (r->type == REDIS_REPLY_NIL) return std::optional<std::string>();
  if (r->type == REDIS_REPLY_STRING) return std::optional<std::string>(std::string(r->str, r->len));
  return absl::UnavailableError("redis " + impl_->Where() + ": GET: unexpected reply type " +
                                std::to_string(r->type));
}

absl::Status RedisTier::Put(const Digest& key, std::string_view bytes, Deadline deadline) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (absl::Status s = impl_->Ensure(deadline); !s.ok()) return s;
  absl::StatusOr<ReplyPtr> reply =
      impl_->Command("SET %b %b", impl_->RedisKey(key), bytes, 2, deadline);
  if (!reply.ok()) return reply.status();
  redisReply* r = reply->get();
  if (r->type == REDIS_REPLY_STATUS) return absl::OkStatus();
  return absl::UnavailableError("redis " + impl_->Where() + ": SET: unexpected reply type " +
                                std::to_string(r->type));
}

}  // namespace sexp
