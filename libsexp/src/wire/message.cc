#include "sexp/wire/message.h"

#include <algorithm>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sexp/core/address.h"
#include "core/strutil.h"

namespace sexp {
namespace {

using internal::AV;

// What a field or positional item must be.
enum class Type {
  kAny,
  kString,
  kPath,           // a string starting with '/'
  kUrl,            // a string with a scheme: "https://…"
  kAddress,        // "sha3-<hex>" or a CID (ParseAddress)
  kAddressList,    // a list of addresses
  kBool,
  kStrategy,       // inner outer before after prepend append delete
  kClassNames,     // a string or a list of strings
  kComponentName,  // a string starting with '~'
  kSignature,      // bytes (or a string)
  kMessage,        // any message of the vocabulary
  kPushOp,         // swap! batch! class! component-update
  kBatchOp,        // swap! class! component-update
};

struct Field {
  std::string_view key;
  Type type;
  bool required = false;
};

struct Shape {
  std::string_view head;
  MessageFamily family;
  int min_positional = 0;
  int max_positional = 0;  // -1: any number
  Type positional = Type::kAny;
  std::string_view positional_name = "";
  std::vector<Field> fields;
  bool open = false;  // keys beyond `fields` allowed
};

const std::vector<Shape>& Shapes() {
  using F = MessageFamily;
  static const auto* shapes = [] {
    auto* v = new std::vector<Shape>();
    std::vector<Field> request = {{"auth", Type::kString},
                                  {"have", Type::kAddress},
                                  {"have-components", Type::kAddressList},
                                  {"stream", Type::kBool}};
    std::vector<Field> post = request;
    post.push_back({"body", Type::kAny});
    v->push_back({"GET", F::kRequest, 1, 1, Type::kPath, "path", request});
    v->push_back({"POST", F::kRequest, 1, 1, Type::kPath, "path", post});
    v->push_back({"ok", F::kResponse, 0, 1, Type::kAny, "body",
                  {{"hash", Type::kAddress}, {"new-components", Type::kAny}}});
    v->push_back({"not-modified", F::kResponse, 0, 0, Type::kAny, "", {{"hash", Type::kAddress}}});
    v->push_back({"redirect", F::kResponse, 0, 0, Type::kAny, "",
                  {{"location", Type::kString, true}}});
    v->push_back({"not-found", F::kResponse, 0, 0, Type::kAny, "", {{"message", Type::kString}}});
    v->push_back({"error", F::kResponse, 0, 0, Type::kAny, "",
                  {{"code", Type::kString, true}, {"message", Type::kString}}});
    v->push_back({"push!", F::kPush, 1, -1, Type::kPushOp, "operation", {}});
    v->push_back({"swap!", F::kPush, 0, 1, Type::kAny, "content",
                  {{"target", Type::kString, true}, {"strategy", Type::kStrategy, true}}});
    v->push_back({"batch!", F::kPush, 1, -1, Type::kBatchOp, "operation", {}});
    v->push_back({"class!", F::kPush, 0, 0, Type::kAny, "",
                  {{"target", Type::kString, true},
                   {"add", Type::kClassNames},
                   {"remove", Type::kClassNames}}});
    v->push_back({"component-update", F::kPush, 0, 1, Type::kAny, "definition",
                  {{"name", Type::kComponentName, true}, {"hash", Type::kAddress, true}}});
    for (std::string_view activity : {"Create", "Update", "Delete", "Follow", "Accept", "Reject",
                                      "Like", "Announce", "Undo"}) {
      v->push_back({activity, F::kActivity, 0, -1, Type::kAny, "",
                    {{"actor", Type::kUrl, true}, {"object", Type::kAny, true},
                     {"id", Type::kUrl}},
                    true});
    }
    v->push_back({"signed", F::kSigned, 1, 1, Type::kMessage, "message",
                  {{"sig", Type::kSignature, true}, {"key-id", Type::kString, true}}});
    for (std::string_view h : {"hello", "queued", "ack"}) {
      v->push_back({h, F::kRelay, 0, -1, Type::kAny, "", {}, true});
    }
    for (std::string_view h : {"submit-job", "job", "job-complete"}) {
      v->push_back({h, F::kJob, 0, -1, Type::kAny, "", {}, true});
    }
    for (std::string_view h : {"component-manifest", "component", "schema"}) {
      v->push_back({h, F::kDiscovery, 0, -1, Type::kAny, "", {}, true});
    }
    return v;
  }();
  return *shapes;
}

const Shape* ShapeOf(const Node& node) {
  if (!node.is_list() || node.size() == 0 || !node[0].is_symbol()) return nullptr;
  std::string_view head = node[0].name();
  for (const Shape& s : Shapes()) {
    if (s.head == head) return &s;
  }
  return nullptr;
}

// "an int", "a list", "a (p …)", ":name", "name".
std::string Describe(const Node& n) {
  if (n.is_list() && n.size() > 0 && n[0].is_symbol()) {
    return absl::StrCat("a (", AV(n[0].name()), " …)");
  }
  if (n.is_keyword()) return absl::StrCat(":", AV(n.name()));
  if (n.is_symbol()) return std::string(n.name());
  std::string_view kind = KindName(n.kind());
  bool vowel = std::string_view("aeiou").find(kind[0]) != std::string_view::npos;
  return absl::StrCat(vowel ? "an " : "a ", AV(kind));
}

class Checker {
 public:
  explicit Checker(const Document* doc) : doc_(doc) {}

  bool Message(const Node& node, int depth) {
    if (depth > 16) return Fail(node, "messages nested deeper than 16");
    if (!node.is_list() || node.size() == 0 || !node[0].is_symbol()) {
      return Fail(node, absl::StrCat("a message is a list headed by a symbol, got ",
                                     Describe(node)));
    }
    const Shape* shape = ShapeOf(node);
    if (shape == nullptr) {
      return Fail(node[0], absl::StrCat("unknown message '", AV(node[0].name()), "'"));
    }
    shape_ = shape;
    std::string_view where = shape->head;
    std::vector<const Node*> positional;
    std::vector<std::string_view> seen;
    auto items = node.items();
    for (size_t i = 1; i < items.size(); ++i) {
      const Node& item = items[i];
      if (!item.is_keyword()) {
        positional.push_back(&item);
        continue;
      }
      if (i + 1 == items.size()) {
        return Fail(item, absl::StrCat("(", AV(where), " …): :", AV(item.name()), " has no value"));
      }
      std::string_view key = item.name();
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        return Fail(item, absl::StrCat("(", AV(where), " …): :", AV(key), " given twice"));
      }
      seen.push_back(key);
      const Node& value = items[++i];
      auto field = std::find_if(shape->fields.begin(), shape->fields.end(),
                                [&](const Field& f) { return f.key == key; });
      if (field == shape->fields.end()) {
        if (shape->open) continue;
        std::string known;
        for (const Field& f : shape->fields) absl::StrAppend(&known, known.empty() ? "" : " ", ":", AV(f.key));
        return Fail(item, absl::StrCat("(", AV(where), " …) has no :", AV(key),
                                       known.empty() ? " (it takes no keys)"
                                                     : absl::StrCat(" (it takes ", known, ")")));
      }
      if (!Value(value, field->type, where, absl::StrCat(":", AV(key)), depth)) return false;
    }
    for (const Field& f : shape->fields) {
      if (f.required && std::find(seen.begin(), seen.end(), f.key) == seen.end()) {
        return Fail(node, absl::StrCat("(", AV(where), " …) needs :", AV(f.key)));
      }
    }
    int n = static_cast<int>(positional.size());
    if (n < shape->min_positional || (shape->max_positional >= 0 && n > shape->max_positional)) {
      std::string want =
          shape->max_positional == 0 ? "no items besides its keys"
          : shape->max_positional < 0
              ? absl::StrCat("at least ", shape->min_positional, " ", AV(shape->positional_name))
          : shape->min_positional == shape->max_positional
              ? absl::StrCat("one ", AV(shape->positional_name))
              : absl::StrCat("at most one ", AV(shape->positional_name));
      const Node& at = n > 0 && shape->max_positional >= 0 && n > shape->max_positional
                           ? *positional[static_cast<size_t>(shape->max_positional)]
                           : node;
      return Fail(at, absl::StrCat("(", AV(where), " …) takes ", want, ", got ", n));
    }
    for (const Node* p : positional) {
      if (!Value(*p, shape->positional, where, std::string(shape->positional_name), depth)) {
        return false;
      }
    }
    if (shape->head == "class!" && std::find(seen.begin(), seen.end(), "add") == seen.end() &&
        std::find(seen.begin(), seen.end(), "remove") == seen.end()) {
      return Fail(node, "(class! …) needs :add or :remove");
    }
    return true;
  }

  Error error() const { return error_; }

 private:
  bool Value(const Node& v, Type type, std::string_view where, const std::string& what,
             int depth) {
    auto wrong = [&](std::string_view want) {
      return Fail(v, absl::StrCat("(", AV(where), " …): ", what, " must be ", AV(want), ", got ",
                                  v.is_string() ? absl::StrCat("\"", AV(v.str()), "\"")
                                                : Describe(v)));
    };
    switch (type) {
      case Type::kAny:
        return true;
      case Type::kString:
        return v.is_string() || wrong("a string");
      case Type::kPath:
        return (v.is_string() && !v.str().empty() && v.str()[0] == '/') ||
               wrong("a string starting with '/'");
      case Type::kUrl: {
        std::string_view s = v.is_string() ? v.str() : std::string_view();
        size_t colon = s.find("://");
        return (colon != std::string_view::npos && colon > 0) || wrong("a URL (scheme://…)");
      }
      case Type::kAddress:
        return (v.is_string() && ParseAddress(v.str()).ok()) ||
               wrong("a content address (sha3-<hex> or a CID)");
      case Type::kAddressList:
        if (!v.is_list()) return wrong("a list of content addresses");
        for (const Node& a : v.items()) {
          if (!Value(a, Type::kAddress, where, what + " item", depth)) return false;
        }
        return true;
      case Type::kBool:
        return v.is_bool() || wrong("true or false");
      case Type::kStrategy: {
        std::string_view s = v.is_symbol() || v.is_keyword() ? v.name()
                             : v.is_string()                 ? v.str()
                                                             : std::string_view();
        for (std::string_view ok : {"inner", "outer", "before", "after", "prepend", "append",
                                    "delete"}) {
          if (s == ok) return true;
        }
        return wrong("a strategy (inner outer before after prepend append delete)");
      }
      case Type::kClassNames:
        if (v.is_string()) return true;
        if (v.is_list() && std::all_of(v.items().begin(), v.items().end(),
                                       [](const Node& c) { return c.is_string(); })) {
          return true;
        }
        return wrong("a class name or a list of them");
      case Type::kComponentName:
        return (v.is_string() && v.str().size() > 1 && v.str()[0] == '~') ||
               wrong("a component name (\"~name\")");
      case Type::kSignature:
        return v.is_bytes() || v.is_string() || wrong("a signature (bytes)");
      case Type::kMessage:
        return Nested(v, depth, {});
      case Type::kPushOp:
        return Nested(v, depth, {"swap!", "batch!", "class!", "component-update"});
      case Type::kBatchOp:
        return Nested(v, depth, {"swap!", "class!", "component-update"});
    }
    return true;
  }

  // A message inside a message; `heads`: those allowed (empty: any).
  bool Nested(const Node& v, int depth, std::initializer_list<std::string_view> heads) {
    const Shape* outer = shape_;
    const Shape* s = ShapeOf(v);
    if (heads.size() > 0 &&
        (s == nullptr || std::find(heads.begin(), heads.end(), s->head) == heads.end())) {
      std::string list;
      for (std::string_view h : heads) absl::StrAppend(&list, list.empty() ? "" : " ", AV(h));
      return Fail(v, absl::StrCat("(", AV(outer->head), " …) holds ", list, ", got ",
                                  Describe(v)));
    }
    bool ok = Message(v, depth + 1);
    shape_ = outer;
    return ok;
  }

  bool Fail(const Node& at, std::string message) {
    error_.code = ErrorCode::kBadMessage;
    error_.message = std::move(message);
    if (doc_ != nullptr) {
      Position p = doc_->position(at);
      if (p.known()) {
        error_.offset = p.offset;
        error_.line = p.line;
        error_.column = p.column;
      }
    }
    return false;
  }

  const Document* doc_;
  const Shape* shape_ = nullptr;
  Error error_;
};

}  // namespace

std::string_view MessageFamilyName(MessageFamily family) {
  switch (family) {
    case MessageFamily::kRequest: return "request";
    case MessageFamily::kResponse: return "response";
    case MessageFamily::kPush: return "push";
    case MessageFamily::kActivity: return "activity";
    case MessageFamily::kSigned: return "signed";
    case MessageFamily::kRelay: return "relay";
    case MessageFamily::kJob: return "job";
    case MessageFamily::kDiscovery: return "discovery";
  }
  return "unknown";
}

std::optional<MessageFamily> FamilyOf(const Node& node) {
  const Shape* s = ShapeOf(node);
  if (s == nullptr) return std::nullopt;
  return s->family;
}

Error ValidateMessage(const Node& node, const Document* doc) {
  Checker checker(doc);
  if (checker.Message(node, 0)) return Error();
  return checker.error();
}

Node MakeGet(Builder& b, std::string_view path, std::string_view have) {
  if (have.empty()) return b.List({b.Symbol("GET"), b.String(path)});
  return b.List({b.Symbol("GET"), b.String(path), b.Keyword("have"), b.String(have)});
}

Node MakeOk(Builder& b, std::string_view hash, const Node& body) {
  return b.List({b.Symbol("ok"), b.Keyword("hash"), b.String(hash), body});
}

Node MakeNotModified(Builder& b, std::string_view hash) {
  return b.List({b.Symbol("not-modified"), b.Keyword("hash"), b.String(hash)});
}

Node MakeNotFound(Builder& b, std::string_view message) {
  return b.List({b.Symbol("not-found"), b.Keyword("message"), b.String(message)});
}

Node MakeErrorResponse(Builder& b, std::string_view code, std::string_view message) {
  return b.List({b.Symbol("error"), b.Keyword("code"), b.String(code), b.Keyword("message"),
                 b.String(message)});
}

}  // namespace sexp
