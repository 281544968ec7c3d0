// The relay's hello / queued / ack (sexp/fed/relay.h): a member away gets
// its held activities in order and in batches, as canonical sx; the queue
// empties only through its ack; nobody speaks for another member.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "sexp/core/reader.h"
#include "sexp/core/writer.h"
#include "fed/temp_dir.h"
#include "sexp/fed/relay.h"

namespace sexp::fed {
namespace {

constexpr char kBob[] = "https://b.example/users/bob";

class RelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*OpenSqliteStore(dir_.File("relay.sqlite")));
  }
  // The relay's answer to `message` from `sender`, checked to be canonical.
  std::string Ask(Relay& relay, const std::string& message, const std::string& sender = kBob) {
    Result<Document> doc = ReadOne(message);
    EXPECT_TRUE(doc.ok());
    absl::StatusOr<std::string> out = relay.OnMessage(sender, doc->roots()[0]);
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return "";
    Result<Document> back = ReadOne(*out);
    EXPECT_TRUE(back.ok()) << *out;
    EXPECT_EQ(*Canonical(back->roots()[0]), *out);
    return *out;
  }
  static std::string Act(int i) {
    return absl::StrCat("(Create :actor \"https://a.example/users/alice\" :id \"https://a.example/act/",
                        i, "\")");
  }

  testing::TempDir dir_;
  std::unique_ptr<FedStore> store_;
};

TEST_F(RelayTest, HelloDrainsInOrderAndOnlyAckEmptiesTheQueue) {
  Relay relay(*store_, 2);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(*relay.Hold(kBob, absl::StrCat("https://a.example/act/", i), Act(i), i), i);
  }
  ASSERT_EQ(*relay.Hold(kBob, "https://a.example/act/2", Act(2), 9), 2);  // held already
  const std::string hello = absl::StrCat("(hello :actor \"", kBob, "\" :last-seen 0)");
  EXPECT_EQ(Ask(relay, hello),
            absl::StrCat("(queued :count 2 :since 0 :through 2 ", Act(1), " ", Act(2), ")"));
  // Asked again without an ack: the same (a member that lost the answer).
  EXPECT_EQ(Ask(relay, hello),
            absl::StrCat("(queued :count 2 :since 0 :through 2 ", Act(1), " ", Act(2), ")"));
  EXPECT_EQ(Ask(relay, absl::StrCat("(hello :actor \"", kBob, "\" :last-seen 2)")),
            absl::StrCat("(queued :count 1 :since 2 :through 3 ", Act(3), ")"));
  EXPECT_EQ(store_->HeldFor(kBob, 0, 10)->size(), 3u);
  EXPECT_EQ(Ask(relay, absl::StrCat("(ack :actor \"", kBob, "\" :through 2)")),
            "(acked :dropped 2 :through 2)");
  EXPECT_EQ(store_->HeldFor(kBob, 0, 10)->size(), 1u);
  EXPECT_EQ(Ask(relay, absl::StrCat("(ack :actor \"", kBob, "\" :through 3)")),
            "(acked :dropped 1 :through 3)");
  EXPECT_EQ(Ask(relay, absl::StrCat("(hello :actor \"", kBob, "\" :last-seen 3)")),
            "(queued :count 0 :since 3 :through 3)");
}

TEST_F(RelayTest, NobodySpeaksForAnotherMemberAndBadMessagesAreRefused) {
  Relay relay(*store_);
  ASSERT_TRUE(relay.Hold(kBob, "https://a.example/act/1", Act(1), 1).ok());
  Result<Document> ack = ReadOne(absl::StrCat("(ack :actor \"", kBob, "\" :through 1)"));
  auto r = relay.OnMessage("https://m.example/users/mallory", ack->roots()[0]);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->HeldFor(kBob, 0, 10)->size(), 1u);
  for (std::string bad : {"(hello)", "(ack :actor \"https://b.example/users/bob\")",
                          "(hello :actor \"https://b.example/users/bob\" :last-seen \"x\")",
                          "(bye :actor \"https://b.example/users/bob\")", "\"hello\""}) {
    Result<Document> doc = ReadOne(bad);
    ASSERT_TRUE(doc.ok());
    EXPECT_EQ(relay.OnMessage(kBob, doc->roots()[0]).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(store_->HeldFor(kBob, 0, 10)->size(), 1u);
}

}  // namespace
}  // namespace sexp::fed
