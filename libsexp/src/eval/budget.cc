// Budget: the one account of an evaluation's limits that the machine, the
// primitives, the renderer and the host's conversions all charge
// (sexp/eval/eval.h; spec/evaluation.md, "How limits are charged").
#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sexp/eval/eval.h"

namespace sexp {

namespace {

int64_t StepsOf(const EvalLimits& limits) {
  return static_cast<int64_t>(
      std::min<uint64_t>(limits.max_steps, std::numeric_limits<int64_t>::max() / 4));
}

}  // namespace

Budget::Budget(const EvalLimits& limits, const std::atomic<bool>* interrupt)
    : limits_(limits), interrupt_(interrupt), steps_left_(StepsOf(limits)) {
  limits_.budget = nullptr;
  if (limits.timeout.count() > 0) {
    has_deadline_ = true;
    deadline_ = std::chrono::steady_clock::now() + limits.timeout;
  }
}

Budget::Budget(const EvalLimits& limits, Budget* parent)
    : Budget(limits, parent != nullptr ? parent->interrupt_ : nullptr) {
  parent_ = parent;
  // The parent's deadline binds too: waits ask for the nearer one.
  if (parent != nullptr && parent->has_deadline_ &&
      (!has_deadline_ || parent->deadline_ < deadline_)) {
    has_deadline_ = true;
    deadline_ = parent->deadline_;
  }
}

uint64_t Budget::steps_used() const {
  int64_t used = StepsOf(limits_) - steps_left_ + (kCheckEvery - until_check_);
  return used > 0 ? static_cast<uint64_t>(used) : 0;
}

std::chrono::milliseconds Budget::time_left(std::chrono::milliseconds fallback) const {
  if (!has_deadline_) return fallback;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline_ - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

bool Budget::Fail(EvalErrorCode code, std::string message) {
  Exhaust(code, std::move(message));
  return false;
}

void Budget::Exhaust(EvalErrorCode code, std::string message) {
  if (exhausted_) return;
  exhausted_ = true;
  code_ = code;
  message_ = std::move(message);
  until_check_ = 0;  // every later Charge takes the slow path and fails
}

bool Budget::ChargeSlow(uint64_t steps) {
  if (exhausted_) return false;
  // Settle what the fast path counted, plus this charge (clamped so the
  // account cannot wrap).
  uint64_t capped = std::min<uint64_t>(steps, std::numeric_limits<int64_t>::max() / 4);
  int64_t settled = (kCheckEvery - until_check_) + static_cast<int64_t>(capped);
  until_check_ = kCheckEvery;
  return SettleSteps(settled) && ChargeAncestors(settled, 0);
}

bool Budget::SettleSteps(int64_t steps) {
  if (exhausted_) return false;
  steps_left_ -= steps;
  if (steps_left_ < 0) {
    return Fail(EvalErrorCode::kStepLimit, absl::StrCat("the evaluation used its ",
                                                        limits_.max_steps,
                                                        " steps (a loop that does not end?)"));
  }
  return CheckNow();
}

bool Budget::ChargeAncestors(int64_t steps, uint64_t bytes) {
  // A loop, not a recursion: nested evaluations make chains as long as
  // their depth.
  for (Budget* p = parent_; p != nullptr; p = p->parent_) {
    bool ok = (steps == 0 || p->SettleSteps(steps)) && (bytes == 0 || p->ChargeOwnBytes(bytes));
    if (!ok) return Fail(p->code_, p->message_);
  }
  return true;
}

bool Budget::CheckNow() {
  if (exhausted_) return false;
  if (interrupt_ != nullptr && interrupt_->load(std::memory_order_relaxed)) {
    return Fail(EvalErrorCode::kInterrupted, "the evaluation was interrupted by the host");
  }
  if (has_deadline_ && std::chrono::steady_clock::now() >= deadline_) {
    return Fail(EvalErrorCode::kTimeout,
                parent_ != nullptr && parent_->has_deadline_ && parent_->deadline_ == deadline_
                    ? absl::StrCat("the enclosing evaluation ran longer than ",
                                   parent_->limits_.timeout.count(), " ms")
                    : absl::StrCat("the evaluation ran longer than ", limits_.timeout.count(),
                                   " ms"));
  }
  return true;
}

bool Budget::ChargeOwnBytes(uint64_t bytes) {
  if (exhausted_) return false;
  if (bytes > limits_.max_bytes || bytes_used_ > limits_.max_bytes - bytes) {
    return Fail(EvalErrorCode::kMemoryLimit, absl::StrCat("the evaluation allocated more than its ",
                                                          limits_.max_bytes, " bytes"));
  }
  bytes_used_ += bytes;
  return true;
}

bool Budget::ChargeBytes(uint64_t bytes) {
  return ChargeOwnBytes(bytes) && (parent_ == nullptr || ChargeAncestors(0, bytes));
}

int64_t Budget::Lease(int64_t want) {
  if (exhausted_) return 0;
  if (steps_left_ <= 0) {
    Fail(EvalErrorCode::kStepLimit, absl::StrCat("the evaluation used its ", limits_.max_steps,
                                                 " steps (a loop that does not end?)"));
    return 0;
  }
  int64_t granted = std::min(want, steps_left_);
  steps_left_ -= granted;
  if (!ChargeAncestors(granted, 0)) return 0;
  return CheckNow() ? granted : 0;
}

void Budget::Return(int64_t unused) {
  steps_left_ += unused;
  // The parent was charged the whole lease: an overdraft (a charge larger
  // than what was left of it) is charged to it as well; a refund is not
  // worth the bookkeeping.
  if (unused < 0) ChargeAncestors(-unused, 0);
}

}  // namespace sexp
