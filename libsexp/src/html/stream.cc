// The streaming HTML path: compiled code writing its HTML as it runs, so a
// page is never built as a tree first (spec/rendering.md, "Streaming").
//
// Code::Emit (eval/emit.cc) is Eval's twin for a value that is about to be
// handed on; with a Renderer as the Emitter the value is rendered. Calls and
// control forms emit in place there; the html element (element.h) does more:
//   - an element writes the bytes its plan fixed at compile time (tags,
//     literal attributes and text, escaped once) and runs only the rest;
//   - a call of sx code renders the callee's body in place (Machine::Apply
//     with a Renderer), a tail call included, through Apply's loop;
//   - if/cond/case/let/do render the branch or last form they pick;
//   - (str …) writes its pieces escaped; (map f xs) renders each (f x).
// The bytes are those of evaluating to data and rendering that
// (tests/html/stream_test.cc holds the two paths to it).
#include <algorithm>
#include <functional>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "core/strutil.h"
#include "eval/nodes.h"
#include "eval/prims.h"
#include "html/element.h"
#include "html/elements.h"
#include "html/render.h"

namespace sexp::html_internal {

using eval_internal::AppendDisplay;
using eval_internal::CallMap;
using eval_internal::Const;
using eval_internal::EmitInvoke;
using eval_internal::Fault;
using eval_internal::GlobalRef;
using eval_internal::If;
using eval_internal::KeyGet;
using eval_internal::Local0;
using eval_internal::LocalN;
using internal::AV;

void Element::FailMisplaced(Machine& m, const Value& v, const Code* at) const {
  if (v.is_keyword()) {
    m.Fail(EvalErrorCode::kRender,
           absl::StrCat("(", AV(name->name()), " …): a child expression gave the keyword :",
                        AV(v.name()),
                        "; attribute names are keywords or (keyword …) in the element form"),
           at);
  }
  m.Fail(EvalErrorCode::kRender, absl::StrCat("(", AV(name->name()), " …): an attribute name gave a ",
                                AV(ValueTypeName(v.type())), ", not a keyword"),
         at);
}

namespace {

// A (str …) attribute whose pieces cannot be streamed (kAttrStr): `str`
// was rebound, or the URL policy must see the whole value (assembled in the
// renderer's buffer then, so nothing is allocated).
void StrAttributeWhole(Machine& m, Frame* f, Renderer& r, const Element::Part& p,
                       std::string_view name) {
  const auto& s = *static_cast<const CallStr*>(p.code);
  Value v;
  if (s.Holds()) {
    m.Step();
    std::string& text = r.text_buffer();
    text.clear();
    for (const Code* a : s.args) AppendDisplay(m, &text, a->Eval(m, f));
    v = Value::StringView(text);
  } else {
    v = s.Eval(m, f);
  }
  m.set_site(p.owner);
  r.ValidAttribute(p.owner->name->name(), name, v, p.url);
}

// Runs `write` against a renderer with no machine (so a rule it breaks
// throws); the bytes it wrote, or false. Charged to `budget` (the compiling
// evaluation's): a constant can share structure (a macro's result), and its
// bytes are precomputed here — a limit it runs out of is the compile's.
template <class F>
bool Precompute(F&& write, std::string* bytes, Budget* budget) {
  bytes->clear();
  StringSink sink(bytes);
  HtmlOut out(sink, 256);  // small pieces: a small buffer
  // Safe URLs: bytes that every policy writes the same. What would be
  // neutralized is left to the render, where it is counted.
  RenderOptions options;
  options.neutralize_unsafe = false;
  Renderer r(out, options, nullptr, budget);
  try {
    write(r);
  } catch (const Fault& fault) {
    if (fault.limit) throw;
    return false;
  }
  return !r.context_sensitive() && out.Finish();
}

// Appends parts to a plan: static bytes gather into one run that becomes
// the prefix of the next part that runs (or of a final kBytes part).
class PlanBuilder {
 public:
  using Part = Element::Part;
  PlanBuilder(std::string* bytes, std::vector<Part>* parts)
      : bytes_(*bytes), parts_(*parts), run_(bytes_.size()) {}

  void Bytes(std::string_view b) { bytes_.append(b); }
  // A part that runs; `text` (an attribute's name) is kept in the bytes.
  void Add(Part p, std::string_view text) {
    p.pre_offset = static_cast<uint32_t>(run_);
    p.pre_size = static_cast<uint32_t>(bytes_.size() - run_);
    p.offset = static_cast<uint32_t>(bytes_.size());
    p.size = static_cast<uint32_t>(text.size());
    bytes_.append(text);
    run_ = bytes_.size();
    parts_.push_back(p);
    sealed_ = false;
  }
  size_t size() const { return parts_.size(); }
  size_t pending() const { return bytes_.size() - run_; }  // bytes not yet in a prefix
  Part& operator[](size_t i) { return parts_[i]; }
  // The flat plan of a child element, in place. Its final kBytes part
  // merges into what follows; others (the ends of loop bodies) stay, as the
  // loops count them.
  void Inline(const Element& child) {
    for (const Part& p : child.parts) {
      Bytes(std::string_view(child.bytes.data() + p.pre_offset, p.pre_size));
      if (p.kind != Part::kBytes || &p != &child.parts.back()) {
        Add(p, std::string_view(child.bytes.data() + p.offset, p.size));
      }
    }
  }
  // Ends a run of parts (a loop's body, a branch) with the bytes still
  // pending.
  void Seal() {
    if (pending() > 0) AddBytes();
    sealed_ = true;
  }
  // Ends the plan with the bytes after the last part that runs: always a
  // kBytes part of its own, which Inline drops (a run that was just sealed
  // keeps its end).
  void Finish() {
    if (pending() > 0 || parts_.empty() || sealed_) AddBytes();
  }

 private:
  void AddBytes() {
    Part end;
    end.kind = Part::kBytes;
    Add(end, "");
  }

  std::string& bytes_;
  std::vector<Part>& parts_;
  size_t run_;  // where the pending run of static bytes starts
  bool sealed_ = false;  // the last part ends a sealed run
};

// Inlining stops at children this big, so plans stay linear in the source.
constexpr size_t kMaxInlineParts = 64;
constexpr size_t kMaxInlineBytes = 16 << 10;

// How a part's value is best read (Part::source); a child whose value has
// nothing to stream (a lookup, a variable) becomes kChildValue, written
// without a Render call.
Element::Part WithSource(Element::Part p) {
  using Part = Element::Part;
  if (dynamic_cast<const KeyGet*>(p.code) != nullptr) {
    p.source = Part::kKeyGet;
  } else if (const auto* local = dynamic_cast<const Local0*>(p.code)) {
    p.source = Part::kSlot;
    p.slot = local->index;
  } else if (dynamic_cast<const LocalN*>(p.code) == nullptr &&
             dynamic_cast<const GlobalRef*>(p.code) == nullptr) {
    return p;  // anything else: as planned
  }
  if (p.kind == Part::kChild) p.kind = Part::kChildValue;
  return p;
}

}  // namespace

void PlanElement(Element& e, Budget* budget) {
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
  // script and style (raw text in HTML, escaped in SVG and MathML: known
  // only where they run) are rendered as data; so are pre, listing and
  // textarea (whether a newline goes after the start tag depends on their
  // first text: Renderer::LeadingNewline), a fragment with attributes and
  // a name without a value, which the data renderer reports.
  if (IsRawTextElement(tag) || DropsLeadingNewline(tag)) return;
  for (size_t i = 0; i < e.args.size(); ++i) {
    if (!is_attribute_name(i)) continue;
    if (fragment || i + 1 == e.args.size()) return;
    ++i;
  }
  using Part = Element::Part;
  auto part = [&](Part::Kind kind, const Code* code) {
    Part p;
    p.kind = kind;
    p.code = code;
    p.owner = &e;
    return p;
  };
  bool is_void = IsVoidElement(tag);
  e.changes_context = ChangesContext(tag);
  std::string b;
  // A child element whose plan can be merged into this one, and the guard
  // that keeps it valid (its head and those of the elements inlined in it
  // stay non-callable).
  auto fits = [](const Element* el) {
    return el->streamable && !el->changes_context && el->parts.size() <= kMaxInlineParts &&
           el->bytes.size() <= kMaxInlineBytes;
  };
  auto inlinable = [&](const Element* el) {
    return el != nullptr && el->local == nullptr && fits(el);
  };
  auto guard_by = [&](const Element& el) {
    if (el.cell != nullptr) e.guards.push_back(el.cell);
    e.guards.insert(e.guards.end(), el.guards.begin(), el.guards.end());
    e.str_guards.insert(e.str_guards.end(), el.str_guards.begin(), el.str_guards.end());
  };
  // Plans a node that renders as a child: constants as bytes, elements
  // inlined (when flattening), if/when and (map (fn …) …) as parts whose
  // branches and loop bodies are planned the same way, anything else as a
  // part that renders it. Returns the steps the elements it inlined are
  // charged where it runs (as when each runs its own).
  std::function<uint32_t(PlanBuilder&, const Code*, bool)> plan_child =
      [&](PlanBuilder& plan, const Code* child, bool flatten) -> uint32_t {
    if (const auto* c = dynamic_cast<const Const*>(child);
        c != nullptr && Precompute([&](Renderer& r) { r.Render(c->v); }, &b, budget)) {
      plan.Bytes(b);
      return 0;
    }
    if (const auto* el = dynamic_cast<const Element*>(child); flatten && inlinable(el)) {
      plan.Inline(*el);
      guard_by(*el);
      return 1 + el->inlined;
    }
    if (const auto* el = dynamic_cast<const Element*>(child);
        flatten && el != nullptr && el->local != nullptr && fits(el)) {
      // A name that is also a local (a parameter called `p`): checked where
      // it runs. [kLocalHead: skip = n] [the element: n parts, sealed]
      Part head = WithSource(part(Part::kLocalHead, el->local));
      head.name = el;
      head.steps = 1 + el->inlined;
      plan.Add(head, "");
      size_t at = plan.size() - 1;
      plan.Inline(*el);
      plan.Seal();
      plan[at].skip = static_cast<uint32_t>(plan.size() - 1 - at);
      guard_by(*el);
      return 0;
    }
    if (const auto* each = dynamic_cast<const CallMap*>(child)) {
      // [kEach: skip = n] [the lambda's body: n parts, the last sealed]
      plan.Add(part(Part::kEach, child), "");
      size_t at = plan.size() - 1;
      uint32_t steps = plan_child(plan, each->fn->lambda->body, flatten);
      plan.Seal();
      plan[at].skip = static_cast<uint32_t>(plan.size() - 1 - at);
      plan[at].steps = steps;
      return 0;
    }
    if (const auto* branch = dynamic_cast<const If*>(child)) {
      // [kIf: skip = n] [then: n - 1 parts] [kJump: skip = m] [else: m parts],
      // or with nothing to write for else (when): [kIf: skip = n] [then: n]
      plan.Add(WithSource(part(Part::kIf, branch->test)), "");
      size_t at = plan.size() - 1;
      uint32_t then_steps = plan_child(plan, branch->then, flatten);
      if (const auto* c = dynamic_cast<const Const*>(branch->otherwise);
          c != nullptr && Precompute([&](Renderer& r) { r.Render(c->v); }, &b, budget) && b.empty()) {
        plan.Seal();
        plan[at].skip = static_cast<uint32_t>(plan.size() - 1 - at);
        plan[at].steps = then_steps;
        return 0;
      }
      plan.Add(part(Part::kJump, nullptr), "");
      size_t jump = plan.size() - 1;
      uint32_t else_steps = plan_child(plan, branch->otherwise, flatten);
      plan.Seal();
      plan[at].skip = static_cast<uint32_t>(jump - at);
      plan[at].steps = then_steps;
      plan[at].alt_steps = else_steps;
      plan[jump].skip = static_cast<uint32_t>(plan.size() - 1 - jump);
      return 0;
    }
    plan.Add(WithSource(part(Part::kChild, child)), "");
    return 0;
  };
  // ` name="` then the pieces of a (str …) value (constants escaped now) and `"`.
  auto str_pieces = [&](PlanBuilder& plan, std::string_view name, const CallStr& str) {
    plan.Bytes(absl::StrCat(" ", AV(name), "=\""));
    for (const Code* a : str.args) {
      if (const auto* piece = dynamic_cast<const Const*>(a)) {
        Precompute([&](Renderer& r) { r.Display(piece->v); }, &b, budget);
        plan.Bytes(b);
      } else {
        plan.Add(WithSource(part(Part::kDisplay, a)), "");
      }
    }
    plan.Bytes("\"");
  };
  auto build = [&](PlanBuilder& plan, bool flatten) {
    if (tag == "html") plan.Bytes("<!DOCTYPE html>");
    if (!fragment) plan.Bytes(absl::StrCat("<", AV(tag)));
    for (size_t i = 0; i < e.args.size(); ++i) {
      if (!is_attribute_name(i)) continue;
      if (is_computed_name(i)) {
        Part p = part(Part::kAttr, e.args[i + 1]);
        p.name = e.args[i];
        plan.Add(p, "");
        ++i;
        continue;
      }
      std::string_view name = literal(i)->v.name();
      const Code* value = e.args[++i];
      if (const Const* c = literal(i);
          c != nullptr && Precompute([&](Renderer& r) { r.Attribute(tag, name, c->v); }, &b, budget)) {
        plan.Bytes(b);
        continue;
      }
      const auto* str = dynamic_cast<const CallStr*>(value);
      Part p = WithSource(part(str != nullptr ? Part::kAttrStr : Part::kAttr, value));
      p.valid_name = IsValidAttributeName(name);
      p.url = IsUrlAttribute(tag, name);
      if (str != nullptr && !p.valid_name) p.kind = Part::kAttr;  // reported as Attribute does
      if (str != nullptr && p.url && IsUrlAttribute("", name) &&
          !html_internal::EqualsNoCase(name, "srcset") && !str->args.empty()) {  // a plain URL
        const auto* first = dynamic_cast<const Const*>(str->args[0]);
        p.safe_prefix = first != nullptr && first->v.is_string() &&
                        UrlPrefixVerdict(first->v.str()) == UrlVerdict::kSafe;
      }
      if (p.kind == Part::kAttrStr && flatten && (!p.url || p.safe_prefix)) {
        // Its pieces merged outright, guarded like merged elements: while
        // `str` holds the built-in (its call's step charged with the
        // element's), and no policy check needs the whole value.
        e.str_guards.push_back(str);
        e.inlined += 1;
        str_pieces(plan, name, *str);
        continue;
      }
      plan.Add(p, name);
      if (p.kind != Part::kAttrStr) continue;
      size_t guard = plan.size() - 1;
      str_pieces(plan, name, *str);
      plan[guard].skip = static_cast<uint32_t>(plan.size() - 1 - guard);
      plan[guard].trim = static_cast<uint32_t>(plan.pending());
    }
    if (!fragment) plan.Bytes(">");
    for (size_t i = 0; i < e.args.size(); ++i) {
      if (is_attribute_name(i)) {
        ++i;
        continue;
      }
      const Code* child = e.args[i];
      const Const* c = literal(i);
      if (is_void) {
        if (c != nullptr && (c->v.is_nil() || c->v.is_bool())) continue;
        plan.Add(part(Part::kVoidChild, child), "");
      } else {
        e.inlined += plan_child(plan, child, flatten);
      }
    }
    if (!fragment && !is_void) plan.Bytes(absl::StrCat("</", AV(tag), ">"));
    plan.Finish();
  };
  PlanBuilder own(&e.bytes, &e.own_parts);
  build(own, false);
  size_t own_bytes = e.bytes.size();
  PlanBuilder flat(&e.bytes, &e.parts);
  build(flat, true);
  if (e.guards.empty() && e.str_guards.empty()) {  // nothing merged: one plan
    e.bytes.resize(own_bytes);
    e.parts = std::move(e.own_parts);
    e.own_parts.clear();
  }
  e.bytes.append(HtmlOut::kPad, '\0');  // for HtmlOut::PaddedAt
  e.streamable = true;
}

namespace {

// Runs parts[begin, end) of a plan.
void RunParts(const std::vector<Element::Part>& parts, size_t begin, size_t end,
              const std::string& bytes, Machine& m, Frame* f, Renderer& r) {
  using Part = Element::Part;
  HtmlOut& out = r.out();
  // A lookup's value, without the virtual call (KeyGet is final). Reading
  // values writes nothing: only rendering does.
  auto value = [&](const Part& p) {
    switch (p.source) {
      case Part::kKeyGet: return static_cast<const KeyGet*>(p.code)->Get(m, f);
      case Part::kSlot: return f->slots[p.slot];
      default: return p.code->Eval(m, f);
    }
  };
  // The output cursor stays in `at` (HtmlOut::cursor) across the parts;
  // `handed` brackets whatever else writes (the renderer, other plans).
  char* at = out.cursor();
  auto handed = [&](auto&& write) {
    out.set_cursor(at);
    write();
    at = out.cursor();
  };
  // What Display and Node both write for a string, an int or nil, written
  // here without a call; false for anything else.
  auto in_place = [&](const Value& v) {
    if (v.is_string()) {
      at = out.EscapedAt(at, v.str());
    } else if (v.is_int()) {
      at = out.IntAt(at, v.as_int());
    } else if (!v.is_nil()) {
      return false;
    }
    return true;
  };
  uint32_t trim = 0;  // of the next prefix: the rest of an attribute written whole
  for (size_t i = begin; i < end; ++i) {
    const Part& p = parts[i];
    at = out.PaddedAt(at, bytes.data() + p.pre_offset + trim, p.pre_size - trim);
    trim = 0;
    std::string_view text(bytes.data() + p.offset, p.size);
    switch (p.kind) {
      case Part::kBytes:
        break;
      case Part::kAttr: {
        std::string_view tag = p.owner->name->name();
        if (p.name != nullptr) {  // (keyword …) then the value
          Value n = p.name->Eval(m, f);
          Value v = p.code->Eval(m, f);
          if (!n.is_keyword()) p.owner->FailMisplaced(m, n, p.name);
          m.set_site(p.owner);
          handed([&] { r.Attribute(tag, n.name(), v); });
          break;
        }
        Value v = value(p);
        m.set_site(p.owner);
        if (p.valid_name) {
          handed([&] { r.ValidAttribute(tag, text, v, p.url); });
        } else {
          handed([&] { r.Attribute(tag, text, v); });
        }
        break;
      }
      case Part::kAttrStr:
        if (static_cast<const CallStr*>(p.code)->Holds() &&
            !(p.url && !p.safe_prefix && r.options().url_policy == UrlPolicy::kSafeSchemes)) {
          m.Step();  // as the call of `str`; its pieces follow
        } else {
          handed([&] { StrAttributeWhole(m, f, r, p, text); });
          i += p.skip;
          trim = p.trim;
        }
        break;
      case Part::kDisplay: {
        Value v = value(p);
        if (!in_place(v)) handed([&] { r.Display(v); });
        break;
      }
      case Part::kChild:
        handed([&] {
          // Only a lambda's body (a loop's) can be a tail call: run it here.
          if (Machine::IsTailMarker(p.code->Emit(m, f, r))) m.RunTailCall(p.code, r);
        });
        break;
      case Part::kIf:
        if (value(p).truthy()) {
          m.Charge(p.steps);
        } else {
          m.Charge(p.alt_steps);
          i += p.skip;  // past the then branch and its jump
        }
        break;
      case Part::kJump:
        i += p.skip;
        break;
      case Part::kLocalHead:
        if (value(p).is_callable()) {
          handed([&] { p.name->Emit(m, f, r); });  // the element's own Emit calls it
          i += p.skip;
        } else {
          m.Charge(p.steps);
        }
        break;
      case Part::kChildValue: {
        Value v = value(p);
        if (!in_place(v)) {
          m.set_site(p.code);
          handed([&] { r.Node(v); });
        }
        break;
      }
      case Part::kVoidChild: {
        Value v = p.code->Eval(m, f);
        m.set_site(p.owner);
        handed([&] { r.VoidChild(p.owner->name->name(), v); });
        break;
      }
      case Part::kEach: {
        const auto& each = *static_cast<const CallMap*>(p.code);
        size_t body = i + 1;
        i += p.skip;
        handed([&] {
          if (!each.Holds()) {
            each.Emit(m, f, r);  // the ordinary call
            return;
          }
          Value xs = each.items->Eval(m, f);
          if (!xs.is_list() && !xs.is_nil()) {
            each.EmitCall(m, f, r, xs);
            return;
          }
          m.ForEachCall(*each.fn->lambda, f, xs.items(), &each, r, [&](Frame* frame) {
            m.Charge(p.steps);  // the body's elements, as when each runs its own
            RunParts(parts, body, body + p.skip, bytes, m, frame, r);
            return Value();
          });
        });
        break;
      }
    }
  }
  out.set_cursor(at);
}

}  // namespace

Value Element::Emit(Machine& m, Frame* f, Emitter& emitter) const {
  Value head = local != nullptr                  ? local->Eval(m, f)
               : cell != nullptr && cell->bound ? cell->value
                                                : Value();
  if (head.is_callable()) {
    ArgValues argv(args.size());
    for (size_t i = 0; i < args.size(); ++i) argv[i] = args[i]->Eval(m, f);
    return EmitInvoke(m, head, argv.data(), argv.size(), tail, this, emitter);
  }
  Renderer* renderer = Renderer::Of(emitter);
  if (!streamable || renderer == nullptr) return Code::Emit(m, f, emitter);
  Renderer& r = *renderer;
  bool flat = true;
  uint64_t version = m.env().global_version;
  if (guards_checked != version) {  // a global changed since: check again
    for (const Global* g : guards) {
      if (g->bound && g->value.is_callable()) flat = false;
    }
    for (const CallStr* s : str_guards) {
      if (!s->Holds()) flat = false;
    }
    if (flat) guards_checked = version;
  }
  struct Scope {  // svg, math…: how the children are parsed (a try may catch a failure)
    Renderer& r;
    Context saved;
    ~Scope() { r.set_context(saved); }
  } scope{r, r.context()};
  if (changes_context) r.set_context(ChildContext(scope.saved, name->name()));
  if (flat) {
    m.Charge(1 + inlined);  // a step per element, as when each runs its own
    RunParts(parts, 0, parts.size(), bytes, m, f, r);
  } else {
    m.Step();
    RunParts(own_parts, 0, own_parts.size(), bytes, m, f, r);
  }
  if (r.out().failed()) {
    m.set_site(this);
    r.CheckSink();
  }
  return Value();
}

}  // namespace sexp::html_internal
