// The pretty-printer: WriteFormatted and Format (`sexp fmt`), the
// readable layout — flat where a form fits on the rest of its line, one
// element (or keyword pair) per indented line where it does not.
//
// Apart from the canonical writer because it shares nothing of its loop: it
// keeps source order, [ ] and quote sugar, measures widths before writing,
// and is not on any hot path. What the two writers do share — the spelling
// of each atom (atom_text.h) and the output buffer (out_buffer.h) — is in
// headers, so neither file defines it for the other.
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/atom_text.h"
#include "core/out_buffer.h"
#include "sexp/core/writer.h"

namespace sexp {
namespace {

using internal::OutBuffer;
using internal::WriteAtom;


class Formatter {
 public:
  Formatter(ByteSink& sink, const FormatOptions& options)
      : out_(sink), opt_(options), max_indent_(options.width / 2) {}

  bool Run(const Node& root);
  // Hands the rest to the sink; false when the sink refused any of it.
  bool Finish() {
    out_.Flush();
    return !out_.refused();
  }

 private:
  enum class Op : uint8_t { kNode, kText, kNewline };
  struct Item {
    Op op;
    const Node* node;
    std::string_view text;
    size_t indent;
  };

  static bool IsSugarPair(const Node& n) {
    return n.is_list() && (n.flags() & Node::kFlagSugar) && n.size() == 2 &&
           n[0].is_symbol();
  }
  static std::string_view SugarPrefix(const Node& n) {
    std::string_view h = n[0].name();
    if (h == "quote") return "'";
    if (h == "quasiquote") return "`";
    if (h == "unquote") {
      // ",@x" would read as unquote-splicing: keep a space before a datum
      // whose text starts with '@' (only a symbol can).
      return n[1].is_symbol() && n[1].name()[0] == '@' ? ", " : ",";
    }
    return ",@";
  }

  // Width of `n` written flat, or anything > limit once it exceeds limit.
  size_t FlatWidth(const Node& n, size_t limit);
  size_t AtomWidth(const Node& n);
  bool WriteFlat(const Node& n);
  void Text(std::string_view s) {
    out_.Put(s);
    col_ += s.size();
  }

  OutBuffer out_;
  FormatOptions opt_;
  size_t max_indent_;
  size_t col_ = 0;
  std::vector<Item> work_;
  std::vector<std::pair<const Node*, size_t>> scan_;
};

size_t Formatter::AtomWidth(const Node& n) {
  size_t w = 0;
  WriteAtom(n, [&](std::string_view t) { w += t.size(); });
  return w;
}

size_t Formatter::FlatWidth(const Node& root, size_t limit) {
  size_t w = 0;
  scan_.clear();
  scan_.push_back({&root, 1});
  while (!scan_.empty() && w <= limit) {
    auto [items, count] = scan_.back();
    scan_.pop_back();
    for (size_t i = 0; i < count && w <= limit; ++i) {
      const Node& n = items[i];
      if (i > 0) w += 1;
      if (IsSugarPair(n)) {
        w += SugarPrefix(n).size();
        scan_.push_back({&n[1], 1});
      } else if (n.is_list() || n.is_dict()) {
        w += 2;
        if (n.size() > 0) scan_.push_back({n.items().data(), n.size()});
      } else {
        w += AtomWidth(n);
      }
    }
  }
  return w;
}

bool Formatter::WriteFlat(const Node& root) {
  // Same text as canonical form but in source order, with [ ] and sugar kept.
  struct F {
    const Node* items;
    size_t n, i;
    char close;
  };
  std::vector<F> st;
  auto emit = [&](const Node& n) -> bool {
    const Node* cur = &n;
    while (IsSugarPair(*cur)) {
      Text(SugarPrefix(*cur));
      cur = &(*cur)[1];
    }
    if (cur->is_list() || cur->is_dict()) {
      char open = cur->is_dict() ? '{' : (cur->flags() & Node::kFlagSquare) ? '[' : '(';
      char close = open == '{' ? '}' : open == '[' ? ']' : ')';
      Text(std::string_view(&open, 1));
      st.push_back({cur->items().data(), cur->size(), 0, close});
      return true;
    }
    return WriteAtom(*cur, [&](std::string_view t) { Text(t); });
  };
  if (!emit(root)) return false;
  while (!st.empty()) {
    F& top = st.back();
    if (top.i == top.n) {
      char c = top.close;
      st.pop_back();
      Text(std::string_view(&c, 1));
      continue;
    }
    if (top.i > 0) Text(" ");
    const Node& child = top.items[top.i++];
    if (!emit(child)) return false;
  }
  return true;
}

bool Formatter::Run(const Node& root) {
  static const char kClosers[] = ")]}";
  work_.push_back({Op::kNode, &root, {}, 0});
  while (!work_.empty()) {
    Item it = work_.back();
    work_.pop_back();
    if (it.op == Op::kText) {
      Text(it.text);
      continue;
    }
    if (it.op == Op::kNewline) {
      out_.Put('\n');
      col_ = 0;
      for (size_t i = 0; i < it.indent; ++i) out_.Put(' ');
      col_ = it.indent;
      continue;
    }
    const Node* n = it.node;
    while (IsSugarPair(*n)) {
      Text(SugarPrefix(*n));
      n = &(*n)[1];
    }
    size_t room = opt_.width > col_ ? opt_.width - col_ : 0;
    if ((!n->is_list() && !n->is_dict()) || n->size() == 0 ||
        FlatWidth(*n, room) <= room) {
      if (!WriteFlat(*n)) return false;
      continue;
    }
    // Broken layout. Children indent from this opener's column.
    bool dict = n->is_dict();
    bool square = n->flags() & Node::kFlagSquare;
    size_t indent = std::min(col_ + (dict ? 1 : opt_.indent), max_indent_);
    Text(dict ? "{" : square ? "[" : "(");
    auto x = n->items();
    // Group elements: each line gets one element, or a keyword with its value.
    // For a list the head stays on the opening line; for a dict, the first
    // pair does.
    std::vector<Item> lines;  // built forward, pushed reversed
    size_t i = 0;
    if (!dict) {
      lines.push_back({Op::kNode, &x[0], {}, 0});
      i = 1;
    }
    bool first_line = true;
    while (i < x.size()) {
      bool pair = (dict || x[i].is_keyword()) && i + 1 < x.size();
      if (!(first_line && dict)) lines.push_back({Op::kNewline, nullptr, {}, indent});
      first_line = false;
      lines.push_back({Op::kNode, &x[i], {}, 0});
      if (pair) {
        lines.push_back({Op::kText, nullptr, " ", 0});
        lines.push_back({Op::kNode, &x[i + 1], {}, 0});
        i += 2;
      } else {
        ++i;
      }
    }
    lines.push_back({Op::kText, nullptr,
                     std::string_view(&kClosers[dict ? 2 : square ? 1 : 0], 1), 0});
    for (auto r = lines.rbegin(); r != lines.rend(); ++r) work_.push_back(*r);
  }
  return true;
}

}  // namespace

Error WriteFormatted(const Node& node, ByteSink& sink,
                     const FormatOptions& options) {
  Formatter f(sink, options);
  bool ok = f.Run(node);
  if (!f.Finish()) return internal::SinkRefusedError();
  if (!ok) {
    return Error{ErrorCode::kUnrepresentable, kNoOffset, 0, 0,
                 "NaN and infinities have no sx form"};
  }
  return Error{};
}

Result<std::string> Format(const Document& doc, const FormatOptions& options) {
  std::string s;
  for (const Node& root : doc.roots()) {
    {
      StringSink sink(&s);
      Error e = WriteFormatted(root, sink, options);
      if (!e.ok()) return e;
    }
    s.push_back('\n');
  }
  return s;
}

}  // namespace sexp
