// The streaming HTML path: compiled code writing its HTML as it runs, so a
// page is never built as a tree first (spec/rendering.md, "Streaming").
//
// Code::Render is Eval's twin for a value that is about to be rendered. The
// default evaluates and renders the value (Renderer::Node); the nodes below
// do better:
//   - an element writes the bytes its plan fixed at compile time (tags,
//     literal attributes and text, escaped once) and runs only the rest;
//   - a call of sx code renders the callee's body in place (Machine::Apply
//     with a Renderer), a tail call included, through Apply's loop;
//   - if/cond/case/let/do render the branch or last form they pick;
//   - (str …) writes its pieces escaped; (map f xs) renders each (f x).
// The bytes are those of evaluating to data and rendering that
// (tests/html_stream_test.cc holds the two paths to it).
#include <algorithm>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "html/elements.h"
#include "html/render.h"
#include "nodes.h"
#include "prims.h"
#include "strutil.h"

namespace sexp::eval_internal {

using html_internal::HtmlOut;
using html_internal::IsRawTextElement;
using html_internal::IsUrlAttribute;
using html_internal::IsValidAttributeName;
using html_internal::IsVoidElement;
using internal::AV;

Value Code::Render(Machine& m, Frame* f, Renderer& r) const {
  Value v = Eval(m, f);
  if (Machine::IsTailMarker(v)) return v;
  m.set_site(this);  // errors in the value's HTML point at what made it
  r.Node(v);
  return Value();
}

void RenderValue(Renderer& r, const Value& v) { r.Node(v); }

void RenderPrimitive(Machine& m, const Primitive& p, const Value* args, size_t n,
                     const Code* site, Renderer& r) {
  if (p.stream == StreamOp::kMap && n == 2 && (args[1].is_list() || args[1].is_nil())) {
    // (map f xs) as `map` runs it (same calls, same steps), each result
    // rendered where it is made instead of collected.
    Value fn = args[0];
    Value xs = args[1];
    for (const Value& x : xs.items()) m.Apply(fn, &x, 1, site, &r);
    return;
  }
  Value v = m.RunPrimitive(p, args, n, site);
  if (site != nullptr) m.set_site(site);
  r.Node(v);
}

Value If::Render(Machine& m, Frame* f, Renderer& r) const {
  return test->Eval(m, f).truthy() ? then->Render(m, f, r) : otherwise->Render(m, f, r);
}

Value Seq::Render(Machine& m, Frame* f, Renderer& r) const {
  size_t last = body.size() - 1;
  for (size_t i = 0; i < last; ++i) body[i]->Eval(m, f);
  return body[last]->Render(m, f, r);
}

Value Cond::Render(Machine& m, Frame* f, Renderer& r) const {
  for (const auto& [test, body] : clauses) {
    if (test == nullptr || test->Eval(m, f).truthy()) return body->Render(m, f, r);
  }
  return Value();
}

Value Case::Render(Machine& m, Frame* f, Renderer& r) const {
  Value k = key->Eval(m, f);
  for (const auto& [datum, body] : clauses) {
    if (ValuesEqual(k, datum)) return body->Render(m, f, r);
  }
  return otherwise ? otherwise->Render(m, f, r) : Value();
}

Value CallStr::Render(Machine& m, Frame* f, Renderer& r) const {
  if (!Holds()) return Code::Render(m, f, r);
  m.Step();  // as the call of the primitive
  for (const Code* a : args) r.Display(a->Eval(m, f));
  return Value();
}

void Element::FailMisplaced(Machine& m, const Value& v, const Code* at) const {
  if (v.is_keyword()) {
    m.Fail("render",
           absl::StrCat("(", AV(name->name()), " …): a child expression gave the keyword :",
                        AV(v.name()),
                        "; attribute names are keywords or (keyword …) in the element form"),
           at);
  }
  m.Fail("render", absl::StrCat("(", AV(name->name()), " …): an attribute name gave a ",
                                AV(ValueTypeName(v.type())), ", not a keyword"),
         at);
}

namespace {

// Writes ` name="…"` for an attribute whose value is a (str …) of the
// built-in: the pieces escaped in place, or assembled first when the value
// is a URL the policy must see whole.
void StrAttribute(Machine& m, Frame* f, Renderer& r, const Code* site, std::string_view tag,
                  std::string_view name, const CallStr& s) {
  if (!s.Holds()) {
    Value v = s.Eval(m, f);
    m.set_site(site);
    r.Attribute(tag, name, v);
    return;
  }
  m.Step();
  if (r.options().url_policy == UrlPolicy::kSafeSchemes && IsUrlAttribute(name)) {
    std::string& text = r.text_buffer();
    text.clear();
    for (const Code* a : s.args) AppendDisplay(&text, a->Eval(m, f));
    m.set_site(site);
    r.Attribute(tag, name, Value::StringView(text));
    return;
  }
  HtmlOut& out = r.out();
  out.Append(' ');
  out.Append(name);
  out.Append("=\"");
  for (const Code* a : s.args) r.Display(a->Eval(m, f));
  out.Append('"');
}

// Runs `write` against a renderer with no machine (so a rule it breaks
// throws); the bytes it wrote, or false.
template <class F>
bool Precompute(F&& write, std::string* bytes) {
  bytes->clear();
  HtmlStringSink sink(bytes);
  HtmlOut out(sink, size_t{1} << 20);
  RenderOptions options;  // safe URLs: bytes that every policy writes the same
  Renderer r(out, options, nullptr);
  try {
    write(r);
  } catch (const Fault&) {
    return false;
  }
  return out.Flush();
}

}  // namespace

void PlanElement(Element& e) {
  std::string_view tag = e.name->name();
  bool fragment = tag == "<>";
  auto literal = [&](size_t i) { return dynamic_cast<const Const*>(e.args[i]); };
  auto is_computed_name = [&](size_t i) {
    return std::find(e.computed_names.begin(), e.computed_names.end(), i) !=
           e.computed_names.end();
  };
  auto is_attribute_name = [&](size_t i) {
    const Const* c = literal(i);
    return (c != nullptr && c->v.is_keyword()) || is_computed_name(i);
  };
  // A fragment with attributes, or a name without a value: left to the data
  // renderer, which reports them.
  for (size_t i = 0; i < e.args.size(); ++i) {
    if (!is_attribute_name(i)) continue;
    if (fragment || i + 1 == e.args.size()) return;
    ++i;
  }
  using Part = Element::Part;
  auto add_bytes = [&](std::string_view b) {
    if (b.empty()) return;
    if (!e.parts.empty() && e.parts.back().kind == Part::kBytes &&
        e.parts.back().offset + e.parts.back().size == e.bytes.size()) {
      e.parts.back().size += static_cast<uint32_t>(b.size());
    } else {
      e.parts.push_back({Part::kBytes, static_cast<uint32_t>(e.bytes.size()),
                         static_cast<uint32_t>(b.size()), nullptr});
    }
    e.bytes.append(b);
  };
  auto add_part = [&](Part::Kind kind, std::string_view name, const Code* code) {
    e.parts.push_back({kind, static_cast<uint32_t>(e.bytes.size()),
                       static_cast<uint32_t>(name.size()), code});
    e.bytes.append(name);
  };
  std::string b;
  if (tag == "html") add_bytes("<!DOCTYPE html>");
  if (!fragment) add_bytes(absl::StrCat("<", AV(tag)));
  for (size_t i = 0; i < e.args.size(); ++i) {
    if (!is_attribute_name(i)) continue;
    if (is_computed_name(i)) {
      e.parts.push_back({Part::kAttr, 0, 0, e.args[i + 1], e.args[i]});
      ++i;
      continue;
    }
    std::string_view name = literal(i)->v.name();
    const Code* value = e.args[++i];
    if (const Const* c = literal(i);
        c != nullptr && Precompute([&](Renderer& r) { r.Attribute(tag, name, c->v); }, &b)) {
      add_bytes(b);
    } else if (dynamic_cast<const CallStr*>(value) != nullptr && IsValidAttributeName(name)) {
      add_part(Part::kAttrStr, name, value);
    } else {
      add_part(Part::kAttr, name, value);
    }
  }
  if (!fragment) add_bytes(">");
  bool is_void = IsVoidElement(tag);
  bool is_raw = IsRawTextElement(tag);
  for (size_t i = 0; i < e.args.size(); ++i) {
    if (is_attribute_name(i)) {
      ++i;
      continue;
    }
    const Const* c = literal(i);
    if (is_void) {
      if (c != nullptr && (c->v.is_nil() || c->v.is_bool())) continue;
      add_part(Part::kVoidChild, "", e.args[i]);
    } else if (is_raw) {
      if (c != nullptr && Precompute([&](Renderer& r) { r.RawTextChild(tag, c->v); }, &b)) {
        add_bytes(b);
      } else {
        add_part(Part::kRawChild, "", e.args[i]);
      }
    } else if (c != nullptr && Precompute([&](Renderer& r) { r.Render(c->v); }, &b)) {
      add_bytes(b);
    } else {
      add_part(Part::kChild, "", e.args[i]);
    }
  }
  if (!fragment && !is_void) add_bytes(absl::StrCat("</", AV(tag), ">"));
  e.streamable = true;
}

Value Element::Render(Machine& m, Frame* f, Renderer& r) const {
  Value head = local != nullptr ? local->Eval(m, f) : cell->bound ? cell->value : Value();
  if (head.is_callable()) {
    ArgValues argv(args.size());
    for (size_t i = 0; i < args.size(); ++i) argv[i] = args[i]->Eval(m, f);
    return RenderInvoke(m, head, argv.data(), argv.size(), tail, this, r);
  }
  if (!streamable) return Code::Render(m, f, r);
  m.Step();
  HtmlOut& out = r.out();
  std::string_view tag = name->name();
  for (const Part& p : parts) {
    std::string_view text(bytes.data() + p.offset, p.size);
    switch (p.kind) {
      case Part::kBytes:
        out.Append(text);
        break;
      case Part::kAttr: {
        if (p.name != nullptr) {  // (keyword …) then the value
          Value n = p.name->Eval(m, f);
          Value v = p.code->Eval(m, f);
          if (!n.is_keyword()) FailMisplaced(m, n, p.name);
          m.set_site(this);
          r.Attribute(tag, n.name(), v);
          break;
        }
        Value v = p.code->Eval(m, f);
        m.set_site(this);
        r.Attribute(tag, text, v);
        break;
      }
      case Part::kAttrStr:
        StrAttribute(m, f, r, this, tag, text, *static_cast<const CallStr*>(p.code));
        break;
      case Part::kChild:
        p.code->Render(m, f, r);  // children are not in tail position
        break;
      case Part::kVoidChild: {
        Value v = p.code->Eval(m, f);
        m.set_site(this);
        r.VoidChild(tag, v);
        break;
      }
      case Part::kRawChild: {
        Value v = p.code->Eval(m, f);
        m.set_site(this);
        r.RawTextChild(tag, v);
        break;
      }
    }
  }
  if (out.failed()) {
    m.set_site(this);
    r.CheckSink();
  }
  return Value();
}

}  // namespace sexp::eval_internal
