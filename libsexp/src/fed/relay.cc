// The relay's messages (sexp/fed/relay.h).
#include "sexp/fed/relay.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/strutil.h"
#include "fed/object.h"
#include "sexp/core/writer.h"

namespace sexp::fed {

using ::sexp::internal::AV;
using fed_internal::Property;


absl::StatusOr<int64_t> Relay::Hold(std::string_view member, std::string_view activity_id,
                                    std::string_view activity, int64_t now) {
  return store_.Hold(member, activity_id, activity, now);
}

absl::StatusOr<std::string> Relay::OnMessage(std::string_view sender, const Node& message) {
  if (!message.is_list() || message.size() == 0 || !message[0].is_symbol()) {
    return absl::InvalidArgumentError("a relay message is (hello …) or (ack …)");
  }
  const std::string_view kind = message[0].name();
  const Node* actor = Property(message, "actor");
  if (actor == nullptr || !actor->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("(", AV(kind), " …) needs :actor"));
  }
  if (actor->str() != sender) {
    return absl::PermissionDeniedError(
        absl::StrCat(AV(sender), " cannot speak for ", AV(actor->str())));
  }
  const std::string member(actor->str());
  if (kind == "hello") {
    const Node* seen = Property(message, "last-seen");
    const int64_t since = seen != nullptr && seen->is_int() ? seen->as_int() : 0;
    if (seen != nullptr && !seen->is_int()) {
      return absl::InvalidArgumentError(":last-seen is the number of the last activity seen");
    }
    absl::StatusOr<std::vector<Held>> held = store_.HeldFor(member, since, max_batch_);
    if (!held.ok()) return held.status();
    const int64_t through = held->empty() ? since : held->back().seq;
    // The activities are canonical already: the answer is their text in a
    // list, itself canonical.
    std::string out = absl::StrCat("(queued :count ", held->size(), " :since ", since,
                                   " :through ", through);
    for (const Held& h : *held) absl::StrAppend(&out, " ", h.body);
    out += ")";
    return out;
  }
  if (kind == "ack") {
    const Node* through = Property(message, "through");
    if (through == nullptr || !through->is_int()) {
      return absl::InvalidArgumentError("(ack …) needs :through, a number");
    }
    absl::StatusOr<uint64_t> dropped = store_.Ack(member, through->as_int());
    if (!dropped.ok()) return dropped.status();
    return absl::StrCat("(acked :dropped ", *dropped, " :through ", through->as_int(), ")");
  }
  return absl::InvalidArgumentError(
      absl::StrCat("(", AV(kind), " …) is not a relay message: hello or ack"));
}

}  // namespace sexp::fed
