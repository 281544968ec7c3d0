// RFC 8941 §4.2 (parsing) and §4.1 (serialization), step by step as the RFC
// writes them, with the step names in comments so the two can be compared.
// No recursion deeper than inner list → item → parameters, so hostile input
// costs at most Limits' worth of work.
#include "sexp/sig/structured_fields.h"

#include <cstdlib>

#include "sig/strings.h"
#include "sexp/sig/key.h"

namespace sexp::sig::sf {

using str::Append;
using str::Cat;
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLcAlpha(char c) { return c >= 'a' && c <= 'z'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// tchar (RFC 9110 §5.6.2)
bool IsTchar(char c) {
  if (IsAlpha(c) || IsDigit(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}
bool IsKeyChar(char c) { return IsLcAlpha(c) || IsDigit(c) || c == '_' || c == '-' || c == '.' || c == '*'; }
bool IsBase64Char(char c) { return IsAlpha(c) || IsDigit(c) || c == '+' || c == '/' || c == '='; }

class Parser {
 public:
  Parser(std::string_view in, const Limits& limits) : in_(in), limits_(limits) {}

  SigError error() const { return error_; }
  bool failed() const { return !error_.ok(); }
  bool done() const { return pos_ >= in_.size(); }
  char peek() const { return done() ? '\0' : in_[pos_]; }

  bool Fail(std::string what) {
    if (error_.ok())
      error_ = sig::Fail(SigCode::kMalformed,
                         Cat("structured field, byte ", pos_, ": ", what));
    return false;
  }
  void SkipSp() {
    while (!done() && in_[pos_] == ' ') ++pos_;
  }
  void SkipOws() {
    while (!done() && (in_[pos_] == ' ' || in_[pos_] == '\t')) ++pos_;
  }
  // §4.2 step: discard leading SP, parse, discard trailing SP, must be empty.
  bool Begin() {
    if (in_.size() > limits_.max_field_bytes) return Fail("field over the size limit");
    SkipSp();
    return true;
  }
  bool End() {
    SkipSp();
    if (!done()) return Fail("unexpected trailing characters");
    return true;
  }

  // §4.2.3.2 Parsing a Key
  bool Key(std::string* out) {
    char c = peek();
    if (!IsLcAlpha(c) && c != '*') return Fail("a key starts with a-z or '*'");
    size_t start = pos_;
    while (!done() && IsKeyChar(in_[pos_])) ++pos_;
    out->assign(in_.substr(start, pos_ - start));
    return true;
  }

  // §4.2.4 Parsing an Integer or Decimal
  bool Number(BareItem* out) {
    int sign = 1;
    if (peek() == '-') {
      sign = -1;
      ++pos_;
    }
    if (!IsDigit(peek())) return Fail("a number has a digit");
    size_t start = pos_;
    size_t dot = std::string_view::npos;
    while (!done()) {
      char c = in_[pos_];
      if (IsDigit(c)) {
        ++pos_;
      } else if (c == '.' && dot == std::string_view::npos) {
        if (pos_ - start > 12) return Fail("a decimal has 12 integer digits at most");
        dot = pos_;
        ++pos_;
      } else {
        break;
      }
      size_t len = pos_ - start;
      if (dot == std::string_view::npos && len > 15) return Fail("an integer has 15 digits at most");
      if (dot != std::string_view::npos && len > 16) return Fail("a decimal has 16 characters at most");
    }
    std::string_view text = in_.substr(start, pos_ - start);
    if (dot == std::string_view::npos) {
      out->type = BareItem::Type::kInteger;
      out->integer = sign * std::strtoll(std::string(text).c_str(), nullptr, 10);
      return true;
    }
    size_t frac = pos_ - dot - 1;
    if (frac == 0) return Fail("a decimal ends with a digit");
    if (frac > 3) return Fail("a decimal has 3 fraction digits at most");
    std::string digits(in_.substr(start, dot - start));
    std::string fraction(in_.substr(dot + 1, frac));
    while (fraction.size() < 3) fraction += '0';
    out->type = BareItem::Type::kDecimal;
    out->milli = sign * (std::strtoll(digits.c_str(), nullptr, 10) * 1000 +
                         std::strtoll(fraction.c_str(), nullptr, 10));
    return true;
  }

  // §4.2.5 Parsing a String
  bool String(BareItem* out) {
    ++pos_;  // DQUOTE
    out->type = BareItem::Type::kString;
    out->text.clear();
    while (!done()) {
      char c = in_[pos_++];
      if (c == '\\') {
        if (done()) return Fail("a string ends inside an escape");
        char n = in_[pos_++];
        if (n != '"' && n != '\\') return Fail("a string escapes only '\"' and '\\'");
        out->text += n;
      } else if (c == '"') {
        return true;
      } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
        return Fail("a string holds printable ASCII only");
      } else {
        out->text += c;
      }
    }
    return Fail("a string without its closing '\"'");
  }

  // §4.2.6 Parsing a Token
  bool Token(BareItem* out) {
    size_t start = pos_++;
    while (!done() && (IsTchar(in_[pos_]) || in_[pos_] == ':' || in_[pos_] == '/')) ++pos_;
    out->type = BareItem::Type::kToken;
    out->text.assign(in_.substr(start, pos_ - start));
    return true;
  }

  // §4.2.7 Parsing a Byte Sequence
  bool Bytes(BareItem* out) {
    size_t start = ++pos_;
    while (!done() && in_[pos_] != ':') {
      if (!IsBase64Char(in_[pos_])) return Fail("a byte sequence holds base64 only");
      ++pos_;
    }
    if (done()) return Fail("a byte sequence without its closing ':'");
    std::string_view b64 = in_.substr(start, pos_ - start);
    ++pos_;
    // RFC 8941 lets a parser accept missing padding; this one does not, so a
    // signature has exactly one spelling.
    std::optional<std::string> raw = Base64DecodeStrict(b64);
    if (!raw) return Fail("a byte sequence is not canonical padded base64");
    out->type = BareItem::Type::kBytes;
    out->text = std::move(*raw);
    return true;
  }

  // §4.2.8 Parsing a Boolean
  bool Boolean(BareItem* out) {
    ++pos_;  // '?'
    char c = peek();
    if (c != '0' && c != '1') return Fail("a boolean is ?0 or ?1");
    ++pos_;
    out->type = BareItem::Type::kBoolean;
    out->boolean = c == '1';
    return true;
  }

  // §4.2.3.1 Parsing a Bare Item
  bool Bare(BareItem* out) {
    char c = peek();
    if (c == '-' || IsDigit(c)) return Number(out);
    if (c == '"') return String(out);
    if (c == '*' || IsAlpha(c)) return Token(out);
    if (c == ':') return Bytes(out);
    if (c == '?') return Boolean(out);
    return Fail("not the start of an item");
  }

  // §4.2.3.2 Parsing Parameters
  bool Params(Parameters* out) {
    while (peek() == ';') {
      ++pos_;
      SkipSp();
      std::string key;
      if (!Key(&key)) return false;
      BareItem value = BareItem::Boolean(true);
      if (peek() == '=') {
        ++pos_;
        if (!Bare(&value)) return false;
      }
      bool replaced = false;
      for (auto& [k, v] : *out)
        if (k == key) {
          v = std::move(value);
          replaced = true;
          break;
        }
      if (!replaced) {
        if (out->size() >= limits_.max_params) return Fail("too many parameters");
        out->emplace_back(std::move(key), std::move(value));
      }
    }
    return true;
  }

  // §4.2.3 Parsing an Item
  bool ItemOf(Item* out) { return Bare(&out->bare) && Params(&out->params); }

  // §4.2.1.2 Parsing an Inner List
  bool Inner(InnerList* out) {
    ++pos_;  // '('
    while (!done()) {
      SkipSp();
      if (peek() == ')') {
        ++pos_;
        return Params(&out->params);
      }
      if (out->items.size() >= limits_.max_inner_items) return Fail("too many items in an inner list");
      Item item;
      if (!ItemOf(&item)) return false;
      out->items.push_back(std::move(item));
      char c = peek();
      if (c != ' ' && c != ')') return Fail("inner list items are separated by spaces");
    }
    return Fail("an inner list without its closing ')'");
  }

  // §4.2.1.1 Parsing an Item or Inner List
  bool MemberOf(Member* out) {
    if (peek() == '(') {
      out->is_inner_list = true;
      return Inner(&out->inner);
    }
    return ItemOf(&out->item);
  }

  // The separator loop shared by lists and dictionaries (§4.2.1 / §4.2.2).
  bool Separator() {
    SkipOws();
    if (done()) return true;
    if (in_[pos_] != ',') return Fail("members are separated by ','");
    ++pos_;
    SkipOws();
    if (done()) return Fail("a trailing ','");
    return true;
  }

  bool ListOf(List* out) {
    while (!done()) {
      if (out->size() >= limits_.max_members) return Fail("too many members");
      Member m;
      if (!MemberOf(&m)) return false;
      out->push_back(std::move(m));
      if (!Separator()) return false;
    }
    return true;
  }

  bool DictionaryOf(Dictionary* out) {
    while (!done()) {
      if (out->size() >= limits_.max_members) return Fail("too many members");
      std::string key;
      if (!Key(&key)) return false;
      Member m;
      if (peek() == '=') {
        ++pos_;
        if (!MemberOf(&m)) return false;
      } else {
        m.item.bare = BareItem::Boolean(true);
        if (!Params(&m.item.params)) return false;
      }
      out->emplace_back(std::move(key), std::move(m));
      if (!Separator()) return false;
    }
    return true;
  }

 private:
  std::string_view in_;
  const Limits& limits_;
  size_t pos_ = 0;
  SigError error_;
};

SigError Bad(std::string what) { return sig::Fail(SigCode::kMalformed, std::move(what)); }

SigError AppendKey(std::string_view key, std::string* out) {
  if (key.empty() || (!IsLcAlpha(key[0]) && key[0] != '*')) return Bad("a key starts with a-z or '*'");
  for (char c : key)
    if (!IsKeyChar(c)) return Bad("a key holds a-z 0-9 _ - . * only");
  out->append(key);
  return {};
}

SigError AppendBare(const BareItem& b, std::string* out) {
  switch (b.type) {
    case BareItem::Type::kInteger:
      if (b.integer > 999999999999999 || b.integer < -999999999999999)
        return Bad("an integer has 15 digits at most");
      Append(out, b.integer);
      return {};
    case BareItem::Type::kDecimal: {
      int64_t m = b.milli < 0 ? -b.milli : b.milli;
      if (m / 1000 > 999999999999) return Bad("a decimal has 12 integer digits at most");
      if (b.milli < 0) out->push_back('-');
      Append(out, m / 1000, ".");
      int64_t f = m % 1000;
      std::string frac = Cat(1000 + f).substr(1);  // three digits
      while (frac.size() > 1 && frac.back() == '0') frac.pop_back();
      out->append(frac);
      return {};
    }
    case BareItem::Type::kString:
      out->push_back('"');
      for (char c : b.text) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
          return Bad("a string holds printable ASCII only");
        if (c == '"' || c == '\\') out->push_back('\\');
        out->push_back(c);
      }
      out->push_back('"');
      return {};
    case BareItem::Type::kToken:
      if (b.text.empty() || (!IsAlpha(b.text[0]) && b.text[0] != '*')) return Bad("a token starts with a letter or '*'");
      for (char c : b.text)
        if (!IsTchar(c) && c != ':' && c != '/') return Bad("a token holds tchar, ':' and '/' only");
      out->append(b.text);
      return {};
    case BareItem::Type::kBytes:
      Append(out, ":", Base64Encode(b.text), ":");
      return {};
    case BareItem::Type::kBoolean:
      out->append(b.boolean ? "?1" : "?0");
      return {};
  }
  return Bad("unknown item type");
}

SigError AppendParams(const Parameters& params, std::string* out) {
  for (const auto& [key, value] : params) {
    out->push_back(';');
    SigError e = AppendKey(key, out);
    if (!e.ok()) return e;
    if (value.type == BareItem::Type::kBoolean && value.boolean) continue;
    out->push_back('=');
    e = AppendBare(value, out);
    if (!e.ok()) return e;
  }
  return {};
}

SigError AppendItem(const Item& item, std::string* out) {
  SigError e = AppendBare(item.bare, out);
  return e.ok() ? AppendParams(item.params, out) : e;
}

SigError AppendInner(const InnerList& list, std::string* out) {
  out->push_back('(');
  for (size_t i = 0; i < list.items.size(); ++i) {
    if (i > 0) out->push_back(' ');
    SigError e = AppendItem(list.items[i], out);
    if (!e.ok()) return e;
  }
  out->push_back(')');
  return AppendParams(list.params, out);
}

SigError AppendMember(const Member& m, std::string* out) {
  return m.is_inner_list ? AppendInner(m.inner, out) : AppendItem(m.item, out);
}

template <class T, class F>
SigResult<std::string> Serialized(const T& value, F append) {
  std::string out;
  SigError e = append(value, &out);
  if (!e.ok()) return e;
  return out;
}

}  // namespace

SigResult<Item> ParseItem(std::string_view field, const Limits& limits) {
  Parser p(field, limits);
  Item item;
  if (p.Begin() && p.ItemOf(&item) && p.End()) return item;
  return p.error();
}

SigResult<List> ParseList(std::string_view field, const Limits& limits) {
  Parser p(field, limits);
  List list;
  if (p.Begin() && p.ListOf(&list) && p.End()) return list;
  return p.error();
}

SigResult<Dictionary> ParseDictionary(std::string_view field, const Limits& limits) {
  Parser p(field, limits);
  Dictionary dict;
  if (p.Begin() && p.DictionaryOf(&dict) && p.End()) return dict;
  return p.error();
}

const BareItem* FindParam(const Parameters& params, std::string_view key) {
  for (auto it = params.rbegin(); it != params.rend(); ++it)
    if (it->first == key) return &it->second;
  return nullptr;
}

bool HasDuplicateKeys(const Dictionary& dict) {
  for (size_t i = 0; i < dict.size(); ++i)
    for (size_t j = i + 1; j < dict.size(); ++j)
      if (dict[i].first == dict[j].first) return true;
  return false;
}

SigResult<std::string> SerializeBareItem(const BareItem& item) { return Serialized(item, AppendBare); }
SigResult<std::string> SerializeParams(const Parameters& params) { return Serialized(params, AppendParams); }
SigResult<std::string> SerializeItem(const Item& item) { return Serialized(item, AppendItem); }
SigResult<std::string> SerializeInnerList(const InnerList& list) { return Serialized(list, AppendInner); }

SigResult<std::string> SerializeList(const List& list) {
  std::string out;
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += ", ";
    SigError e = AppendMember(list[i], &out);
    if (!e.ok()) return e;
  }
  return out;
}

SigResult<std::string> SerializeDictionary(const Dictionary& dict) {
  std::string out;
  for (size_t i = 0; i < dict.size(); ++i) {
    if (i > 0) out += ", ";
    SigError e = AppendKey(dict[i].first, &out);
    if (!e.ok()) return e;
    const Member& m = dict[i].second;
    if (!m.is_inner_list && m.item.bare.type == BareItem::Type::kBoolean && m.item.bare.boolean) {
      e = AppendParams(m.item.params, &out);
    } else {
      out.push_back('=');
      e = AppendMember(m, &out);
    }
    if (!e.ok()) return e;
  }
  return out;
}

}  // namespace sexp::sig::sf
