// The delivery loop (sexp/fed/deliver.h).
#include "sexp/fed/deliver.h"

#include <chrono>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace sexp::fed {

DeliveryLoop::DeliveryLoop(FedStore& store, Transport& transport, DeliveryOptions options)
    : store_(store),
      transport_(transport),
      options_(std::move(options)),
      random_state_(std::random_device{}() | (uint64_t{std::random_device{}()} << 32)) {}

DeliveryLoop::~DeliveryLoop() { Stop(); }

int64_t DeliveryLoop::Now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void DeliveryLoop::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  if (!options_.owner.empty()) {
    absl::StatusOr<uint64_t> freed = store_.ReleaseLeases(options_.owner);
    if (!freed.ok()) {
      ++stats_.store_errors;
      stats_.last_error = std::string(freed.status().message());
    }
  }
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void DeliveryLoop::Kick() {
  std::lock_guard<std::mutex> lock(mu_);
  kicked_ = true;
  cv_.notify_all();
}

void DeliveryLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  // Posts under way report to Finish, which stores their outcome.
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return stats_.in_flight == 0; });
}

DeliveryStats DeliveryLoop::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void DeliveryLoop::Run() {
  for (;;) {
    size_t room;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stopping_) return;
      room = options_.max_in_flight > stats_.in_flight ? options_.max_in_flight - stats_.in_flight
                                                       : 0;
    }
    std::vector<Delivery> due;
    if (room != 0) {
      absl::StatusOr<std::vector<Delivery>> claimed =
          store_.Claim(Now(), room, options_.lease_ms, options_.per_inbox, options_.owner);
      if (claimed.ok()) {
        due = *std::move(claimed);
      } else {
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.store_errors;
        stats_.last_error = std::string(claimed.status().message());
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.in_flight += due.size();
      stats_.posted += due.size();
    }
    for (Delivery& d : due) {
      // The transport may answer at once, on this thread.
      Delivery copy = d;
      transport_.Post(d, [this, copy = std::move(copy)](int status, std::string error) {
        Finish(copy, status, error);
      });
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return;
    // A full batch: there may be more due now. Otherwise wait for a kick,
    // a post to end (room again), or the poll interval (retries come due).
    if (due.size() == room && room != 0) continue;
    cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms),
                 [this] { return kicked_ || stopping_; });
    kicked_ = false;
  }
}

void DeliveryLoop::Finish(const Delivery& d, int status, const std::string& error) {
  const int64_t now = Now();
  absl::Status stored;
  Outcome outcome = Classify(status);
  const std::string why =
      error.empty() ? absl::StrCat("HTTP ", status) : status == 0 ? error
                                                                  : absl::StrCat("HTTP ", status, ": ", error);
  std::optional<int64_t> again;
  if (outcome == Outcome::kRetry) {
    uint64_t random;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // splitmix64: cheap, and a fresh jitter for every retry.
      random_state_ += 0x9e3779b97f4a7c15ULL;
      uint64_t z = random_state_;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      random = z ^ (z >> 31);
    }
    again = NextAttempt(options_.retry, d, now, random);
    if (!again) outcome = Outcome::kGiveUp;
  }
  switch (outcome) {
    case Outcome::kDelivered:
      stored = store_.Delivered(d.row);
      break;
    case Outcome::kRetry:
      stored = store_.Retry(d.row, *again, why);
      break;
    case Outcome::kGiveUp:
      stored = store_.Kill(d.row, now, why);
      break;
  }
  std::lock_guard<std::mutex> lock(mu_);
  --stats_.in_flight;
  if (!stored.ok()) {
    // The lease runs out and the delivery is tried again.
    ++stats_.store_errors;
    stats_.last_error = std::string(stored.message());
  } else if (outcome == Outcome::kDelivered) {
    ++stats_.delivered;
  } else if (outcome == Outcome::kRetry) {
    ++stats_.retried;
    stats_.last_error = why;
  } else {
    ++stats_.dead;
    stats_.last_error = why;
  }
  kicked_ = true;  // room for another post
  cv_.notify_all();
}

}  // namespace sexp::fed
