// sexp::fed's SQLite store (sexp/fed/store.h): each call's guarantees, and
// the outbox surviving `kill -9` at random points — a child process runs
// the delivery loop into a deduplicating "receiver" store and is killed
// again and again; after the last restart every (activity, inbox) pair has
// arrived exactly once by id and none is missing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sexp/fed/deliver.h"
#include "sexp/fed/outbox.h"
#include "sexp/fed/store.h"
#include "fed/temp_dir.h"

namespace sexp::fed {
namespace {


using testing::TempDir;

std::unique_ptr<FedStore> Open(const std::string& path) {
  auto s = OpenSqliteStore(path);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

OutboundActivity Act(int i, std::string actor = "https://a.example/users/alice") {
  return {absl::StrCat("https://a.example/act/", i), std::move(actor), "Create",
          absl::StrCat("(Create :id \"https://a.example/act/", i, "\")")};
}

TEST(FedStore, EnqueueIsAtomicAndIdempotent) {
  TempDir dir;
  auto store = Open(dir.File("fed.sqlite"));
  auto first = store->Enqueue(Act(1), {"https://b/inbox", "https://c/inbox"}, 1000);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(*first);
  auto again = store->Enqueue(Act(1), {"https://d/inbox"}, 2000);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);  // the same id: nothing added, not even the new inbox
  auto st = store->Status();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->activities_out, 1u);
  EXPECT_EQ(st->deliveries_pending, 2u);
  auto out = store->Outbound("https://a.example/act/1");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->body, Act(1).body);
  EXPECT_EQ(store->Outbound("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST(FedStore, ClaimLeasesCapsPerInboxAndLeasesRunOut) {
  TempDir dir;
  auto store = Open(dir.File("fed.sqlite"));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->Enqueue(Act(i), {"https://b/inbox"}, 100 + i).ok());
  ASSERT_TRUE(store->Enqueue(Act(9), {"https://c/inbox"}, 200).ok());
  auto first = store->Claim(1000, 10, 500, 2);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 3u);  // two for b (its cap), one for c
  EXPECT_EQ((*first)[0].activity_id, "https://a.example/act/0");  // oldest first
  EXPECT_EQ((*first)[0].body, Act(0).body);
  // Leased: a second claimer (another thread or process) gets none of them,
  // and b's cap counts the posts under way.
  auto second = store->Claim(1100, 10, 500, 2);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->size(), 0u);
  ASSERT_TRUE(store->Delivered((*first)[0].row).ok());
  auto third = store->Claim(1200, 10, 500, 2);
  ASSERT_TRUE(third.ok());
  ASSERT_EQ(third->size(), 1u);
  EXPECT_EQ((*third)[0].activity_id, "https://a.example/act/2");
  // The leases run out (their holder died): claimable again.
  auto later = store->Claim(5000, 10, 500);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->size(), 5u);
}

TEST(FedStore, AHolderThatComesBackTakesItsLeasesBackAtOnce) {
  TempDir dir;
  auto store = Open(dir.File("fed.sqlite"));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->Enqueue(Act(i), {"https://b/inbox"}, 0).ok());
  ASSERT_EQ(store->Claim(10, 2, 60'000, SIZE_MAX, "host-a")->size(), 2u);
  ASSERT_EQ(store->Claim(10, 1, 60'000, SIZE_MAX, "host-b")->size(), 1u);
  EXPECT_EQ(store->Claim(20, 10, 60'000)->size(), 0u);  // all leased
  EXPECT_EQ(*store->ReleaseLeases("host-a"), 2u);       // host-a restarted
  auto again = store->Claim(30, 10, 60'000, SIZE_MAX, "host-a");
  EXPECT_EQ(again->size(), 2u);  // host-b's lease stands
}

TEST(FedStore, AStoreFromANewerSchemaIsRefused) {
  TempDir dir;
  { Open(dir.File("fed.sqlite")); }
  {
    // As a later version would leave it.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.File("fed.sqlite").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto s = OpenSqliteStore(dir.File("fed.sqlite"));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition) << s.status();
}

TEST(FedStore, RetryKillAndRevive) {
  TempDir dir;
  auto store = Open(dir.File("fed.sqlite"));
  ASSERT_TRUE(store->Enqueue(Act(1), {"https://b/inbox", "https://c/inbox"}, 0).ok());
  auto claimed = store->Claim(10, 10, 1000);
  ASSERT_EQ(claimed->size(), 2u);
  ASSERT_TRUE(store->Retry((*claimed)[0].row, 5000, "HTTP 503").ok());
  ASSERT_TRUE(store->Kill((*claimed)[1].row, 20, "HTTP 404").ok());
  EXPECT_EQ(store->Claim(4999, 10, 1000)->size(), 0u);  // not before next_at
  auto due = store->Claim(5000, 10, 1000);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].attempts, 1);
  EXPECT_EQ((*due)[0].last_error, "HTTP 503");
  auto dead = store->DeadLetters(10);
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].inbox, (*claimed)[1].inbox);
  EXPECT_EQ((*dead)[0].last_error, "HTTP 404");
  EXPECT_EQ((*dead)[0].attempts, 1);
  auto revived = store->Revive("", 6000);
  ASSERT_TRUE(revived.ok());
  EXPECT_EQ(*revived, 1u);
  EXPECT_EQ(store->DeadLetters(10)->size(), 0u);
  EXPECT_EQ(store->Status()->deliveries_pending, 2u);
}

TEST(FedStore, ReceiveDeduplicatesByIdPerRecipient) {
  TempDir dir;
  auto store = Open(dir.File("fed.sqlite"));
  InboundActivity a{"https://b/act/1", "https://b/users/bob", "https://a/users/alice", "Create",
                    "(Create)", "sx-signature ed25519 k", 1};
  EXPECT_TRUE(*store->Receive(a));
  EXPECT_FALSE(*store->Receive(a));  // a redelivery
  a.recipient = "https://a/users/carol";
  EXPECT_TRUE(*store->Receive(a));  // another recipient's copy
  auto got = store->Received("https://a/users/alice", 0, 10);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].verified_by, "sx-signature ed25519 k");
}

TEST(FedStore, FollowsAndTheirState) {
  TempDir dir;
  auto store = Open(dir.File("fed.sqlite"));
  Follow f{"https://a/users/alice", "https://b/users/bob", "https://b/users/bob/inbox",
           "https://b/inbox", FollowState::kPending, "https://b/act/f1", 5};
  ASSERT_TRUE(store->PutFollower(f).ok());
  f.state = FollowState::kAccepted;
  ASSERT_TRUE(store->PutFollower(f).ok());  // replaces
  auto followers = store->Followers("https://a/users/alice");
  ASSERT_EQ(followers->size(), 1u);
  EXPECT_EQ((*followers)[0].state, FollowState::kAccepted);
  EXPECT_EQ(store->Following("https://a/users/alice")->size(), 0u);
  ASSERT_TRUE(store->RemoveFollower(f.local, f.remote).ok());
  EXPECT_EQ(store->Followers("https://a/users/alice")->size(), 0u);
}

TEST(FedStore, RelayHoldsUntilAcked) {
  TempDir dir;
  auto store = Open(dir.File("fed.sqlite"));
  EXPECT_EQ(*store->Hold("bob", "act/1", "(a 1)", 1), 1);
  EXPECT_EQ(*store->Hold("bob", "act/2", "(a 2)", 2), 2);
  EXPECT_EQ(*store->Hold("bob", "act/1", "(a 1)", 3), 1);  // held already
  auto held = store->HeldFor("bob", 0, 10);
  ASSERT_EQ(held->size(), 2u);
  EXPECT_EQ((*held)[1].body, "(a 2)");
  EXPECT_EQ(*store->Ack("bob", 1), 1u);
  EXPECT_EQ(store->HeldFor("bob", 0, 10)->size(), 1u);
  EXPECT_EQ(*store->Ack("bob", 2), 1u);
  // Numbers go on rising after the queue emptied.
  EXPECT_EQ(*store->Hold("bob", "act/3", "(a 3)", 4), 3);
}

TEST(FedStore, StateSurvivesReopening) {
  TempDir dir;
  {
    auto store = Open(dir.File("fed.sqlite"));
    ASSERT_TRUE(store->Enqueue(Act(1), {"https://b/inbox"}, 0).ok());
    ASSERT_TRUE(store->Put("key alice", "PEM").ok());
  }
  auto store = Open(dir.File("fed.sqlite"));
  EXPECT_EQ(store->Status()->deliveries_pending, 1u);
  EXPECT_EQ(*store->Get("key alice"), "PEM");
  EXPECT_EQ(store->Get("nope").status().code(), absl::StatusCode::kNotFound);
}

// --- outbox policy ------------------------------------------------------------

TEST(FedOutbox, RecipientsCollapseSharedInboxesAndSkipPending) {
  std::vector<Follow> followers = {
      {"a", "b1", "https://b/u/1/inbox", "https://b/inbox", FollowState::kAccepted, "", 0},
      {"a", "b2", "https://b/u/2/inbox", "https://b/inbox", FollowState::kAccepted, "", 0},
      {"a", "c1", "https://c/u/1/inbox", "", FollowState::kAccepted, "", 0},
      {"a", "d1", "https://d/u/1/inbox", "", FollowState::kPending, "", 0},
      {"a", "e1", "https://e/u/1/inbox", "", FollowState::kRejected, "", 0},
  };
  EXPECT_EQ(Recipients(followers, {"https://x/inbox", "https://c/u/1/inbox"}),
            (std::vector<std::string>{"https://b/inbox", "https://c/u/1/inbox",
                                      "https://x/inbox"}));
}

TEST(FedOutbox, BackoffGrowsIsJitteredCappedAndGivesUp) {
  RetryPolicy p;
  p.first_delay_ms = 1000;
  p.factor = 2;
  p.max_delay_ms = 60'000;
  p.jitter = 0.2;
  p.give_up_after_ms = 3'600'000;
  Delivery d;
  d.created_at = 0;
  std::mt19937_64 rng(7);
  int64_t low = INT64_MAX, high = 0;
  for (int i = 0; i < 1000; ++i) {
    d.attempts = 3;  // the 4th failure: 8 s ± 20 %
    int64_t at = *NextAttempt(p, d, 10'000, rng());
    low = std::min(low, at - 10'000);
    high = std::max(high, at - 10'000);
  }
  EXPECT_GE(low, 6400);
  EXPECT_LE(high, 9600);
  EXPECT_LT(low, 7000);  // the jitter spreads them
  EXPECT_GT(high, 9000);
  d.attempts = 40;  // capped (and no overflow)
  int64_t at = *NextAttempt(p, d, 10'000, 0);
  EXPECT_LE(at - 10'000, 72'000);
  EXPECT_GE(at - 10'000, 48'000);
  // Never past the give-up time; past it, a dead letter.
  EXPECT_EQ(*NextAttempt(p, d, 3'590'000, ~uint64_t{0}), 3'600'000);
  EXPECT_FALSE(NextAttempt(p, d, 3'600'000, 0).has_value());
  p.max_attempts = 3;
  d.attempts = 2;
  EXPECT_FALSE(NextAttempt(p, d, 10'000, 0).has_value());
}

TEST(FedOutbox, OutcomesOfAnswers) {
  EXPECT_EQ(Classify(202), Outcome::kDelivered);
  EXPECT_EQ(Classify(0), Outcome::kRetry);
  EXPECT_EQ(Classify(503), Outcome::kRetry);
  EXPECT_EQ(Classify(429), Outcome::kRetry);
  EXPECT_EQ(Classify(408), Outcome::kRetry);
  EXPECT_EQ(Classify(401), Outcome::kGiveUp);
  EXPECT_EQ(Classify(410), Outcome::kGiveUp);
}

// --- the delivery loop ----------------------------------------------------------

// Receives into a store of its own (dedup by id, as an inbox does); answers
// `status_of(inbox)`; counts posts.
class StoreTransport final : public Transport {
 public:
  StoreTransport(FedStore& receiver, std::function<int(const std::string&)> status_of)
      : receiver_(receiver), status_of_(std::move(status_of)) {}
  void Post(const Delivery& d, std::function<void(int, std::string)> done) override {
    ++posts;
    const int status = status_of_(d.inbox);
    if (status >= 200 && status < 300) {
      InboundActivity a{d.activity_id, d.actor, d.inbox, "Create", d.body, "test", 0};
      if (!receiver_.Receive(a).ok()) return done(500, "receiver store");
    }
    done(status, status == 0 ? "connection refused" : "");
  }
  std::atomic<int> posts{0};

 private:
  FedStore& receiver_;
  std::function<int(const std::string&)> status_of_;
};

TEST(FedDelivery, TheLoopDeliversRetriesAndDeadLettersByItself) {
  TempDir dir;
  auto store = Open(dir.File("out.sqlite"));
  auto received = Open(dir.File("in.sqlite"));
  std::atomic<bool> b_up{false};
  StoreTransport t(*received, [&](const std::string& inbox) {
    if (inbox == "https://b/inbox") return b_up ? 202 : 0;
    if (inbox == "https://gone/inbox") return 410;
    return 202;
  });
  DeliveryOptions o;
  o.retry.first_delay_ms = 20;
  o.retry.jitter = 0;
  o.poll_ms = 10;
  DeliveryLoop loop(*store, t, o);
  loop.Start();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store->Enqueue(Act(i), {"https://b/inbox", "https://c/inbox", "https://gone/inbox"},
                               std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count())
                    .ok());
  }
  loop.Kick();
  auto wait_for = [](auto pred) {
    for (int i = 0; i < 1000 && !pred(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  };
  // c gets everything; gone is given up on at once; b is down: retried.
  ASSERT_TRUE(wait_for([&] { return received->Received("https://c/inbox", 0, 100)->size() == 20; }));
  ASSERT_TRUE(wait_for([&] { return store->DeadLetters(100)->size() == 20; }));
  ASSERT_TRUE(wait_for([&] { return loop.Stats().retried >= 20; }));
  EXPECT_EQ(received->Received("https://b/inbox", 0, 100)->size(), 0u);
  // b comes back: its backlog arrives from the loop's own retries.
  b_up = true;
  ASSERT_TRUE(wait_for([&] { return received->Received("https://b/inbox", 0, 100)->size() == 20; }));
  ASSERT_TRUE(wait_for([&] { return store->Status()->deliveries_pending == 0; }));
  loop.Stop();
  EXPECT_EQ(loop.Stats().in_flight, 0u);
  EXPECT_EQ(loop.Stats().dead, 20u);
}

// The child: delivers everything in `out` into `in`, as fast as it can,
// until killed (or done). Short leases, so that a restart soon retakes what
// the killed child had claimed.
[[noreturn]] void ChildDeliver(const std::string& out_path, const std::string& in_path) {
  auto out = OpenSqliteStore(out_path);
  auto in = OpenSqliteStore(in_path);
  if (!out.ok() || !in.ok()) _exit(3);
  StoreTransport t(**in, [](const std::string&) { return 202; });
  DeliveryOptions o;
  // Long leases: a restart takes its own back at once (owner), so nothing
  // waits for them to run out.
  o.lease_ms = 60'000;
  o.owner = "host-a";
  o.poll_ms = 5;
  o.per_inbox = 2;
  DeliveryLoop loop(**out, t, o);
  loop.Start();
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto st = (*out)->Status();
    if (st.ok() && st->deliveries_pending == 0) break;
  }
  loop.Stop();
  _exit(0);
}

TEST(FedCrash, KillNineAtRandomPointsLosesNothingAndDuplicatesNothing) {
  TempDir dir;
  const std::string out_path = dir.File("out.sqlite"), in_path = dir.File("in.sqlite");
  constexpr int kActivities = 400, kInboxes = 10;
  {
    auto out = Open(out_path);
    std::vector<std::string> inboxes;
    for (int j = 0; j < kInboxes; ++j) inboxes.push_back(absl::StrCat("https://peer", j, "/inbox"));
    for (int i = 0; i < kActivities; ++i) ASSERT_TRUE(out->Enqueue(Act(i), inboxes, 0).ok());
    Open(in_path);  // the receiver's schema, before two processes race to make it
  }
  std::mt19937 rng(12345);
  int kills = 0, mid_work = 0;
  uint64_t pending = kActivities * kInboxes;
  for (int round = 0; round < 40; ++round) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) ChildDeliver(out_path, in_path);
    std::this_thread::sleep_for(std::chrono::microseconds(3000 + rng() % 22000));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) ++kills;
    // A kill that landed while deliveries were being made.
    const uint64_t now_pending = Open(out_path)->Status()->deliveries_pending;
    if (now_pending < pending && now_pending > 0) ++mid_work;
    pending = now_pending;
  }
  std::printf("kill -9: %d kills, %d in the middle of the work, %llu deliveries left\n", kills,
              mid_work, static_cast<unsigned long long>(pending));
  // The last run is left to finish.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ChildDeliver(out_path, in_path);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_GT(kills, 20);
  EXPECT_GE(mid_work, 5);  // the kills hit the fan-out, not an idle child
  auto out = Open(out_path);
  auto in = Open(in_path);
  EXPECT_EQ(out->Status()->deliveries_pending, 0u);
  // Every (activity, inbox) exactly once: the receiver deduplicates by id
  // and recipient, and has all of them.
  for (int j = 0; j < kInboxes; ++j) {
    auto got = in->Received(absl::StrCat("https://peer", j, "/inbox"), 0, 1000);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->size(), static_cast<size_t>(kActivities)) << "inbox " << j;
  }
  EXPECT_EQ(in->Status()->activities_in, static_cast<uint64_t>(kActivities * kInboxes));
}

}  // namespace
}  // namespace sexp::fed
