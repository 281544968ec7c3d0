// sexp/ap/bridge.h — ActivityStreams 2.0 JSON-LD <-> sx, both ways, as the
// fediverse sends it (normative text and vectors: spec/activitypub.md).
//
//   sexp::Result<sexp::Document> doc = sexp::ap::FromJson(R"({
//       "@context": "https://www.w3.org/ns/activitystreams",
//       "type": "Create", "id": "https://a.example/1", "actor": "https://a.example/u",
//       "to": ["https://www.w3.org/ns/activitystreams#Public"],
//       "object": {"type": "Note", "attributedTo": "https://a.example/u",
//                  "content": "<p>Hi <script>x()</script></p>"}})");
//   // doc->roots()[0] is
//   //   (Create :@context "https://www.w3.org/ns/activitystreams"
//   //           :id "https://a.example/1" :actor "https://a.example/u" :to (:public)
//   //           (Note :attributed-to "https://a.example/u" (p "Hi ")))
//   sexp::Result<std::string> json = sexp::ap::ToJson(doc->roots()[0]);
//
// The mapping, in short (spec/activitypub.md has every rule and vectors):
//
// * An object whose "type" is one string that reads as a symbol and starts
//   with an ASCII capital or holds a ':' (Note, toot:Emoji) is a list headed
//   by that symbol, (Note :k v … child …); any other object (no type, a type
//   array, a lowercase type) is a dict {:k v …} with its "type" as a pair.
// * Property names are keywords in kebab case: attributedTo <-> :attributed-to.
//   A name the kebab form could not give back exactly — empty, holding a
//   '-', starting with an ASCII capital or '=', or holding a byte a keyword
//   cannot hold (space, ( ) " …) — is written `:=` and the name itself, with
//   % and those bytes as %XX: "foo-bar" <-> :=foo-bar, "Emoji" <-> :=Emoji,
//   "a b" <-> :=a%20b. Namespaced names keep their prefix:
//   "toot:featuredTags" <-> :toot:featured-tags, "@context" <-> :@context.
// * In a list-form object four properties are positional children, after the
//   pairs and in this order: the content (a string "content", as sanitized sx
//   — see below), (attachment …) and (tag …) when their JSON value is an
//   array, and the "object" when it is itself a list-form object.
// * Arrays are lists (never headed by a symbol), objects in them as above;
//   strings, numbers (int64, else double), true/false and null map to
//   themselves (nil for null). Single values and arrays, embedded objects and
//   IRIs are kept as received.
// * In to, cc, bto, bcc and audience, "https://www.w3.org/ns/activitystreams#Public",
//   "as:Public" and "Public" read as the keyword :public (at most once per
//   array); :public is written as the https IRI. The http:// spelling is
//   kept as the string it is.
// * "@context" and the language maps (contentMap, nameMap, summaryMap) keep
//   their JSON keys as strings in dicts, exactly: {"en" "…"}.
//
// Content: inbound, a list-form object's "content" HTML is read by
// HtmlToSx with the sanitizing profile (sexp/html/reader.h: script, style,
// iframe, event-handler attributes and unsafe URLs dropped). "rose:sexpr",
// the canonical sx of the content, replaces it only when
// FromJsonOptions::signature_verified is set, beside a string "content",
// and when it reads and has the shape of content; it is read as data with
// the same limits, never evaluated, and held to the same profile (a
// signature says who sent it, not that it is safe). A key repeated in one
// JSON object is an error, never "last one wins" (a signer and a reader
// could otherwise see different values). Outbound, the content child is rendered to
// HTML (safe URL policy) for "content" and written canonically for
// "rose:sexpr"; the root gets the AS2 @context and the project's entry
// {"rose": "https://rose-ash.com/ns#"}.
//
// Ownership and threads: FromJson returns a Document that owns every node
// (nothing borrows `json`); ToJson returns a fresh string. No global state:
// any thread, concurrently. Nothing throws; errors carry the byte offset
// (and line/column) of the JSON where one is known.
#ifndef SEXP_AP_BRIDGE_H_
#define SEXP_AP_BRIDGE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sexp/core/ast.h"
#include "sexp/core/error.h"

namespace sexp::ap {

// The IRI of the public collection, as written outbound.
inline constexpr std::string_view kPublicIri = "https://www.w3.org/ns/activitystreams#Public";
// The AS2 context and the project's namespace (the prefix `rose`).
inline constexpr std::string_view kActivityStreamsContext = "https://www.w3.org/ns/activitystreams";
inline constexpr std::string_view kRoseNamespace = "https://rose-ash.com/ns#";

// The deepest nesting either direction accepts (see max_depth).
inline constexpr size_t kMaxJsonDepth = 1024;

struct FromJsonOptions {
  // Largest JSON text; past it: size-limit.
  size_t max_bytes = size_t{16} << 20;
  // Deepest nesting of the output sx (the root list is 1; content counts
  // too, so the result reads back with ReadOptions::max_depth = max_depth).
  // Past it: depth-limit, at the JSON value (or HTML element) too deep.
  // At most kMaxJsonDepth (a larger value means kMaxJsonDepth): the walk
  // recurses, and its stack must stay small.
  size_t max_depth = 256;
  // Largest "content" (or "rose:sexpr") string; past it: size-limit.
  size_t max_content_bytes = size_t{1} << 20;
  // Wall-time limit for each content's HTML parse (0: none).
  std::chrono::milliseconds content_timeout{0};
  // The caller verified the activity's signature (HTTP or LD signature of
  // the sending actor): a "rose:sexpr" is then used as the content instead
  // of the HTML. Unverified, "rose:sexpr" is kept as the string it is.
  bool signature_verified = false;
};

// What a conversion left out or changed (counts, for logs).
struct FromJsonStats {
  size_t objects = 0;         // JSON objects read
  size_t contents = 0;        // "content" strings made sx
  size_t sexpr_contents = 0;  // of which from a verified "rose:sexpr"
  size_t sexpr_rejected = 0;  // verified "rose:sexpr" that did not read (HTML used)
  size_t public_aliases_merged = 0;  // repeated :public in one array dropped
  // Sanitizing, summed over every content (HtmlReadStats's names).
  size_t dropped_elements = 0;
  size_t unwrapped_elements = 0;
  size_t dropped_attributes = 0;
  size_t unsafe_urls = 0;
};

// JSON text (UTF-8) -> one root. Errors: any JSON syntax error, invalid
// UTF-8 or a lone-surrogate escape (invalid-utf8, invalid-surrogate, with
// the offset), a repeated key in one object (duplicate-key), size-limit,
// depth-limit, timeout, out-of-memory.
Result<Document> FromJson(std::string_view json, const FromJsonOptions& options = {},
                          FromJsonStats* stats = nullptr);

struct ToJsonOptions {
  // Write "rose:sexpr" beside every rendered content (and the rose entry in
  // a root @context the sx holds).
  bool write_sexpr = true;
  // A root object without a :@context pair gets ["https://www.w3.org/ns/
  // activitystreams", {"rose": "https://rose-ash.com/ns#"}]. Off (with
  // write_sexpr off) the JSON holds exactly what the sx holds: JSON -> sx
  // -> JSON then gives back the document received.
  bool default_context = true;
  // Largest JSON output; past it: size-limit. Bounds what a document built
  // in code with shared structure (one list referenced twice, forty levels
  // deep) can make.
  size_t max_output_bytes = size_t{64} << 20;
  // Limits for rendering content (steps and bytes charged per node and
  // byte written, as sexp::RenderData charges them).
  uint64_t max_render_bytes = size_t{16} << 20;
};

// An sx activity, object or collection -> compact JSON (no whitespace).
// Errors: size-limit (max_output_bytes), depth-limit (kMaxJsonDepth), and
// unrepresentable for a
// symbol, byte string or keyword other than :public as a value, markup
// (a list headed by a symbol that is no type name) anywhere but as an
// object's content child, a list-form object with a lone trailing keyword,
// a :type pair, two contents or objects, a positional child of no AS2
// meaning, two members that would have one JSON name (:=a and :a, a
// :content pair beside a content child); content that does not render
// (with the renderer's message).
Result<std::string> ToJson(const Node& value, const ToJsonOptions& options = {});
// The same for a document of one expression (what ReadOne returns); its
// errors then carry the offset, line and column of the node at fault
// (without the document, strings have no offset).
Result<std::string> ToJson(const Document& document, const ToJsonOptions& options = {});

// The name mapping on its own (the keyword's name, without ':').
std::string JsonNameToKeyword(std::string_view json_name);
// Inverse of JsonNameToKeyword; any keyword name maps to some JSON name.
std::string KeywordToJsonName(std::string_view keyword_name);

}  // namespace sexp::ap

#endif  // SEXP_AP_BRIDGE_H_
