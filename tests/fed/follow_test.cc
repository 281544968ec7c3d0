// The follow state machine (sexp/fed/follow.h) between two hosts' stores:
// Follow → Accept (or by hand, or Reject), Undo, the replies' shapes (also
// through AS2 JSON and back), and what is ignored (a Follow of someone else,
// an actor that is not the sender, an Accept of another Follow).
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "sexp/ap/bridge.h"
#include "sexp/core/reader.h"
#include "fed/temp_dir.h"
#include "sexp/fed/follow.h"
#include "sexp/fed/outbox.h"

namespace sexp::fed {
namespace {


class FollowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_store_ = std::move(*OpenSqliteStore(dir_.File("a.sqlite")));
    b_store_ = std::move(*OpenSqliteStore(dir_.File("b.sqlite")));
    a_ = Actor::At("https://a.example", "alice");
    b_ = Actor::At("https://b.example", "bob");
  }
  static Document Read(const std::string& text) {
    Result<Document> d = ReadOne(text);
    EXPECT_TRUE(d.ok()) << text;
    return std::move(d).value();
  }
  FollowState StateOf(FedStore& s, const std::string& local, const std::string& remote,
                      bool followers) {
    auto list = followers ? s.Followers(local) : s.Following(local);
    for (const Follow& f : *list) {
      if (f.remote == remote) return f.state;
    }
    ADD_FAILURE() << "no follow " << local << " / " << remote;
    return FollowState::kRejected;
  }

  testing::TempDir dir_;
  std::unique_ptr<FedStore> a_store_, b_store_;
  Actor a_, b_;
};

TEST_F(FollowTest, FollowIsAcceptedAndBothSidesAgree) {
  Follows at_a(*a_store_), at_b(*b_store_);
  auto follow = at_b.Follow(b_, a_, 1);
  ASSERT_TRUE(follow.ok());
  EXPECT_EQ(follow->inboxes, std::vector<std::string>{a_.inbox});
  EXPECT_EQ(follow->activity.type, "Follow");
  EXPECT_EQ(StateOf(*b_store_, b_.id, a_.id, false), FollowState::kPending);
  Document f = Read(follow->activity.body);
  auto replies = at_a.OnActivity(a_, f.roots()[0], b_, 2);
  ASSERT_TRUE(replies.ok());
  ASSERT_EQ(replies->size(), 1u);
  EXPECT_EQ((*replies)[0].activity.type, "Accept");
  EXPECT_EQ((*replies)[0].inboxes, std::vector<std::string>{b_.inbox});
  EXPECT_EQ(StateOf(*a_store_, a_.id, b_.id, true), FollowState::kAccepted);
  // The Accept embeds B's Follow, as Mastodon expects.
  Document accept = Read((*replies)[0].activity.body);
  EXPECT_NE((*replies)[0].activity.body.find(follow->activity.id), std::string::npos);
  ASSERT_TRUE(at_b.OnActivity(b_, accept.roots()[0], a_, 3).ok());
  EXPECT_EQ(StateOf(*b_store_, b_.id, a_.id, false), FollowState::kAccepted);
  // A's followers now get A's activities at B's shared inbox.
  EXPECT_EQ(Recipients(*a_store_->Followers(a_.id)), std::vector<std::string>{b_.shared_inbox});
}

TEST_F(FollowTest, AnAcceptThroughAs2JsonIsUnderstood) {
  Follows at_a(*a_store_), at_b(*b_store_);
  auto follow = at_b.Follow(b_, a_, 1);
  auto replies = at_a.OnActivity(a_, Read(follow->activity.body).roots()[0], b_, 2);
  ASSERT_EQ(replies->size(), 1u);
  // As an ActivityPub server would send it back: JSON, read by sexp::ap.
  Document accept = Read((*replies)[0].activity.body);
  Result<std::string> json = ap::ToJson(accept.roots()[0]);
  ASSERT_TRUE(json.ok());
  Result<Document> back = ap::FromJson(*json);
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(at_b.OnActivity(b_, back->roots()[0], a_, 3).ok());
  EXPECT_EQ(StateOf(*b_store_, b_.id, a_.id, false), FollowState::kAccepted);
}

TEST_F(FollowTest, UndoEndsTheFollow) {
  Follows at_a(*a_store_), at_b(*b_store_);
  auto follow = at_b.Follow(b_, a_, 1);
  at_a.OnActivity(a_, Read(follow->activity.body).roots()[0], b_, 2).IgnoreError();
  ASSERT_EQ(a_store_->Followers(a_.id)->size(), 1u);
  auto undo = at_b.Unfollow(b_, a_, 3);
  ASSERT_TRUE(undo.ok());
  EXPECT_EQ(b_store_->Following(b_.id)->size(), 0u);
  ASSERT_TRUE(at_a.OnActivity(a_, Read(undo->activity.body).roots()[0], b_, 4).ok());
  EXPECT_EQ(a_store_->Followers(a_.id)->size(), 0u);
  EXPECT_EQ(at_b.Unfollow(b_, a_, 5).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FollowTest, ByHandApprovalAndRejection) {
  a_.manually_approves = true;
  Follows at_a(*a_store_), at_b(*b_store_);
  auto follow = at_b.Follow(b_, a_, 1);
  auto replies = at_a.OnActivity(a_, Read(follow->activity.body).roots()[0], b_, 2);
  EXPECT_TRUE(replies->empty());  // waits for a decision
  EXPECT_EQ(StateOf(*a_store_, a_.id, b_.id, true), FollowState::kPending);
  EXPECT_TRUE(Recipients(*a_store_->Followers(a_.id)).empty());  // pending: gets nothing
  auto reject = at_a.Decide(a_, b_.id, false, 3);
  ASSERT_TRUE(reject.ok());
  EXPECT_EQ(reject->activity.type, "Reject");
  EXPECT_EQ(at_a.Decide(a_, b_.id, true, 4).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(at_b.OnActivity(b_, Read(reject->activity.body).roots()[0], a_, 5).ok());
  EXPECT_EQ(StateOf(*b_store_, b_.id, a_.id, false), FollowState::kRejected);
  // Asked again: a new request, pending again.
  auto again = at_b.Follow(b_, a_, 6);
  EXPECT_NE(again->activity.id, follow->activity.id);
  EXPECT_EQ(StateOf(*b_store_, b_.id, a_.id, false), FollowState::kPending);
  at_a.OnActivity(a_, Read(again->activity.body).roots()[0], b_, 7).IgnoreError();
  auto accept = at_a.Decide(a_, b_.id, true, 8);
  ASSERT_TRUE(accept.ok());
  at_b.OnActivity(b_, Read(accept->activity.body).roots()[0], a_, 9).IgnoreError();
  EXPECT_EQ(StateOf(*b_store_, b_.id, a_.id, false), FollowState::kAccepted);
}

TEST_F(FollowTest, WhatIsNotAboutTheseActorsChangesNothing) {
  Follows at_a(*a_store_), at_b(*b_store_);
  Actor carol = Actor::At("https://c.example", "carol");
  // A Follow of carol delivered to A; a Follow claiming carol's name sent by
  // B; an Accept from A of a Follow B never sent.
  const std::string of_carol =
      absl::StrCat("(Follow :id \"https://b.example/f/1\" :actor \"", b_.id, "\" :object \"",
                   carol.id, "\")");
  EXPECT_TRUE(at_a.OnActivity(a_, Read(of_carol).roots()[0], b_, 1)->empty());
  const std::string as_carol =
      absl::StrCat("(Follow :id \"https://b.example/f/2\" :actor \"", carol.id, "\" :object \"",
                   a_.id, "\")");
  EXPECT_TRUE(at_a.OnActivity(a_, Read(as_carol).roots()[0], b_, 2)->empty());
  EXPECT_EQ(a_store_->Followers(a_.id)->size(), 0u);
  auto follow = at_b.Follow(b_, a_, 3);
  const std::string other_accept =
      absl::StrCat("(Accept :id \"https://a.example/x\" :actor \"", a_.id,
                   "\" :object \"https://b.example/f/999\")");
  ASSERT_TRUE(at_b.OnActivity(b_, Read(other_accept).roots()[0], a_, 4).ok());
  EXPECT_EQ(StateOf(*b_store_, b_.id, a_.id, false), FollowState::kPending);
  // A Create is not the follow machine's business.
  EXPECT_TRUE(at_a.OnActivity(a_, Read("(Create :id \"x\" :actor \"https://b.example/users/bob\")")
                                       .roots()[0],
                              b_, 5)
                  ->empty());
}

}  // namespace
}  // namespace sexp::fed
