// The HTML renderer: output buffer, data renderer, and the public API of
// sexp/html/render.h. The streaming path (compiled code writing its HTML as it
// runs) is in stream.cc and uses the Renderer's pieces.
#include "html/render.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "html/elements.h"
#include "core/file.h"
#include "eval/machine.h"
#include "core/strutil.h"

namespace sexp {

using internal::AV;

std::string EscapeHtml(std::string_view text) {
  std::string out;
  StringSink sink(&out);
  html_internal::HtmlOut o(sink, 4096);
  o.AppendEscaped(text);
  o.Finish();
  return out;
}

namespace html_internal {

namespace {

bool ContainsNoCase(std::string_view haystack, std::string_view needle) {
  auto same = [](char a, char b) {
    return absl::ascii_tolower(static_cast<unsigned char>(a)) ==
           absl::ascii_tolower(static_cast<unsigned char>(b));
  };
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(), same) !=
         haystack.end();
}

}  // namespace

HtmlOut::HtmlOut(ByteSink& sink, size_t chunk_bytes)
    : sink_(sink), chunk_(std::clamp<size_t>(chunk_bytes, 1, size_t{1} << 30)) {
  if (auto* strings = dynamic_cast<StringSink*>(&sink)) {
    string_ = strings->target();
    string_base_ = string_->size();
    start_ = cur_ = end_ = flush_at_ = nullptr;
    GrowString(kStringStep);
    return;
  }
  // Room for a chunk plus the piece that passes it, up to 64 KiB to start.
  size_t cap = std::min<size_t>(chunk_, size_t{64} << 10) + 4096;
  buf_.reset(new char[cap + kPad]);
  start_ = cur_ = buf_.get();
  end_ = cur_ + cap;
  flush_at_ = buf_.get() + std::min(chunk_, cap);
}

HtmlOut::~HtmlOut() {
  if (string_ != nullptr && !finished_) string_->resize(string_base_);
}

bool HtmlOut::ChargeOutput(size_t bytes, bool held) {
  if (budget_ == nullptr) return true;
  if (budget_->Charge(bytes / 64) && (!held || budget_->ChargeBytes(bytes))) return true;
  failed_ = true;
  return false;
}

void HtmlOut::GrowString(size_t n) {
  // The string's size covers what is written, the room ahead and kPad; its
  // bytes past the cursor are scratch until Finish cuts them off.
  // Grown a few KiB at a time: resize zero-fills what it adds, and filling
  // just ahead of the cursor keeps those lines in cache for the writes that
  // follow (std::string grows its capacity geometrically underneath).
  size_t used = cur_ == nullptr ? string_base_ : static_cast<size_t>(cur_ - string_->data());
  size_t grow = std::max<size_t>(n, kStringStep);
  if (cur_ != nullptr) ChargeOutput(grow, /*held=*/true);  // (the first step is free)
  string_->resize(used + grow + kPad);
  size_t size = string_->size();
  char* data = string_->data();
  start_ = data + string_base_;
  cur_ = data + used;
  end_ = data + size - kPad;
  flush_at_ = end_;  // nothing to hand over: Flush is a no-op
}

void HtmlOut::Reserve(size_t n) {
  if (static_cast<size_t>(end_ - cur_) >= n) return;
  if (string_ != nullptr) {
    GrowString(n);
    return;
  }
  if (cur_ != buf_.get()) Flush();
  if (static_cast<size_t>(end_ - cur_) >= n) return;
  // One piece bigger than the buffer (or output held for a `try`): grow to
  // fit — held output is memory, charged as such.
  size_t used = static_cast<size_t>(cur_ - buf_.get());
  size_t cap = std::max(2 * static_cast<size_t>(end_ - buf_.get()), used + n);
  if (!holds_.empty()) ChargeOutput(cap - static_cast<size_t>(end_ - buf_.get()), /*held=*/true);
  std::unique_ptr<char[]> bigger(new char[cap + kPad]);
  std::memcpy(bigger.get(), buf_.get(), used);
  buf_ = std::move(bigger);
  start_ = buf_.get();
  cur_ = buf_.get() + used;
  end_ = buf_.get() + cap;
  flush_at_ = buf_.get() + std::min(chunk_, cap);
}

void HtmlOut::AppendEscapedLong(std::string_view s) {
  while (!s.empty() && !failed_) {
    size_t n = std::min(s.size(), kEscapePiece);
    if (static_cast<size_t>(end_ - cur_) < 6 * n + 16) Reserve(6 * n + 16);
    cur_ = EscapeInto(cur_, s.data(), n);
    s.remove_prefix(n);
    if (cur_ >= flush_at_) Flush();
  }
}

bool HtmlOut::Finish() {
  if (string_ == nullptr) return Flush();
  string_->resize(static_cast<size_t>(cur_ - string_->data()));
  finished_ = true;
  return true;
}

bool HtmlOut::Flush() {
  if (string_ != nullptr) return true;  // written in place
  if (!holds_.empty()) return !failed_;      // a `try` may still take it back
  if (failed_) {
    cur_ = buf_.get();  // the render is failing: what comes now is dropped
    return false;
  }
  size_t used = static_cast<size_t>(cur_ - buf_.get());
  if (used > 0) {
    if (!ChargeOutput(used, /*held=*/false)) {
      cur_ = buf_.get();
      return false;
    }
    if (!sink_.Write(std::string_view(buf_.get(), used))) {
      failed_ = true;
      return false;
    }
    written_ += used;
    cur_ = buf_.get();
  }
  return true;
}

void Renderer::Fail(std::string message) {
  if (m_ != nullptr) m_->Fail(EvalErrorCode::kRender, std::move(message), nullptr);
  eval_internal::Fault fault;
  fault.code = EvalErrorCode::kRender;
  fault.message = std::move(message);
  throw fault;
}

void Renderer::CheckSink() {
  if (!out_.failed()) return;
  if (budget_ != nullptr && budget_->exhausted()) FailBudget();
  Fail("the sink refused the output");
}

void Renderer::FailBudget() {
  if (m_ != nullptr) m_->FailBudget();
  eval_internal::Fault fault;
  fault.code = budget_->code();
  fault.message = budget_->message();
  fault.limit = true;
  throw fault;
}

std::string Renderer::Text(const Value& v) {
  if (budget_ == nullptr) return ToText(v);
  std::string text = ToText(v, *budget_);
  if (budget_->exhausted()) FailBudget();
  return text;
}

void Renderer::AppendNumber(const Value& v) {
  if (v.is_int()) {
    out_.AppendInt(v.as_int());
  } else {
    out_.Append(Text(v));  // the canonical (ECMAScript) float form
  }
}

void Renderer::ClassValue(const Value& v, bool* first, int depth) {
  Charge(1);  // nested lists may share structure: charged per item visited
  auto word = [&](std::string_view w) {
    if (w.empty()) return;
    if (!*first) out_.Append(' ');
    *first = false;
    out_.AppendEscaped(w);
  };
  switch (v.type()) {
    case ValueType::kNil:
      return;
    case ValueType::kBool:
      if (v.as_bool()) Fail(":class items are names, lists or dicts, not true");
      return;
    case ValueType::kString:
      word(v.str());
      return;
    case ValueType::kKeyword:
    case ValueType::kSymbol:
      word(v.name());
      return;
    case ValueType::kInt:
    case ValueType::kFloat:
      word(Text(v));
      return;
    case ValueType::kList:
      if (depth > 32) Fail(":class lists nested deeper than 32");
      for (const Value& x : v.items()) ClassValue(x, first, depth + 1);
      return;
    case ValueType::kDict:
      // {:active true :hidden false}: the names whose values are truthy.
      for (size_t i = 0; i + 1 < v.size(); i += 2) {
        if (v[i + 1].truthy()) word(v[i].is_keyword() ? v[i].name() : v[i].str());
      }
      return;
    default:
      Fail(absl::StrCat(":class cannot hold a ", AV(ValueTypeName(v.type()))));
  }
}

void Renderer::StyleValue(const Value& dict) {
  bool first = true;
  for (size_t i = 0; i + 1 < dict.size(); i += 2) {
    const Value& val = dict[i + 1];
    if (!val.truthy()) continue;
    std::string_view prop = dict[i].is_keyword() ? dict[i].name() : dict[i].str();
    if (!IsValidCssProperty(prop)) {
      Fail(absl::StrCat("invalid CSS property '", AV(prop), "' in :style"));
    }
    if (!first) out_.Append(';');
    first = false;
    out_.Append(prop);
    out_.Append(':');
    if (val.is_number()) {
      AppendNumber(val);
      continue;
    }
    if (!val.is_string() && !val.is_keyword()) {
      Fail(absl::StrCat(":style values are strings or numbers, got ",
                        AV(ValueTypeName(val.type()))));
    }
    std::string_view text = val.is_string() ? val.str() : val.name();
    if (text.find_first_of(";{}") != std::string_view::npos) {
      Fail(absl::StrCat(":style value for ", AV(prop), " contains ; { or }"));
    }
    out_.AppendEscaped(text);
  }
}

void Renderer::Attribute(std::string_view tag, std::string_view name, const Value& v) {
  if (!IsValidAttributeName(name)) {
    Fail(absl::StrCat("invalid attribute name :", AV(name), " on <", AV(tag),
                      "> (letters, digits and - _ : . @ only)"));
  }
  ValidAttribute(tag, name, v, IsUrlAttribute(tag, name));
}

namespace {

// Why `url`, the value of the URL attribute `name` of <tag>, is refused by
// the safe-schemes policy; empty when it is not.
std::string UnsafeUrlReason(std::string_view tag, std::string_view name, std::string_view url) {
  if (tag == "meta" && EqualsNoCase(name, "content")) {
    // A refresh, as the HTML standard parses one: "5; url=…", and also
    // "0;javascript:…", "0 javascript:…", ".5;'…'", "0,data:…". (Checked
    // whatever the meta's http-equiv, which may come later in the element:
    // a description that reads like a refresh to an unsafe URL is refused.)
    constexpr char kRefresh[] = "unsafe URL in the :content of <meta> (a refresh)";
    std::string_view refresh;
    if (RefreshUrl(url, &refresh) && !IsSafeUrl(refresh)) return kRefresh;
    // And every "url=" in it, in case a browser reads it more loosely.
    absl::string_view rest = AV(url);
    std::string lower = absl::AsciiStrToLower(rest);
    for (size_t at = 0; (at = lower.find("url", at)) != std::string::npos; ++at) {
      absl::string_view after = absl::StripLeadingAsciiWhitespace(rest.substr(at + 3));
      if (after.empty() || after[0] != '=') continue;
      after = absl::StripLeadingAsciiWhitespace(after.substr(1));
      if (!after.empty() && (after[0] == '\'' || after[0] == '"')) {
        after = after.substr(1, after.find(after[0], 1) - 1);
      }
      if (!IsSafeUrl(std::string_view(after.data(), after.size()))) return kRefresh;
    }
    return "";
  }
  if (EqualsNoCase(name, "srcset")) {
    // Candidates are "url [descriptor]" separated by commas.
    for (absl::string_view candidate : absl::StrSplit(AV(url), ',')) {
      absl::string_view u = absl::StripLeadingAsciiWhitespace(candidate);
      u = u.substr(0, u.find_first_of(" \t\n\r\f"));
      if (!IsSafeUrl(std::string_view(u.data(), u.size()))) {
        return absl::StrCat("unsafe URL in :srcset of <", AV(tag), ">");
      }
    }
    return "";
  }
  if (!IsSafeUrl(url)) {
    return absl::StrCat("unsafe URL in :", AV(name), " of <", AV(tag),
                        "> (allowed: relative, http, https, mailto, tel, sexpr)");
  }
  return "";
}

}  // namespace

void Renderer::Neutralize(uint64_t RenderStats::*counter, std::string why) {
  if (!options_.neutralize_unsafe) Fail(std::move(why));
  if (options_.stats == nullptr) return;
  ++(options_.stats->*counter);
  if (options_.stats->first.empty()) options_.stats->first = std::move(why);
}

void Renderer::ValidAttribute(std::string_view tag, std::string_view name, const Value& v,
                              bool url_attribute) {
  bool checked = options_.url_policy == UrlPolicy::kSafeSchemes && url_attribute;
  if (checked && v.truthy() && EqualsNoCase(name, "srcdoc")) {
    Neutralize(&RenderStats::unsafe_urls,
               absl::StrCat(":srcdoc of <", AV(tag), "> is a whole HTML document, which the safe "
                            "URL policy does not allow"));
    return;  // left out
  }
  auto open = [&] {
    out_.Append(' ');
    out_.Append(name);
    out_.Append("=\"");
  };
  auto text = [&](std::string_view t) {  // a string or a name, escaped
    if (checked) {
      if (std::string why = UnsafeUrlReason(tag, name, t); !why.empty()) {
        Neutralize(&RenderStats::unsafe_urls, std::move(why));
        if (tag == "meta") return;  // a refresh's :content: left out
        open();
        out_.Append(kNeutralizedUrl);
        out_.Append('"');
        return;
      }
    }
    open();
    out_.AppendEscaped(t);
    out_.Append('"');
  };
  switch (v.type()) {
    case ValueType::kNil:
      return;
    case ValueType::kBool:
      if (v.as_bool()) {
        out_.Append(' ');
        out_.Append(name);
      }
      return;
    case ValueType::kString:
    case ValueType::kHtml:  // raw! marks markup, not attribute text: escaped all the same
      text(v.str());
      return;
    case ValueType::kKeyword:
    case ValueType::kSymbol:
      text(v.name());
      return;
    case ValueType::kInt:
    case ValueType::kFloat:
      open();
      AppendNumber(v);
      out_.Append('"');
      return;
    case ValueType::kList:
    case ValueType::kDict:
      if (name == "class") {
        open();
        bool first = true;
        ClassValue(v, &first, 0);
        out_.Append('"');
        return;
      }
      if (name == "style" && v.is_dict()) {
        open();
        StyleValue(v);
        out_.Append('"');
        return;
      }
      Fail(absl::StrCat("attribute :", AV(name), " cannot be a ", AV(ValueTypeName(v.type())),
                        " (only :class takes a list, :class and :style a dict)"));
    default:
      Fail(absl::StrCat("attribute :", AV(name), " cannot be a ", AV(ValueTypeName(v.type()))));
  }
}

bool Renderer::Scalar(const Value& v) {
  switch (v.type()) {
    case ValueType::kNil:
    case ValueType::kBool:
      return true;
    case ValueType::kInt:
    case ValueType::kFloat:
      AppendNumber(v);
      return true;
    case ValueType::kHtml:
      // Markup the renderer made for one context (a cached subtree) parses
      // as intended only there: HTML's <style> text is markup inside <svg>.
      if (v.html_context() != 0 && v.html_context() != MarkupTag(context_)) {
        Fail(absl::StrCat("markup rendered for ", AV(NameOfMarkupContext(v.html_context()).display),
                          " cannot be placed in ", AV(NameOfMarkupContext(MarkupTag(context_)).display),
                          " content, where it would parse differently (render it there)"));
      }
      out_.Append(v.str());
      return true;
    default:
      return false;
  }
}

void Renderer::RawText(std::string_view tag, const Value& el) {
  // Joined first: the check must see what the parser will, whatever the
  // children that spell it (("<" "/script>") as much as "</script>").
  std::string& text = text_;
  text.clear();
  for (size_t i = 1; i < el.size(); ++i) {
    const Value& v = el[i];
    if (v.is_keyword()) {
      ++i;  // an attribute pair, written by OpenTag
      continue;
    }
    switch (v.type()) {
      case ValueType::kNil:
      case ValueType::kBool:
        break;
      case ValueType::kInt:
      case ValueType::kFloat:
        absl::StrAppend(&text, Text(v));
        break;
      case ValueType::kString:
      case ValueType::kHtml:
        absl::StrAppend(&text, AV(v.str()));
        break;
      default:
        Fail(absl::StrCat("<", AV(tag), "> can contain only text, got a ",
                          AV(ValueTypeName(v.type()))));
    }
  }
  if (ContainsNoCase(text, absl::StrCat("</", AV(tag))) || text.find("<!--") != std::string::npos) {
    Neutralize(&RenderStats::raw_text_escaped,
               absl::StrCat("text inside <", AV(tag), "> contains \"</", AV(tag),
                            "\" or \"<!--\", which would end or confuse the element"));
    // Every "<" before "/" or "!" escaped in the element's own language, so
    // nothing can end it; inside a JavaScript or JSON string the text reads
    // the same (\u003c), as it does in a CSS string or name (\3c ).
    const std::string_view escape = tag == "style" ? "\\3c " : "\\u003c";
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '<' && i + 1 < text.size() && (text[i + 1] == '/' || text[i + 1] == '!')) {
        out_.Append(escape);
      } else {
        out_.Append(text[i]);
      }
    }
    return;
  }
  out_.Append(text);
}

// Whether the text of element `el` (a pre, listing or textarea) starts with
// a newline, which the parser would take as the one it drops after the
// start tag: then one more is written. pre and listing end foreign content
// (the parser puts them in HTML wherever they are); a textarea inside SVG
// or MathML is foreign, and keeps its newline. The first text is found
// through fragments and lists of nodes, past what renders as nothing.
bool Renderer::LeadingNewline(std::string_view tag, const Value& el) {
  if (tag == "textarea" && !RawTextContext(context_)) return false;
  struct Walk {
    Renderer* renderer;
    int First(const Value& list, size_t from, int depth) {  // 1 yes, 0 no, -1 nothing yet
      for (size_t i = from; i < list.size(); ++i) {
        // Charged per item visited: lists that share structure (a list
        // holding one empty fragment twice, 32 deep) would otherwise make
        // this walk 2^32 items long, outside every limit.
        renderer->Charge(1);
        const Value& x = list[i];
        if (from == 1 && x.is_keyword() && i + 1 < list.size()) {
          ++i;  // an attribute
          continue;
        }
        if (x.is_nil() || x.is_bool()) continue;
        if (x.is_string() || x.is_html()) {
          if (x.str().empty()) continue;
          return x.str()[0] == '\n' || x.str()[0] == '\r' ? 1 : 0;  // CR, CR LF: a newline
        }
        if (x.is_list() && depth < 32) {
          bool nodes = x.size() == 0 || !x[0].is_symbol();
          bool fragment = !nodes && x[0].name() == "<>";
          if (!nodes && !fragment) return 0;  // an element comes first
          int r = First(x, nodes ? 0 : 1, depth + 1);
          if (r >= 0) return r;
          continue;
        }
        return 0;
      }
      return -1;
    }
  };
  return Walk{this}.First(el, 1, 0) == 1;
}

void Renderer::VoidChild(std::string_view tag, const Value& v) {
  if (v.is_nil() || v.is_bool() || (v.is_list() && v.size() == 0)) return;
  Fail(absl::StrCat("<", AV(tag), "> is a void element and cannot have children"));
}

void Renderer::CloseTag(std::string_view tag) {
  out_.Append("</");
  out_.Append(tag);
  out_.Append('>');
}

void Renderer::OpenTag(const Value& el, std::string_view tag) {
  if (tag == "html") out_.Append("<!DOCTYPE html>");
  out_.Append('<');
  out_.Append(tag);
  for (size_t i = 1; i < el.size(); ++i) {
    if (!el[i].is_keyword()) continue;
    if (i + 1 >= el.size()) {
      Fail(absl::StrCat("attribute :", AV(el[i].name()), " of <", AV(tag), "> has no value"));
    }
    Attribute(tag, el[i].name(), el[i + 1]);
    ++i;
  }
  out_.Append('>');
}

void Renderer::Render(const Value& root) {
  struct Open {
    const Value* list;
    size_t next;
    std::string_view tag;  // end tag to write; empty for fragments and splices
    bool element;          // keyword pairs are attributes (already written)
    Context outer;         // the context to go back to after the end tag
  };
  std::vector<Open> stack;
  struct Restore {  // should a rule fail midway (a try may catch it)
    Renderer& r;
    Context saved;
    ~Restore() { r.set_context(saved); }
  } restore{*this, context_};
  auto visit = [&](const Value& v) {
    Charge(1);  // per node: shared structure renders once per reference
    if (Scalar(v)) return;
    switch (v.type()) {
      case ValueType::kString:
        out_.AppendEscaped(v.str());
        return;
      case ValueType::kList: {
        if (v.size() == 0) return;
        if (!v[0].is_symbol()) {  // a list of nodes: each in turn
          stack.push_back({&v, 0, {}, false, context_});
          return;
        }
        std::string_view tag = v[0].name();
        if (tag == "<>") {
          stack.push_back({&v, 1, {}, true, context_});
          return;
        }
        if (tag == "raw!") {
          Fail("(raw! …) arriving as data is not markup: only code can call raw!");
        }
        if (!IsElementName(tag)) {
          Fail(absl::StrCat("'", AV(tag), "' is not an HTML element (nor a custom element "
                            "with a '-'), and nothing by that name is defined"));
        }
        OpenTag(v, tag);
        bool is_void = IsVoidElement(tag);
        bool is_raw = IsRawTextElement(tag);
        if (is_raw || ChangesContext(tag)) context_sensitive_ = true;
        if (is_raw && RawTextContext(context_)) {
          RawText(tag, v);
          CloseTag(tag);
          return;
        }
        if (!is_void) {  // (script and style in SVG/MathML too: their text is escaped)
          if (DropsLeadingNewline(tag) && LeadingNewline(tag, v)) out_.Append('\n');
          stack.push_back({&v, 1, tag, true, context_});
          set_context(ChildContext(context_, tag));
          return;
        }
        for (size_t i = 1; i < v.size(); ++i) {
          if (v[i].is_keyword()) {
            ++i;  // an attribute pair, written by OpenTag
          } else {
            VoidChild(tag, v[i]);
          }
        }
        return;
      }
      case ValueType::kKeyword:
        Fail(absl::StrCat("cannot render the keyword :", AV(v.name()),
                          " (attributes come in pairs inside an element)"));
      case ValueType::kSymbol:
        Fail(absl::StrCat("cannot render the symbol ", AV(v.name())));
      default:
        Fail(absl::StrCat("cannot render a ", AV(ValueTypeName(v.type()))));
    }
  };
  visit(root);
  while (!stack.empty()) {
    size_t top = stack.size() - 1;
    const Value& list = *stack[top].list;
    if (stack[top].next >= list.size()) {
      if (!stack[top].tag.empty()) CloseTag(stack[top].tag);
      set_context(stack[top].outer);
      stack.pop_back();
      CheckSink();
      continue;
    }
    const Value& item = list[stack[top].next++];
    if (stack[top].element && item.is_keyword()) {
      if (stack[top].tag.empty()) {
        Fail(absl::StrCat("a fragment (<> …) takes no attributes, got :", AV(item.name())));
      }
      ++stack[top].next;  // written with the start tag
      continue;
    }
    visit(item);
  }
  CheckSink();
}

MarkupContextName NameOfMarkupContext(uint8_t tag) {
  static_assert(static_cast<int>(Context::kMathText) == 3, "one row per Context");
  static constexpr MarkupContextName kNames[] = {
      {"HTML", "html"}, {"SVG", "svg"}, {"MathML", "math"}, {"MathML text", "math-text"}};
  if (tag == 0 || tag > std::size(kNames)) return {"an unknown context", "unknown"};
  return kNames[tag - 1];
}

Value RenderMarkupFor(eval_internal::Machine& m, const Value& tree, uint8_t context_tag,
                      std::string* markup) {
  markup->clear();
  StringSink sink(markup);
  uint8_t outer = m.markup_context();
  {
    // (Named: the Renderer keeps a reference to its options.)
    const RenderOptions options;
    HtmlOut out(sink, options.chunk_bytes);
    // Data only: no machine (nothing runs), but the machine's budget.
    Renderer r(out, options, nullptr, &m.budget());
    r.set_context(static_cast<Context>(context_tag - 1));
    try {
      r.Render(tree);
      r.CheckSink();
    } catch (eval_internal::Fault& fault) {
      m.set_markup_context(outer);
      if (fault.limit) m.FailBudget();
      m.Fail(fault.code, std::move(fault.message), nullptr);
    }
    if (!out.Finish()) m.Fail(EvalErrorCode::kRender, "the sink refused the output", nullptr);
  }
  Value made = m.MakeString(*markup);
  return Value::HtmlView(made.str(), context_tag);
}

}  // namespace html_internal

namespace {

using eval_internal::Access;
using eval_internal::Code;
using eval_internal::Fault;
using eval_internal::Frame;
using eval_internal::FromFault;
using eval_internal::Machine;

// While alive, the machine's values go to the environment's scratch arena,
// which is emptied when the outermost render ends (however it ends: a
// render started by a host primitive inside another shares the arena).
class ScratchScope {
 public:
  explicit ScratchScope(Machine& m) : m_(m) {
    ++m_.env().active_renders;
    m_.UseScratch(&m_.env().scratch);
  }
  ~ScratchScope() {
    m_.UseScratch(nullptr);
    if (--m_.env().active_renders == 0) m_.env().scratch.Reset();
  }
  ScratchScope(const ScratchScope&) = delete;
  ScratchScope& operator=(const ScratchScope&) = delete;

 private:
  Machine& m_;
};

EvalResult Finish(html_internal::HtmlOut& out) {
  if (!out.Finish()) {
    EvalError e;
    e.code = EvalErrorCode::kRender;
    e.message = "the sink refused the output";
    return e;
  }
  return Value::Int(static_cast<int64_t>(out.written()));
}

// The last form of a RenderHtml text: rendered instead of returned.
class RenderLast final : public eval_internal::LastForm {
 public:
  RenderLast(html_internal::HtmlOut& out, const RenderOptions& options)
      : out_(out), options_(options) {}
  Value Run(Machine& m, const Code* code, Frame* frame) const override {
    ScratchScope scratch(m);
    html_internal::Renderer r(out_, options_, &m);
    code->Emit(m, frame, r);  // a top-level form is never a tail call
    r.CheckSink();
    return Value();
  }

 private:
  html_internal::HtmlOut& out_;
  const RenderOptions& options_;
};

}  // namespace

EvalResult RenderHtml(Environment& env, std::string_view text, ByteSink& sink,
                      std::string_view file, const RenderOptions& options,
                      const EvalLimits& limits) {
  html_internal::HtmlOut out(sink, options.chunk_bytes);
  RenderLast last(out, options);
  EvalResult r = eval_internal::RunText(env, text, file, limits, &last);
  if (!r.ok()) return r;
  return Finish(out);
}

EvalResult RenderCall(Environment& env, const Value& fn, absl::Span<const Value> args,
                      ByteSink& sink, const RenderOptions& options, const EvalLimits& limits) {
  html_internal::HtmlOut out(sink, options.chunk_bytes);
  Machine m(Access::StateOf(env), Access::InterruptOf(env), limits);
  try {
    ScratchScope scratch(m);
    html_internal::Renderer r(out, options, &m);
    m.Apply(fn, args.data(), args.size(), nullptr, &r);
    r.CheckSink();
  } catch (const Fault& f) {
    return FromFault(f);
  }
  return Finish(out);
}

EvalResult RenderData(const Value& tree, ByteSink& sink, const RenderOptions& options,
                       const EvalLimits& limits) {
  html_internal::HtmlOut out(sink, options.chunk_bytes);
  std::optional<Budget> own;
  Budget* budget = limits.budget;
  if (budget == nullptr) budget = &own.emplace(limits);
  try {
    html_internal::Renderer r(out, options, nullptr, budget);
    r.Render(tree);
  } catch (const Fault& f) {
    return FromFault(f);
  }
  return Finish(out);
}

}  // namespace sexp
