// JSON -> sx (sexp/ap/bridge.h; the rules: spec/activitypub.md).
//
// simdjson's On-Demand API walks the text once (its stage 1 has already
// validated the UTF-8 and found every structural character), and each value
// goes straight into the Builder's document: no DOM in between. An object's
// members are pushed onto one value stack (`items_`) as key, value pairs in
// JSON order; what the object becomes is decided at its end, once its
// "type" is known (it may come last): a list headed by the type, with the
// content, attachment and tag arrays and an embedded object moved behind
// the pairs as positional children, or a dict. The content HTML waits until
// then as a view into simdjson's string buffer, which lives as long as the
// parser.
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ap/json_errors.h"
#include "ap/names.h"
#include "core/chars.h"
#include "core/keys.h"
#include "html/elements.h"
#include "sexp/ap/bridge.h"
#include "sexp/core/reader.h"
#include "sexp/html/reader.h"

namespace sexp::ap {
namespace {

namespace od = simdjson::ondemand;
using ap_internal::BadEscape;
using ap_internal::ChildRole;
using ap_internal::FirstControlInString;
using ap_internal::IsWholeNumber;
using ap_internal::NumberPrefixEnd;

// What a value's place in the document says about how to read it.
enum class Place : uint8_t {
  kData,     // an ordinary property value or array element
  kAddress,  // a value of to/cc/bto/bcc/audience: Public aliases read as :public
  kVerbatim  // inside "@context" or a language map: objects keep their keys as strings
};

// A member of the object being read that may become a positional child,
// or that names the type: its index in items_ (of the key; the value is
// the next item) and, for strings decided at the end, the text.
struct Member {
  size_t index = 0;
  bool present = false;
  std::string_view text;  // type, content, rose:sexpr: the JSON string
  bool is_string = false;
  uint64_t offset = 0;    // of that string's opening quote
};

class JsonReader {
 public:
  JsonReader(std::string_view json, const FromJsonOptions& options, FromJsonStats* stats,
             Builder& builder)
      : json_(json), options_(Clamped(options)), stats_(stats), b_(builder) {}

  Result<Node> Run() {
    if (json_.size() > options_.max_bytes) {
      return Fail(ErrorCode::kSizeLimit, options_.max_bytes,
                  "JSON text is larger than max_bytes (" + std::to_string(options_.max_bytes) +
                      " bytes)");
    }
    padded_ = simdjson::padded_string(json_);
    base_ = padded_.data();
    // simdjson's own depth limit stays out of the way of ours (max_depth
    // counts sx lists; content adds none to the JSON).
    if (parser_.allocate(std::max<size_t>(json_.size(), 64), options_.max_depth + 2) !=
        simdjson::SUCCESS) {
      return Fail(ErrorCode::kOutOfMemory, kNoOffset, "out of memory for the JSON parser");
    }
    auto doc = parser_.iterate(padded_);
    if (doc.error() != simdjson::SUCCESS) return FromSimdjson(doc.error(), nullptr);
    doc_ = &doc.value_unsafe();
    od::json_type type;
    if (auto e = doc_->type().get(type); e != simdjson::SUCCESS) return FromSimdjson(e, nullptr);
    if (type != od::json_type::object && type != od::json_type::array) {
      return Fail(ErrorCode::kInvalidToken, 0,
                  "an ActivityStreams document is a JSON object (or an array of them)");
    }
    od::value root;
    if (auto e = doc_->get_value().get(root); e != simdjson::SUCCESS) {
      return FromSimdjson(e, nullptr);
    }
    Node out;
    if (!Value(root, 1, Place::kData, &out)) return error_;
    // simdjson 3.0 has no document::at_end: a location in bounds after the
    // root value is text after it.
    const char* rest = nullptr;
    if (doc_->current_location().get(rest) == simdjson::SUCCESS && rest != nullptr) {
      return Fail(ErrorCode::kTrailingInput, static_cast<uint64_t>(rest - base_),
                  "text after the JSON value");
    }
    if (!b_.error().ok()) return b_.error();
    return out;
  }

 private:
  static FromJsonOptions Clamped(FromJsonOptions o) {
    o.max_depth = std::min(o.max_depth, kMaxJsonDepth);
    return o;
  }

  // ---- errors -----------------------------------------------------------

  uint64_t Offset() {
    if (doc_ == nullptr) return kNoOffset;
    const char* at = nullptr;
    if (doc_->current_location().get(at) != simdjson::SUCCESS || at == nullptr) {
      return json_.size();  // past the last token: the text ended early
    }
    return static_cast<uint64_t>(at - base_);
  }

  Error Fail(ErrorCode code, uint64_t offset, std::string message) {
    error_.code = code;
    error_.offset = offset;
    error_.message = std::move(message);
    Locate(&error_);
    return error_;
  }

  void Locate(Error* e) const {
    if (e->offset == kNoOffset) return;
    e->line = 1;
    e->column = 1;
    uint64_t end = std::min<uint64_t>(e->offset, json_.size());
    for (uint64_t i = 0; i < end; ++i) {
      if (json_[i] == '\n') {
        ++e->line;
        e->column = 1;
      } else {
        ++e->column;
      }
    }
  }

  // A simdjson error as ours. `token` is the raw text of the value being
  // read when there is one (to tell a lone surrogate from other escapes).
  Error FromSimdjson(simdjson::error_code e, const char* token) {
    uint64_t at = token != nullptr ? static_cast<uint64_t>(token - base_) : Offset();
    if (at != kNoOffset && at >= json_.size() && e != simdjson::UTF8_ERROR &&
        e != simdjson::MEMALLOC) {
      return Fail(ErrorCode::kUnexpectedEof, json_.size(), "the JSON text ended early");
    }
    switch (e) {
      case simdjson::UTF8_ERROR: {
        size_t bad = internal::FindInvalidUtf8(json_);
        return Fail(ErrorCode::kInvalidUtf8, bad == std::string_view::npos ? at : bad,
                    "the JSON text is not UTF-8");
      }
      case simdjson::STRING_ERROR: {
        bool lone = false;
        size_t bad = token != nullptr ? BadEscape(Text(), At(token), &lone) : std::string_view::npos;
        uint64_t where = bad != std::string_view::npos ? bad : at;
        if (lone) {
          return Fail(ErrorCode::kInvalidSurrogate, where,
                      "a \\u escape that is a lone surrogate (not a character)");
        }
        return Fail(ErrorCode::kInvalidEscape, where, "an invalid escape in a JSON string");
      }
      case simdjson::UNCLOSED_STRING:
      case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
      case simdjson::EMPTY:
        return Fail(ErrorCode::kUnexpectedEof, json_.size(), "the JSON text ended early");
      case simdjson::DEPTH_ERROR:
        return Fail(ErrorCode::kDepthLimit, at,
                    "JSON nested deeper than max_depth (" + std::to_string(options_.max_depth) +
                        ")");
      case simdjson::UNESCAPED_CHARS: {
        size_t bad = FirstControlInString(Text());
        return Fail(ErrorCode::kInvalidCharacter, bad != std::string_view::npos ? bad : kNoOffset,
                    "a control character inside a JSON string (it must be escaped)");
      }
      case simdjson::NUMBER_OUT_OF_RANGE:
        return Fail(ErrorCode::kNumberOutOfRange, at, "a JSON number past the range of a double");
      case simdjson::NUMBER_ERROR:
        // simdjson 3.0 says NUMBER_ERROR for 1e400 too: a number that is
        // well-formed must be out of range.
        if (token != nullptr && IsWholeNumber(Text(), At(token))) {
          return Fail(ErrorCode::kNumberOutOfRange, at, "a JSON number past the range of a double");
        }
        if (token != nullptr) {
          // A whole number followed by what cannot follow one (01, 1.5x):
          // the number ended and the next byte is no token.
          size_t end = NumberPrefixEnd(Text(), At(token));
          if (end != std::string_view::npos && end > At(token)) {
            return Fail(ErrorCode::kInvalidToken, end, "unexpected character after a number");
          }
        }
        return Fail(ErrorCode::kInvalidNumber, at, "an invalid JSON number");
      case simdjson::MEMALLOC:
        return Fail(ErrorCode::kOutOfMemory, at, "out of memory");
      default:
        return Fail(ErrorCode::kInvalidToken, at,
                    std::string("invalid JSON: ") + simdjson::error_message(e));
    }
  }

  // The text as simdjson reads it, and an offset in it.
  std::string_view Text() const { return {base_, json_.size()}; }
  size_t At(const char* p) const { return static_cast<size_t>(p - base_); }

  bool Check(simdjson::error_code e, const char* token = nullptr) {
    if (e == simdjson::SUCCESS) return true;
    FromSimdjson(e, token);
    return false;
  }

  bool BuilderOk() {
    if (b_.error().ok()) return true;
    error_ = b_.error();
    return false;
  }

  // ---- values -----------------------------------------------------------

  // Reads `v`, a value at sx depth `depth` when it is a list (the root list
  // is 1), into *out.
  bool Value(od::value v, size_t depth, Place place, Node* out) {
    od::json_type type;
    if (!Check(v.type().get(type))) return false;
    switch (type) {
      case od::json_type::object:
        return Object(v, depth, place, out);
      case od::json_type::array:
        return Array(v, depth, place, out);
      case od::json_type::string: {
        const char* token = RawToken(v);
        std::string_view s;
        if (!Check(v.get_string().get(s), token)) return false;
        if (place == Place::kAddress && ap_internal::IsPublicAlias(s)) {
          *out = PublicKeyword();
        } else {
          *out = b_.String(s);
        }
        return BuilderOk();
      }
      case od::json_type::number:
        return Number(v, out);
      case od::json_type::boolean: {
        bool flag;
        if (!Check(v.get_bool().get(flag))) return false;
        *out = b_.Bool(flag);
        return true;
      }
      case od::json_type::null: {
        bool is_null;
        if (!Check(v.is_null().get(is_null))) return false;
        *out = b_.Nil();
        return true;
      }
    }
    return Check(simdjson::TAPE_ERROR);
  }

  const char* RawToken(od::value& v) {
    return v.raw_json_token().data();
  }

  bool Number(od::value& v, Node* out) {
    const char* token = RawToken(v);
    od::number n;
    if (auto e = v.get_number().get(n); e != simdjson::SUCCESS) {
      // simdjson 3.0 reads no integer past 64 bits: such a well-formed
      // number is a double, as every other out-of-int64 integer is; one
      // past the range of a double (1e400) is an error.
      if (e == simdjson::NUMBER_ERROR && token != nullptr && IsWholeNumber(Text(), At(token))) {
        std::string text(v.raw_json_token());
        double d = std::strtod(text.c_str(), nullptr);
        if (std::isfinite(d)) {
          *out = b_.Float(d);
          return BuilderOk();
        }
      }
      return Check(e, token);
    }
    switch (n.get_number_type()) {
      case od::number_type::signed_integer:
        *out = b_.Int(n.get_int64());
        return true;
      case od::number_type::unsigned_integer:  // >= 2^63: past int64
        *out = b_.Float(static_cast<double>(n.get_uint64()));
        return BuilderOk();
      case od::number_type::floating_point_number: {
        // simdjson 3.0.1's On-Demand reads some long mantissas wrong
        // (9223372036854776000.0 as 0): floats are read again from their
        // text with std::from_chars, which is exact.
        double d = n.get_double();
        if (token != nullptr) {
          auto [end, ec] = std::from_chars(token, base_ + json_.size(), d);
          (void)end;
          if (ec != std::errc()) d = n.get_double();
        }
        *out = b_.Float(d);
        return BuilderOk();
      }
    }
    return Check(simdjson::NUMBER_ERROR, token);
  }

  Node PublicKeyword() {
    if (public_.is_nil()) public_ = b_.Keyword("public");
    return public_;
  }

  bool DepthOk(size_t depth) {
    if (depth <= options_.max_depth) return true;
    Fail(ErrorCode::kDepthLimit, Offset(),
         "nested deeper than max_depth (" + std::to_string(options_.max_depth) + ")");
    return false;
  }

  bool Array(od::value& v, size_t depth, Place place, Node* out) {
    if (!DepthOk(depth)) return false;
    od::array array;
    if (!Check(v.get_array().get(array))) return false;
    size_t begin = items_.size();
    bool seen_public = false;
    for (auto element : array) {
      od::value item;
      if (!Check(element.get(item))) return false;
      Node node;
      if (!Value(item, depth + 1, place, &node)) return false;
      if (place == Place::kAddress && node.is_keyword()) {
        // At most one :public per array: a second keyword would pair with
        // the element after it (spec/canonical.md §5).
        if (seen_public) {
          if (stats_ != nullptr) ++stats_->public_aliases_merged;
          continue;
        }
        seen_public = true;
      }
      items_.push_back(node);
    }
    *out = b_.List(absl::MakeConstSpan(items_).subspan(begin));
    items_.resize(begin);
    return BuilderOk();
  }

  // The keyword for a JSON property name (cached: an outbox repeats them).
  Node KeyFor(std::string_view json_name) {
    auto it = key_cache_.find(json_name);
    if (it != key_cache_.end()) return it->second;
    Node k = b_.Keyword(JsonNameToKeyword(json_name));
    if (key_cache_.size() < 4096) key_cache_.emplace(key_names_.emplace_back(json_name), k);
    return k;
  }

  bool Object(od::value& v, size_t depth, Place place, Node* out) {
    if (!DepthOk(depth)) return false;
    if (stats_ != nullptr) ++stats_->objects;
    od::object object;
    if (!Check(v.get_object().get(object))) return false;
    size_t begin = items_.size();
    bool verbatim = place == Place::kVerbatim;
    Member type, content, attachment, tag, embedded, sexpr;
    for (auto result : object) {
      if (!Check(result.error())) return false;
      od::field field = std::move(result).value_unsafe();
      // Where the key starts (for a duplicate-key error), then the key.
      const char* key_token = field.key().raw() - 1;
      key_offsets_.push_back(static_cast<uint64_t>(key_token - base_));
      std::string_view key;
      if (!Check(field.unescaped_key().get(key), key_token)) return false;
      // A key's view is only good until the next one is read; everything
      // that needs it happens here.
      od::value value = field.value();
      size_t index = items_.size();
      items_.push_back(verbatim ? b_.String(key) : KeyFor(key));
      items_.push_back(Node());
      if (!BuilderOk()) return false;
      Member* member = nullptr;
      Place inner = Place::kData;
      if (verbatim || key == "@context") {
        inner = Place::kVerbatim;
      } else if (ap_internal::IsAddressProperty(key)) {
        inner = Place::kAddress;
      } else if (ap_internal::IsLanguageMap(key)) {
        inner = Place::kVerbatim;
      } else if (key == "type") {
        member = &type;
      } else if (key == "content") {
        member = &content;
      } else if (key == "rose:sexpr") {
        member = &sexpr;
      } else if (key == "attachment") {
        member = &attachment;
      } else if (key == "tag") {
        member = &tag;
      } else if (key == "object") {
        member = &embedded;
      }
      if (member != nullptr) {
        member->index = index;
        member->present = true;
        od::json_type vt;
        if (!Check(value.type().get(vt))) return false;
        // Strings that may become content wait for the type to be known.
        if (vt == od::json_type::string && (member == &content || member == &sexpr)) {
          const char* token = RawToken(value);
          if (!Check(value.get_string().get(member->text), token)) return false;
          member->offset = static_cast<uint64_t>(token - base_);
          member->is_string = true;
          continue;
        }
        if (vt == od::json_type::string && member == &type) {
          const char* token = RawToken(value);
          if (!Check(value.get_string().get(member->text), token)) return false;
          member->is_string = true;
          items_[index + 1] = b_.String(member->text);
          if (!BuilderOk()) return false;
          continue;
        }
        member->is_string = false;
        // The object of a list-form parent, an attachment or tag array, is
        // one level deeper as a child than as a pair's value: both are one
        // list inside the parent, so the depth is the same.
      }
      Node node;
      if (!Value(value, depth + 1, inner, &node)) return false;
      items_[index + 1] = node;
    }
    size_t pairs = (items_.size() - begin) / 2;
    size_t first_key = key_offsets_.size() - pairs;
    if (size_t k = internal::FirstRepeatedKey(items_.data() + begin, pairs,
                                              [](size_t j) { return 2 * j; });
        k < pairs) {
      std::string name(items_[begin + 2 * k].is_string() ? items_[begin + 2 * k].str()
                                                         : items_[begin + 2 * k].name());
      Fail(ErrorCode::kDuplicateKey, key_offsets_[first_key + k],
           "the key \"" + (verbatim ? name : KeywordToJsonName(name)) +
               "\" appears twice in one JSON object");
      return false;
    }
    key_offsets_.resize(first_key);
    bool list_form = !verbatim && type.present && type.is_string &&
                     ap_internal::IsTypeName(type.text) && IsValidSymbolName(type.text);
    if (!list_form) {
      // A dict: content and rose:sexpr stay the strings they are.
      if (content.present && content.is_string) items_[content.index + 1] = b_.String(content.text);
      if (sexpr.present && sexpr.is_string) items_[sexpr.index + 1] = b_.String(sexpr.text);
      *out = b_.Dict(absl::MakeConstSpan(items_).subspan(begin));
      items_.resize(begin);
      return BuilderOk();
    }
    return FinishListObject(begin, depth, type, content, sexpr, attachment, tag, embedded, out);
  }

  // (Type :k v … content (attachment …) (tag …) object) from the pairs at
  // items_[begin…].
  bool FinishListObject(size_t begin, size_t depth, const Member& type, const Member& content,
                        const Member& sexpr, const Member& attachment, const Member& tag,
                        const Member& embedded, Node* out) {
    Node content_child;
    bool has_content = false;
    bool sexpr_used = false;
    // Only beside a string content: a peer's sx replaces its HTML, it does
    // not add content where there was none.
    if (sexpr.present && sexpr.is_string && options_.signature_verified && content.present &&
        content.is_string) {
      if (!SexprContent(sexpr.text, sexpr.offset, depth, &content_child, &has_content)) return false;
      sexpr_used = has_content;
    }
    if (!has_content && content.present && content.is_string) {
      if (!HtmlContent(content.text, content.offset, depth, &content_child)) return false;
      has_content = true;
    }
    auto is_child = [&](const Member& m) {
      if (!m.present) return false;
      const Node& value = items_[m.index + 1];
      if (&m == &content) return has_content && content.is_string;  // replaced by the child
      if (&m == &sexpr) return sexpr_used;
      if (&m == &embedded) return ap_internal::RoleOf(value) == ChildRole::kObject;
      return value.is_list() && (value.size() == 0 || !value[0].is_symbol());  // an array
    };
    // Unconverted strings that stay pairs.
    if (content.present && content.is_string && !has_content) {
      items_[content.index + 1] = b_.String(content.text);
    }
    if (sexpr.present && sexpr.is_string && !sexpr_used) {
      items_[sexpr.index + 1] = b_.String(sexpr.text);
    }
    scratch_.clear();
    scratch_.push_back(b_.Symbol(type.text));
    for (size_t i = begin; i < items_.size(); i += 2) {
      size_t index = i;
      bool skip = (type.present && index == type.index) ||
                  (content.present && index == content.index && is_child(content)) ||
                  (sexpr.present && index == sexpr.index && is_child(sexpr)) ||
                  (attachment.present && index == attachment.index && is_child(attachment)) ||
                  (tag.present && index == tag.index && is_child(tag)) ||
                  (embedded.present && index == embedded.index && is_child(embedded));
      if (skip) continue;
      scratch_.push_back(items_[i]);
      scratch_.push_back(items_[i + 1]);
    }
    if (has_content) scratch_.push_back(content_child);
    for (const Member* m : {&attachment, &tag}) {
      if (!is_child(*m)) continue;
      const Node& array = items_[m->index + 1];
      child_items_.clear();
      child_items_.push_back(b_.Symbol(m == &attachment ? "attachment" : "tag"));
      for (const Node& item : array.items()) child_items_.push_back(item);
      scratch_.push_back(b_.List(child_items_));
    }
    if (is_child(embedded)) scratch_.push_back(items_[embedded.index + 1]);
    items_.resize(begin);
    *out = b_.List(scratch_);
    return BuilderOk();
  }

  // max_content_bytes, for a "content" or "rose:sexpr" string at `at`.
  bool ContentFits(std::string_view text, uint64_t at, std::string_view what) {
    if (text.size() <= options_.max_content_bytes) return true;
    Fail(ErrorCode::kSizeLimit, at,
         std::string(what) + " is larger than max_content_bytes (" +
             std::to_string(options_.max_content_bytes) + ")");
    return false;
  }

  // The content HTML as sanitized sx.
  bool HtmlContent(std::string_view html, uint64_t at, size_t depth, Node* out) {
    if (stats_ != nullptr) ++stats_->contents;
    if (!ContentFits(html, at, "content")) return false;
    HtmlReadOptions o;
    o.mode = HtmlReadOptions::Mode::kFragment;
    o.sanitize = true;
    o.max_size = options_.max_content_bytes;
    o.max_depth = options_.max_depth > depth ? options_.max_depth - depth : 0;
    o.timeout = options_.content_timeout;
    HtmlReadStats hs;
    Result<Node> node = HtmlToSxNode(html, b_, o, &hs);
    if (!node.ok()) {
      Fail(node.error().code, at, "content: " + node.error().message);
      return false;
    }
    if (stats_ != nullptr) {
      stats_->dropped_elements += hs.dropped_elements;
      stats_->unwrapped_elements += hs.unwrapped_elements;
      stats_->dropped_attributes += hs.dropped_attributes;
      stats_->unsafe_urls += hs.unsafe_urls;
    }
    *out = node.value();
    return true;
  }

  // A verified "rose:sexpr": read as data (never evaluated) and held to the
  // same profile as HTML content, so a peer's sx can carry nothing its HTML
  // could not. *used is false when it does not read or is no content (the
  // HTML is then used).
  bool SexprContent(std::string_view text, uint64_t at, size_t depth, Node* out, bool* used) {
    *used = false;
    if (!ContentFits(text, at, "rose:sexpr")) return false;
    ReadOptions ro;
    ro.max_size = options_.max_content_bytes;
    ro.max_depth = options_.max_depth > depth ? options_.max_depth - depth : 0;
    Result<Document> doc = ReadOne(text, ro);
    if (!doc.ok() || ap_internal::RoleOf(doc->roots()[0]) != ChildRole::kContent) {
      if (stats_ != nullptr) ++stats_->sexpr_rejected;
      return true;
    }
    if (!CopySanitized(doc->roots()[0], out)) return false;
    if (stats_ != nullptr) {
      ++stats_->contents;
      ++stats_->sexpr_contents;
    }
    *used = true;
    return true;
  }

  // Copies content sx into the builder's document under the sanitizing
  // profile (spec/activitypub.md §11.2): elements kept, unwrapped or
  // dropped, attributes by the allowlist and the URL policy, text, numbers
  // and literals kept, other data dropped. The result is one node: the
  // root's, or (<> node …) when it gives none or several.
  bool CopySanitized(const Node& root, Node* out) {
    std::vector<Node> items;
    SanitizeInto(root, &items);
    if (!BuilderOk()) return false;
    if (items.size() == 1 && (items[0].is_string() || items[0].is_list())) {
      *out = items[0];
    } else {
      items.insert(items.begin(), b_.Symbol("<>"));
      *out = b_.List(items);
    }
    return BuilderOk();
  }

  // Appends what node `x` becomes to *out. Recursion is bounded by the
  // depth the datum was read with.
  void SanitizeInto(const Node& x, std::vector<Node>* out) {
    auto count = [&](size_t FromJsonStats::*field) {
      if (stats_ != nullptr) ++(stats_->*field);
    };
    switch (x.kind()) {
      case Kind::kString:
      case Kind::kInt:
      case Kind::kFloat:
      case Kind::kBool:
      case Kind::kNil:
        out->push_back(CopyScalar(x));
        return;
      case Kind::kList:
        break;
      default:  // keywords, symbols, byte strings, dicts render as no child
        count(&FromJsonStats::dropped_elements);
        return;
    }
    absl::Span<const Node> items = x.items();
    bool headed = !items.empty() && items[0].is_symbol();
    std::string_view tag = headed ? items[0].name() : std::string_view();
    using html_internal::SanitizeVerdict;
    SanitizeVerdict verdict = !headed        ? SanitizeVerdict::kUnwrap
                              : tag == "<>" ? SanitizeVerdict::kKeep
                                            : html_internal::SanitizeElement(tag);
    if (verdict == SanitizeVerdict::kDrop) {
      count(&FromJsonStats::dropped_elements);
      return;
    }
    if (verdict == SanitizeVerdict::kUnwrap && headed) count(&FromJsonStats::unwrapped_elements);
    bool keep = verdict == SanitizeVerdict::kKeep;
    bool attributes = keep && tag != "<>";
    bool is_void = keep && html_internal::IsVoidElement(tag);
    std::vector<Node> mine;
    std::vector<Node>* target = keep ? &mine : out;
    if (keep) mine.push_back(b_.Symbol(tag));
    // The head of a list not headed by a symbol is an ordinary element.
    if (!headed && !items.empty()) SanitizeInto(items[0], target);
    for (size_t i = 1; i < items.size(); ++i) {
      const Node& item = items[i];
      if (item.is_keyword() && i + 1 < items.size()) {  // a pair (spec/canonical.md §5)
        const Node& value = items[++i];
        std::string_view name = item.name();
        bool scalar = value.is_string() || value.is_int() || value.is_float() ||
                      value.is_bool() || value.is_nil();
        if (!attributes || !scalar || !html_internal::IsSanitizeKeptAttribute(name)) {
          count(&FromJsonStats::dropped_attributes);
          continue;
        }
        if (html_internal::IsSanitizeUrlAttribute(name) &&
            !(value.is_string() && html_internal::IsSafeUrl(value.str()))) {
          count(&FromJsonStats::unsafe_urls);
          continue;
        }
        target->push_back(b_.Keyword(name));
        target->push_back(CopyScalar(value));
        continue;
      }
      if (is_void) {  // a void element renders no children
        count(&FromJsonStats::dropped_elements);
        continue;
      }
      SanitizeInto(item, target);
    }
    if (keep) out->push_back(b_.List(mine));
  }

  Node CopyScalar(const Node& x) {
    switch (x.kind()) {
      case Kind::kString: return b_.String(x.str());
      case Kind::kInt: return b_.Int(x.as_int());
      case Kind::kFloat: return b_.Float(x.as_float());
      case Kind::kBool: return b_.Bool(x.as_bool());
      default: return b_.Nil();
    }
  }

  std::string_view json_;
  const FromJsonOptions options_;
  FromJsonStats* stats_;
  Builder& b_;
  simdjson::padded_string padded_;
  const char* base_ = nullptr;
  od::parser parser_;
  od::document* doc_ = nullptr;
  Error error_;
  std::vector<Node> items_;
  std::vector<uint64_t> key_offsets_;  // of the keys of the objects being read
  std::vector<Node> scratch_;
  std::vector<Node> child_items_;
  Node public_;
  // Keys: views of key_names_ (a deque: its strings never move).
  std::unordered_map<std::string_view, Node> key_cache_;
  std::deque<std::string> key_names_;
};

}  // namespace

Result<Document> FromJson(std::string_view json, const FromJsonOptions& options,
                          FromJsonStats* stats) {
  FromJsonStats local;
  Builder builder;
  JsonReader reader(json, options, &local, builder);
  Result<Node> root = reader.Run();
  if (!root.ok()) return root.error();
  if (stats != nullptr) *stats = local;
  return builder.Finish({root.value()});
}

}  // namespace sexp::ap
