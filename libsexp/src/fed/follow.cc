// The follow state machine (sexp/fed/follow.h).
#include "sexp/fed/follow.h"

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/strutil.h"
#include "fed/object.h"
#include "sexp/core/writer.h"

namespace sexp::fed {

using ::sexp::internal::AV;
using fed_internal::IdOf;
using fed_internal::Property;

namespace {

// The :object of an activity: the value after :object, or (as sexp::ap
// writes an embedded object) the first list-form child after the pairs.
const Node* ObjectOf(const Node& activity) {
  if (const Node* o = Property(activity, "object")) return o;
  for (size_t i = 1; i < activity.size(); ++i) {
    if (activity[i].is_keyword()) {
      ++i;
      continue;
    }
    if (activity[i].is_list() && activity[i].size() != 0 && activity[i][0].is_symbol()) {
      return &activity[i];
    }
  }
  return nullptr;
}

bool IsType(const Node* v, std::string_view type) {
  return v != nullptr && v->is_list() && v->size() != 0 &&
         (*v)[0].is_symbol(type);
}

// (Type :id ID :actor ACTOR :object OBJECT) as canonical sx; `object_sx`
// is the object's canonical text when it is an embedded object.
std::string ActivitySx(std::string_view type, std::string_view id, std::string_view actor,
                       std::string_view object_id, std::string_view object_sx = {}) {
  Builder b;
  std::vector<Node> items = {b.Symbol(type), b.Keyword("id"),    b.String(id),
                             b.Keyword("actor"), b.String(actor), b.Keyword("object")};
  std::string text;
  if (object_sx.empty()) {
    items.push_back(b.String(object_id));
    Result<std::string> c = Canonical(b.List(items));
    return c.ok() ? *c : std::string();
  }
  // Embed the object's text: canonical forms concatenate.
  items.push_back(b.Nil());
  Result<std::string> c = Canonical(b.List(items));
  if (!c.ok()) return {};
  text = *c;
  const std::string nil = ":object nil)";
  text.replace(text.rfind(nil), nil.size(), absl::StrCat(":object ", AV(object_sx), ")"));
  return text;
}

Outgoing Make(std::string_view type, std::string id, const Actor& me, std::string body,
              std::string inbox) {
  Outgoing o;
  o.activity.id = std::move(id);
  o.activity.actor = me.id;
  o.activity.type = std::string(type);
  o.activity.body = std::move(body);
  o.inboxes.push_back(std::move(inbox));
  return o;
}

std::optional<Follow> Find(const absl::StatusOr<std::vector<Follow>>& list,
                           std::string_view remote) {
  if (!list.ok()) return std::nullopt;
  for (const Follow& f : *list) {
    if (f.remote == remote) return f;
  }
  return std::nullopt;
}

}  // namespace

std::string NewActivityId(const Actor& actor) {
  std::random_device rd;
  return absl::StrFormat("%s/activities/%08x%08x%08x%08x", actor.id, rd(), rd(), rd(), rd());
}

absl::StatusOr<Outgoing> Follows::Follow(const Actor& me, const Actor& target, int64_t now) {
  absl::StatusOr<std::vector<fed::Follow>> following = store_.Following(me.id);
  if (!following.ok()) return following.status();
  std::optional<fed::Follow> had = Find(following, target.id);
  fed::Follow f;
  f.local = me.id;
  f.remote = target.id;
  f.inbox = target.inbox;
  f.shared_inbox = target.shared_inbox;
  f.updated_at = now;
  if (had && had->state == FollowState::kAccepted) {
    f = *had;  // nothing changes; the same request, already answered
  } else {
    f.state = FollowState::kPending;
    f.follow_id = NewActivityId(me);
    if (absl::Status s = store_.PutFollowing(f); !s.ok()) return s;
  }
  return Make("Follow", f.follow_id, me, ActivitySx("Follow", f.follow_id, me.id, target.id),
              target.inbox);
}

absl::StatusOr<Outgoing> Follows::Unfollow(const Actor& me, const Actor& target, int64_t now) {
  std::optional<fed::Follow> had = Find(store_.Following(me.id), target.id);
  if (!had) return absl::NotFoundError(absl::StrCat(me.id, " does not follow ", target.id));
  if (absl::Status s = store_.RemoveFollowing(me.id, target.id); !s.ok()) return s;
  const std::string follow = ActivitySx("Follow", had->follow_id, me.id, target.id);
  const std::string id = NewActivityId(me);
  return Make("Undo", id, me, ActivitySx("Undo", id, me.id, had->follow_id, follow),
              target.inbox);
}

absl::StatusOr<std::vector<Outgoing>> Follows::OnActivity(const Actor& me, const Node& activity,
                                                          const Actor& sender, int64_t now) {
  std::vector<Outgoing> replies;
  if (!activity.is_list() || activity.size() == 0 || !activity[0].is_symbol()) return replies;
  const std::string_view type = activity[0].name();
  const std::optional<std::string> id = IdOf(Property(activity, "id"));
  const std::optional<std::string> actor = IdOf(Property(activity, "actor"));
  if (!id || !actor || *actor != sender.id) return replies;  // only the sender speaks for itself
  const Node* object = ObjectOf(activity);

  if (type == "Follow") {
    if (IdOf(object) != me.id) return replies;  // a Follow of someone else
    fed::Follow f;
    f.local = me.id;
    f.remote = sender.id;
    f.inbox = sender.inbox;
    f.shared_inbox = sender.shared_inbox;
    f.follow_id = *id;
    f.updated_at = now;
    f.state = me.manually_approves ? FollowState::kPending : FollowState::kAccepted;
    if (absl::Status s = store_.PutFollower(f); !s.ok()) return s;
    if (f.state == FollowState::kAccepted) {
      const std::string accept_id = NewActivityId(me);
      replies.push_back(Make("Accept", accept_id, me,
                             ActivitySx("Accept", accept_id, me.id, *id,
                                        ActivitySx("Follow", *id, sender.id, me.id)),
                             sender.inbox));
    }
    return replies;
  }

  if (type == "Undo") {
    // Undo of the sender's Follow of me: by embedded object or by id.
    std::optional<fed::Follow> had = Find(store_.Followers(me.id), sender.id);
    if (!had) return replies;
    const bool follow = IsType(object, "Follow") ? IdOf(Property(*object, "object")) == me.id ||
                                                       IdOf(object) == had->follow_id
                                                 : IdOf(object) == had->follow_id;
    if (follow) {
      if (absl::Status s = store_.RemoveFollower(me.id, sender.id); !s.ok()) return s;
    }
    return replies;
  }

  if (type == "Accept" || type == "Reject") {
    std::optional<fed::Follow> had = Find(store_.Following(me.id), sender.id);
    if (!had) return replies;
    // The object is my Follow: embedded (its :id) or by id. Mastodon and
    // others embed it; some send its id only; an object without an id at
    // all is taken as the one pending follow of that sender.
    const std::optional<std::string> follow_id = IdOf(object);
    if (follow_id && *follow_id != had->follow_id) return replies;
    had->state = type == "Accept" ? FollowState::kAccepted : FollowState::kRejected;
    had->updated_at = now;
    if (absl::Status s = store_.PutFollowing(*had); !s.ok()) return s;
    return replies;
  }
  return replies;
}

absl::StatusOr<Outgoing> Follows::Decide(const Actor& me, std::string_view follower, bool accept,
                                         int64_t now) {
  std::optional<fed::Follow> had = Find(store_.Followers(me.id), follower);
  if (!had || had->state != FollowState::kPending) {
    return absl::NotFoundError(absl::StrCat("no pending follow of ", me.id, " by ", AV(follower)));
  }
  had->state = accept ? FollowState::kAccepted : FollowState::kRejected;
  had->updated_at = now;
  if (absl::Status s = store_.PutFollower(*had); !s.ok()) return s;
  const std::string_view type = accept ? "Accept" : "Reject";
  const std::string id = NewActivityId(me);
  return Make(type, id, me,
              ActivitySx(type, id, me.id, had->follow_id,
                         ActivitySx("Follow", had->follow_id, had->remote, me.id)),
              had->inbox);
}

}  // namespace sexp::fed
