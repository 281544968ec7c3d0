// sx -> JSON (sexp/ap/bridge.h; the rules: spec/activitypub.md).
//
// One recursive walk appends compact JSON to a string. A list-form object
// is read the way the canonical form reads it (spec/canonical.md §5): after
// the head, a keyword followed by an element is a pair, anything else is a
// positional child, whose role (content, attachment, tag, object) its shape
// says (ap/names.h). Content is rendered by the HTML renderer as data (no
// code runs; unsafe URLs neutralized) and written canonically beside it as
// "rose:sexpr".
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "ap/names.h"
#include "core/chars.h"
#include "sexp/ap/bridge.h"
#include "sexp/core/arena.h"
#include "sexp/core/sink.h"
#include "sexp/core/writer.h"
#include "sexp/eval/eval.h"
#include "sexp/html/render.h"

namespace sexp::ap {
namespace {

using ap_internal::ChildRole;


class JsonWriter {
 public:
  // `source`: the text the nodes were read from, when known (string nodes
  // find their offsets through it).
  JsonWriter(const ToJsonOptions& options, const char* source)
      : options_(options), source_(source) {}

  Result<std::string> Run(const Node& root) {
    bool ok;
    names_.clear();
    if (IsListObject(root)) {
      ok = ListObject(root, 1, /*root=*/true);
    } else if (root.is_dict()) {
      ok = Dict(root, 1, /*root=*/true);
    } else {
      ok = Value(root, 1);
    }
    if (ok && out_.size() > options_.max_output_bytes) {
      Fail(nullptr, "the JSON is larger than max_output_bytes (" +
                        std::to_string(options_.max_output_bytes) + ")");
      error_.code = ErrorCode::kSizeLimit;
      ok = false;
    }
    if (!ok) return error_;
    if (context_end_ != 0 && wrote_sexpr_ && !context_defines_rose_) AddRoseToContext();
    // Builder-made strings need not be UTF-8; JSON text must be.
    if (internal::FindInvalidUtf8(out_) != std::string_view::npos) {
      return Fail(nullptr, "a string that is not UTF-8 has no JSON form");
    }
    return std::move(out_);
  }

 private:
  // A list headed by a type name; a list headed by another symbol is
  // markup, which has a JSON form only as an object's content child.
  static bool IsListObject(const Node& n) {
    return n.is_list() && n.size() > 0 && n[0].is_symbol() && ap_internal::IsTypeName(n[0].name());
  }
  static bool IsMarkup(const Node& n) {
    return n.is_list() && n.size() > 0 && n[0].is_symbol() && !IsListObject(n);
  }

  Error Fail(const Node* at, std::string message) {
    error_.code = ErrorCode::kUnrepresentable;
    error_.message = std::move(message);
    // A read node knows its offset (a string's needs its document, which
    // ToJson is not given); Document::Locate turns it into line and column.
    if (at != nullptr && Offset(*at) != Node::kNoPos32) error_.offset = Offset(*at);
    return error_;
  }

  bool Value(const Node& n, size_t depth) {
    if (out_.size() > options_.max_output_bytes) {
      Fail(&n, "the JSON is larger than max_output_bytes (" +
                   std::to_string(options_.max_output_bytes) + ")");
      error_.code = ErrorCode::kSizeLimit;
      return false;
    }
    switch (n.kind()) {
      case Kind::kNil:
        out_ += "null";
        return true;
      case Kind::kBool:
        out_ += n.as_bool() ? "true" : "false";
        return true;
      case Kind::kInt:
        out_ += std::to_string(n.as_int());
        return true;
      case Kind::kFloat: {
        char buffer[32];
        out_.append(buffer, FormatFloat(n.as_float(), buffer));
        return true;
      }
      case Kind::kString:
        String(n.str());
        return true;
      case Kind::kKeyword:
        if (n.name() == "public") {
          String(kPublicIri);
          return true;
        }
        Fail(&n, "the keyword :" + std::string(n.name()) +
                     " as a value has no JSON form (only :public has)");
        return false;
      case Kind::kSymbol:
        Fail(&n, "the symbol " + std::string(n.name()) + " as a value has no JSON form");
        return false;
      case Kind::kBytes:
        Fail(&n, "a byte string has no JSON form");
        return false;
      case Kind::kList:
        if (IsListObject(n)) return ListObject(n, depth, false);
        if (IsMarkup(n)) {
          Fail(&n, "(" + std::string(n[0].name()) +
                       " …) is markup, not an object (a type starts with a capital or holds "
                       "':'); only an object's content child may be markup");
          return false;
        }
        return Array(n.items(), depth);
      case Kind::kDict:
        return Dict(n, depth, false);
    }
    return false;
  }

  bool Deeper(size_t depth) {
    if (depth <= kMaxJsonDepth) return true;
    Fail(nullptr, "nested deeper than " + std::to_string(kMaxJsonDepth));
    error_.code = ErrorCode::kDepthLimit;
    return false;
  }

  bool Array(absl::Span<const Node> items, size_t depth) {
    if (!Deeper(depth)) return false;
    out_ += '[';
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out_ += ',';
      if (!Value(items[i], depth + 1)) return false;
    }
    out_ += ']';
    return true;
  }

  // Writes "name": for a keyword key (cached per atom: an outbox repeats
  // them) and returns that text.
  std::string_view KeywordKey(const Node& key) {
    auto [it, fresh] = key_cache_.try_emplace(key.atom());
    if (fresh) {
      std::string quoted;
      std::swap(quoted, out_);
      String(KeywordToJsonName(key.name()));
      out_ += ':';
      std::swap(quoted, out_);
      it->second = std::move(quoted);
    }
    out_ += it->second;
    return it->second;
  }

  std::string_view Key(const Node& key) {
    if (key.is_keyword()) return KeywordKey(key);
    size_t start = out_.size();
    String(key.str());
    out_ += ':';
    return std::string_view(out_).substr(start);
  }

  // One JSON object's member names, to refuse writing one twice (two sx
  // spellings of one name, a :content pair beside a content child, …): a
  // JSON reader would keep one of them, which one depending on the reader.
  // Names are the quoted "name": texts; nested objects push and pop.
  // The error names the later of the two nodes in the source.
  bool NameIsNew(std::string_view quoted, size_t begin, const Node* at) {
    for (size_t i = begin; i < names_.size(); ++i) {
      if (names_[i].first != quoted) continue;
      const Node* other = names_[i].second;
      if (other != nullptr && Offset(*other) != Node::kNoPos32 &&
          (Offset(*at) == Node::kNoPos32 || Offset(*other) > Offset(*at))) {
        at = other;
      }
      Fail(at, "two members named " + std::string(quoted.substr(0, quoted.size() - 1)) +
                   " in one JSON object");
      return false;
    }
    names_.emplace_back(quoted, at);
    return true;
  }

  uint32_t Offset(const Node& n) const {
    return source_ != nullptr || !n.is_string() ? n.raw_offset(source_) : Node::kNoPos32;
  }

  void Comma(bool* first) {
    if (!*first) out_ += ',';
    *first = false;
  }

  // The root's "@context": as held, or the default one.
  bool Context(const Node* held, bool* first) {
    if (held == nullptr && !options_.default_context) return true;
    Comma(first);
    out_ += "\"@context\":";
    if (held == nullptr) {
      out_ += "[\"";
      out_ += kActivityStreamsContext;
      out_ += "\",{\"rose\":\"";
      out_ += kRoseNamespace;
      out_ += "\"}]";
      return true;
    }
    context_begin_ = out_.size();
    if (!Value(*held, 2)) return false;
    context_end_ = out_.size();
    context_defines_rose_ = DefinesRose(*held);
    return true;
  }

  static bool DefinesRose(const Node& context) {
    if (context.is_dict()) {
      for (size_t i = 0; i < context.size(); i += 2) {
        const Node& k = context[i];
        if ((k.is_string() && k.str() == "rose") || (k.is_keyword() && k.name() == "rose")) {
          return true;
        }
      }
    } else if (context.is_list()) {
      for (const Node& item : context.items()) {
        if (item.is_dict() && DefinesRose(item)) return true;
      }
    }
    return false;
  }

  // A held root @context that lacks the rose prefix gets it appended, so
  // that "rose:sexpr" expands to the project's IRI.
  void AddRoseToContext() {
    std::string entry = "{\"rose\":\"" + std::string(kRoseNamespace) + "\"}";
    std::string_view held(out_.data() + context_begin_, context_end_ - context_begin_);
    std::string replacement;
    if (held.size() >= 2 && held.front() == '[') {
      replacement.assign(held.substr(0, held.size() - 1));
      if (held.size() > 2) replacement += ',';
      replacement += entry;
      replacement += ']';
    } else {
      replacement = "[" + std::string(held) + "," + entry + "]";
    }
    out_.replace(context_begin_, context_end_ - context_begin_, replacement);
  }

  static bool IsContextKey(const Node& key) {
    return (key.is_keyword() && key.name() == "@context") ||
           (key.is_string() && key.str() == "@context");
  }

  bool Dict(const Node& dict, size_t depth, bool root) {
    if (!Deeper(depth)) return false;
    out_ += '{';
    bool first = true;
    const Node* context = nullptr;
    if (root) {
      for (size_t i = 0; i < dict.size(); i += 2) {
        if (IsContextKey(dict[i])) context = &dict[i + 1];
      }
      if (!Context(context, &first)) return false;
    }
    size_t names_begin = names_.size();
    if (context != nullptr) names_.emplace_back("\"@context\":", nullptr);
    for (size_t i = 0; i < dict.size(); i += 2) {
      if (root && IsContextKey(dict[i])) continue;
      Comma(&first);
      if (!NameIsNew(Key(dict[i]), names_begin, &dict[i])) return false;
      if (!Value(dict[i + 1], depth + 1)) return false;
    }
    names_.resize(names_begin);
    out_ += '}';
    return true;
  }

  bool ListObject(const Node& list, size_t depth, bool root) {
    if (!Deeper(depth)) return false;
    absl::Span<const Node> items = list.items();
    std::string_view type = items[0].name();
    // Pairs and positional children, as spec/canonical.md §5 pairs them.
    const Node* children[4] = {nullptr, nullptr, nullptr, nullptr};  // by ChildRole
    const Node* context = nullptr;
    const Node* kept_sexpr = nullptr;
    // Where the pairs are (a local: the walk below recurses into values).
    absl::InlinedVector<size_t, 16> pairs;
    for (size_t i = 1; i < items.size();) {
      const Node& x = items[i];
      if (x.is_keyword()) {
        if (i + 1 == items.size()) {
          Fail(&x, "(" + std::string(type) + " …) ends with the keyword :" +
                       std::string(x.name()) + " and no value");
          return false;
        }
        std::string_view name = x.name();
        if (name == "type") {
          Fail(&x, "(" + std::string(type) + " …) has a :type pair; its head is its type");
          return false;
        }
        if (name == "@context") context = &items[i + 1];
        if (name == "rose:sexpr") kept_sexpr = &items[i + 1];
        pairs.push_back(i);
        i += 2;
        continue;
      }
      ChildRole role = ap_internal::RoleOf(x);
      if (role == ChildRole::kInvalid) {
        Fail(&x, "a positional child of (" + std::string(type) +
                     " …) that is neither content, (attachment …), (tag …) nor an object");
        return false;
      }
      const Node*& slot = children[static_cast<int>(role)];
      if (slot != nullptr) {
        static constexpr const char* kRoleNames[] = {"contents", "attachment lists",
                                                     "tag lists", "objects"};
        Fail(&x, "(" + std::string(type) + " …) has two " + kRoleNames[static_cast<int>(role)]);
        return false;
      }
      slot = &x;
      ++i;
    }
    const Node* content = children[static_cast<int>(ChildRole::kContent)];
    bool write_sexpr = content != nullptr && options_.write_sexpr;

    // The names the children will take are claimed first, so that a pair
    // of the same name is the one reported.
    size_t names_begin = names_.size();
    names_.emplace_back("\"type\":", &items[0]);
    static constexpr std::string_view kChildKeys[] = {"\"content\":", "\"attachment\":",
                                                      "\"tag\":", "\"object\":"};
    for (int role = 0; role < 4; ++role) {
      if (children[role] != nullptr) names_.emplace_back(kChildKeys[role], children[role]);
    }
    if (write_sexpr) names_.emplace_back("\"rose:sexpr\":", content);
    if (context != nullptr) names_.emplace_back("\"@context\":", nullptr);

    // "@context" first, then "type" (spec/activitypub.md §5.5).
    out_ += '{';
    bool first = true;
    if (root) {
      if (!Context(context, &first)) return false;
    } else if (context != nullptr) {
      Comma(&first);
      out_ += "\"@context\":";
      if (!Value(*context, depth + 1)) return false;
    }
    Comma(&first);
    out_ += "\"type\":";
    String(type);
    for (size_t i : pairs) {
      const Node& key = items[i];
      if (&items[i + 1] == context) continue;  // written first
      if (write_sexpr && &items[i + 1] == kept_sexpr) continue;  // replaced below
      Comma(&first);
      if (!NameIsNew(KeywordKey(key), names_begin, &key)) return false;
      if (!Value(items[i + 1], depth + 1)) return false;
    }
    if (content != nullptr && !Content(*content, &first, write_sexpr)) return false;
    for (ChildRole role : {ChildRole::kAttachment, ChildRole::kTag}) {
      const Node* child = children[static_cast<int>(role)];
      if (child == nullptr) continue;
      Comma(&first);
      out_ += kChildKeys[static_cast<int>(role)];
      if (!Array(child->items().subspan(1), depth + 1)) return false;
    }
    if (const Node* object = children[static_cast<int>(ChildRole::kObject)]) {
      Comma(&first);
      out_ += "\"object\":";
      if (!ListObject(*object, depth + 1, false)) return false;
    }
    names_.resize(names_begin);
    out_ += '}';
    return true;
  }

  bool Content(const Node& content, bool* first, bool write_sexpr) {
    Comma(first);
    out_ += "\"content\":";
    html_.clear();
    if (content.is_string()) {
      html_ = EscapeHtml(content.str());
    } else {
      Arena values;
      sexp::Value tree;
      if (!AsValue(content, values, &tree)) {
        Fail(&content, "out of memory");
        error_.code = ErrorCode::kOutOfMemory;
        return false;
      }
      StringSink sink(&html_);
      EvalLimits limits;
      limits.max_bytes = options_.max_render_bytes;
      RenderOptions render;  // the safe URL policy; unsafe URLs neutralized
      EvalResult r = RenderData(tree, sink, render, limits);
      if (!r.ok()) {
        Fail(&content, "content does not render: " + r.error().message);
        return false;
      }
    }
    String(html_);
    if (write_sexpr) {
      Result<std::string> text = Canonical(content);
      if (!text.ok()) {
        error_ = text.error();
        return false;
      }
      out_ += ",\"rose:sexpr\":";
      String(*text);
      wrote_sexpr_ = true;
    }
    return true;
  }

  // A view of content sx as evaluator values for the renderer: strings and
  // names point into the node's document, the lists into `arena`.
  static bool AsValue(const Node& n, Arena& arena, sexp::Value* out) {
    switch (n.kind()) {
      case Kind::kNil: *out = sexp::Value(); return true;
      case Kind::kBool: *out = sexp::Value::Bool(n.as_bool()); return true;
      case Kind::kInt: *out = sexp::Value::Int(n.as_int()); return true;
      case Kind::kFloat: *out = sexp::Value::Float(n.as_float()); return true;
      case Kind::kString: *out = sexp::Value::StringView(n.str()); return true;
      case Kind::kBytes: *out = sexp::Value::BytesView(n.bytes()); return true;
      case Kind::kSymbol: *out = sexp::Value::TransientSymbol(n.atom()); return true;
      case Kind::kKeyword: *out = sexp::Value::TransientKeyword(n.atom()); return true;
      case Kind::kList:
      case Kind::kDict: {
        size_t count = n.size();
        auto* items = static_cast<sexp::Value*>(arena.Allocate((count + 1) * sizeof(sexp::Value)));
        if (items == nullptr) return false;
        for (size_t i = 0; i < count; ++i) {
          new (&items[i]) sexp::Value();
          if (!AsValue(n[i], arena, &items[i])) return false;
        }
        absl::Span<const sexp::Value> span(items, count);
        *out = n.is_list() ? sexp::Value::ListView(span) : sexp::Value::DictView(span);
        return true;
      }
    }
    return false;
  }

  // A JSON string: " \ and control characters escaped, the rest as is.
  void String(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_ += '"';
    size_t run = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        case '\b': out_ += "\\b"; break;
        case '\f': out_ += "\\f"; break;
        default:
          out_ += "\\u00";
          out_ += kHex[c >> 4];
          out_ += kHex[c & 15];
      }
    }
    out_.append(s.data() + run, s.size() - run);
    out_ += '"';
  }

  const ToJsonOptions& options_;
  std::string out_;
  std::string html_;
  Error error_;
  absl::flat_hash_map<const Atom*, std::string> key_cache_;
  std::vector<std::pair<std::string, const Node*>> names_;  // see NameIsNew
  const char* source_;
  size_t context_begin_ = 0;
  size_t context_end_ = 0;
  bool context_defines_rose_ = false;
  bool wrote_sexpr_ = false;
};

}  // namespace

Result<std::string> ToJson(const Node& value, const ToJsonOptions& options) {
  JsonWriter writer(options, nullptr);
  return writer.Run(value);
}

Result<std::string> ToJson(const Document& document, const ToJsonOptions& options) {
  if (document.roots().size() != 1) {
    Error e;
    e.code = document.roots().empty() ? ErrorCode::kEmptyInput : ErrorCode::kTrailingInput;
    e.message = "ToJson converts a document of exactly one expression";
    return e;
  }
  JsonWriter writer(options, document.source().empty() ? nullptr : document.source().data());
  Result<std::string> json = writer.Run(document.roots()[0]);
  if (json.ok()) return json;
  Error e = json.error();
  if (e.offset != kNoOffset) document.Locate(&e);
  return e;
}

}  // namespace sexp::ap
