// Recipients, backoff and outcomes (sexp/fed/outbox.h).
#include "sexp/fed/outbox.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/container/flat_hash_set.h"

namespace sexp::fed {

std::vector<std::string> Recipients(const std::vector<Follow>& followers,
                                    const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  absl::flat_hash_set<std::string> seen;
  auto add = [&](const std::string& inbox) {
    if (!inbox.empty() && seen.insert(inbox).second) out.push_back(inbox);
  };
  for (const Follow& f : followers) {
    if (f.state != FollowState::kAccepted) continue;
    add(f.shared_inbox.empty() ? f.inbox : f.shared_inbox);
  }
  for (const std::string& inbox : extra) add(inbox);
  return out;
}

std::optional<int64_t> NextAttempt(const RetryPolicy& policy, const Delivery& d, int64_t now,
                                   uint64_t random) {
  const int failures = d.attempts + 1;
  if (policy.max_attempts > 0 && failures >= policy.max_attempts) return std::nullopt;
  if (now - d.created_at >= policy.give_up_after_ms) return std::nullopt;
  // first_delay * factor^(failures-1), capped; computed in floating point
  // and capped before converting, so a large exponent cannot overflow.
  double delay = static_cast<double>(policy.first_delay_ms) *
                 std::pow(std::max(1.0, policy.factor), std::min(failures - 1, 1000));
  delay = std::min(delay, static_cast<double>(policy.max_delay_ms));
  // Jitter spreads the retries of many deliveries that failed together (a
  // peer that was down) so they do not all come back at once.
  const double unit = static_cast<double>(random >> 11) / static_cast<double>(uint64_t{1} << 53);
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  delay *= 1.0 + jitter * (2.0 * unit - 1.0);
  const int64_t wait = std::max<int64_t>(1, static_cast<int64_t>(delay));
  const int64_t at = now + wait;
  // The last try is no later than the give-up time.
  return std::min(at, d.created_at + policy.give_up_after_ms);
}

Outcome Classify(int status) {
  if (status >= 200 && status < 300) return Outcome::kDelivered;
  if (status == 0 || status >= 500 || status == 408 || status == 429) return Outcome::kRetry;
  return Outcome::kGiveUp;
}

}  // namespace sexp::fed
