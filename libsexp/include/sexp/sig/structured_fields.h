// sexp/sig/structured_fields.h — Structured Field Values for HTTP (RFC 8941):
// the parser and serializer HTTP Message Signatures need for Signature-Input,
// Signature, Content-Digest and the `sf`/`key` component parameters.
//
//   using namespace sexp::sig::sf;
//   SigResult<Dictionary> d = ParseDictionary(R"(sig1=("@method");created=1)");
//   const Member& m = d->front().second;        // an inner list
//   SerializeInnerList(m.inner);                 // ("@method");created=1
//
// Parsing follows RFC 8941 §4.2 exactly (strict: any deviation is
// `malformed`), within Limits so that hostile fields cost bounded work.
// Values own their text; all functions are pure and thread-safe.
#ifndef SEXP_SIG_STRUCTURED_FIELDS_H_
#define SEXP_SIG_STRUCTURED_FIELDS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sexp/sig/error.h"

namespace sexp::sig::sf {

struct BareItem {
  enum class Type : uint8_t { kInteger, kDecimal, kString, kToken, kBytes, kBoolean };
  Type type = Type::kBoolean;
  int64_t integer = 0;   // kInteger
  int64_t milli = 0;     // kDecimal, in thousandths (3 fraction digits at most)
  std::string text;      // kString / kToken, or the decoded bytes of kBytes
  bool boolean = true;   // kBoolean

  static BareItem Integer(int64_t v) { BareItem b; b.type = Type::kInteger; b.integer = v; return b; }
  static BareItem String(std::string s) { BareItem b; b.type = Type::kString; b.text = std::move(s); return b; }
  static BareItem Token(std::string s) { BareItem b; b.type = Type::kToken; b.text = std::move(s); return b; }
  static BareItem Bytes(std::string s) { BareItem b; b.type = Type::kBytes; b.text = std::move(s); return b; }
  static BareItem Boolean(bool v) { BareItem b; b.type = Type::kBoolean; b.boolean = v; return b; }
};

using Parameters = std::vector<std::pair<std::string, BareItem>>;

struct Item {
  BareItem bare;
  Parameters params;
};

struct InnerList {
  std::vector<Item> items;
  Parameters params;
};

// A list member or dictionary value: an item or an inner list.
struct Member {
  bool is_inner_list = false;
  Item item;
  InnerList inner;
};

using List = std::vector<Member>;
// In field order. A key written twice is kept twice (RFC 8941 keeps the last
// one; a signature verifier refuses both), see HasDuplicateKeys.
using Dictionary = std::vector<std::pair<std::string, Member>>;

struct Limits {
  size_t max_field_bytes = 64 * 1024;
  size_t max_members = 1024;        // list members or dictionary entries
  size_t max_inner_items = 256;     // items of one inner list
  size_t max_params = 64;           // parameters of one item or inner list
};

SigResult<Item> ParseItem(std::string_view field, const Limits& limits = {});
SigResult<List> ParseList(std::string_view field, const Limits& limits = {});
SigResult<Dictionary> ParseDictionary(std::string_view field, const Limits& limits = {});

// The parameter `key` of `params`, or nullptr (the last of repeats wins).
const BareItem* FindParam(const Parameters& params, std::string_view key);
bool HasDuplicateKeys(const Dictionary& dict);

// Serialization (RFC 8941 §4.1). Fails (`malformed`) on a value with no
// serialization: a key or token with bad characters, a string with
// non-ASCII bytes, an integer over 15 digits.
SigResult<std::string> SerializeBareItem(const BareItem& item);
SigResult<std::string> SerializeParams(const Parameters& params);
SigResult<std::string> SerializeItem(const Item& item);
SigResult<std::string> SerializeInnerList(const InnerList& list);
SigResult<std::string> SerializeList(const List& list);
SigResult<std::string> SerializeDictionary(const Dictionary& dict);

}  // namespace sexp::sig::sf

#endif  // SEXP_SIG_STRUCTURED_FIELDS_H_
