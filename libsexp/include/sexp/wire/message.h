// sexp/wire/message.h — the wire's message vocabulary (spec/wire.md §2):
// checking that a message is one the protocol knows, with the fields it
// needs, before it is acted on.
//
//   auto doc = sexp::ReadOne(payload);            // a frame's payload
//   sexp::Error e = sexp::ValidateMessage(doc->roots()[0], &*doc);
//   if (!e.ok()) Reply("(error :code \"bad-request\" :message …)");
//   // e.message: "(GET …): the path must be a string starting with '/', got an int"
//
// A message is a list headed by a symbol of the vocabulary, then positional
// items and keyword pairs (a keyword and its value), in any order. Requests,
// responses and pushes are strict: only their listed keys, of the listed
// types. Activities and the relay, job and discovery messages check what
// they require and allow more keys (ActivityStreams is open-ended).
#ifndef SEXP_WIRE_MESSAGE_H_
#define SEXP_WIRE_MESSAGE_H_

#include <optional>
#include <string_view>

#include "sexp/core/ast.h"
#include "sexp/core/error.h"

namespace sexp {

enum class MessageFamily {
  kRequest,    // GET POST
  kResponse,   // ok not-modified redirect not-found error
  kPush,       // push! swap! batch! class! component-update
  kActivity,   // Create Update Delete Follow Accept Reject Like Announce Undo
  kSigned,     // signed
  kRelay,      // hello queued ack
  kJob,        // submit-job job job-complete
  kDiscovery,  // component-manifest component schema
};
std::string_view MessageFamilyName(MessageFamily family);  // "request", …

// The family of the message `node` is headed by, or nullopt.
std::optional<MessageFamily> FamilyOf(const Node& node);

// Ok, or a `bad-message` error naming the rule broken, positioned at the
// offending node when `doc` (the node's document) is given.
Error ValidateMessage(const Node& node, const Document* doc = nullptr);

// Builders for the messages a server and a client exchange most, as nodes of
// `b`'s document (valid by construction when their arguments are: a path
// starting with '/', addresses from Digest::hex_address()).
// (GET path [:have have])
Node MakeGet(Builder& b, std::string_view path, std::string_view have = {});
// (ok :hash hash body)
Node MakeOk(Builder& b, std::string_view hash, const Node& body);
// (not-modified :hash hash)
Node MakeNotModified(Builder& b, std::string_view hash);
// (not-found :message message)
Node MakeNotFound(Builder& b, std::string_view message);
// (error :code code :message message)
Node MakeErrorResponse(Builder& b, std::string_view code, std::string_view message);

}  // namespace sexp

#endif  // SEXP_WIRE_MESSAGE_H_
