#include "convert.h"

#include <structmember.h>

#include <array>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace sexp_py {
namespace {

// Deeper Python structures are refused (sx data read back is at most the
// reader's max_depth of 1024 anyway); keeps the C++ recursion bounded.
constexpr int kMaxDepth = 1024;
// Cached Symbol/Keyword objects per name, up to this many of each, of names
// up to kMaxCachedName bytes (others are made afresh): data with millions of
// distinct or long names cannot grow the process-wide cache past a few MB.
constexpr size_t kMaxCachedNames = 1 << 16;
constexpr size_t kMaxCachedName = 64;

py::object CachedName(absl::flat_hash_map<std::string, py::object>& cache, const py::object& cls,
                      std::string_view name) {
  auto it = cache.find(absl::string_view(name.data(), name.size()));
  if (it != cache.end()) return it->second;
  py::object made = cls.attr("_of")(py::str(name.data(), name.size()));  // no re-validation
  if (cache.size() < kMaxCachedNames && name.size() <= kMaxCachedName) {
    cache.emplace(std::string(name), made);
  }
  return made;
}

py::object Symbol(std::string_view name) {
  static auto* cache = new absl::flat_hash_map<std::string, py::object>();
  return CachedName(*cache, types().symbol, name);
}

py::object Keyword(std::string_view name) {
  static auto* cache = new absl::flat_hash_map<std::string, py::object>();
  return CachedName(*cache, types().keyword, name);
}

// Python → sx (PyToNode, PyToValue) is on the render hot path: env.render
// converts its keyword arguments on every call, a thousand values for the
// feed page of bench/bench_python.py. So the walk tests exact types first,
// converts the commonest leaves without a recursive call, writes a list's or
// dict's items in place (straight into the arena for values), reads a
// Symbol's or Keyword's name from its slot, looks keywords up by the str of
// their name (KeywordCache), and builds the text of a value's path (for
// error messages) only when there is an error.

// Where a value sits in the data, innermost step first; nullptr is the
// value itself.
struct Path {
  const Path* up;
  Py_ssize_t index;  // element of a list or tuple, when key is nullptr
  PyObject* key;     // key of a dict (Keyword or str), or nullptr
};

std::string NameOf(py::handle obj);

std::string PathText(const Path* p) {
  if (p == nullptr) return "";
  std::string text = PathText(p->up);
  if (p->key == nullptr) return text + "[" + std::to_string(p->index) + "]";
  if (PyUnicode_Check(p->key)) {
    Py_ssize_t size = 0;
    const char* chars = PyUnicode_AsUTF8AndSize(p->key, &size);
    if (chars == nullptr) {
      PyErr_Clear();
      return text + "[\"?\"]";
    }
    return text + "[\"" + std::string(chars, static_cast<size_t>(size)) + "\"]";
  }
  return text + "[:" + NameOf(p->key) + "]";
}

std::string Where(const Path* path) { return path == nullptr ? "the value" : PathText(path); }

[[noreturn]] void TypeError(py::handle obj, const Path* path) {
  throw py::type_error("cannot convert a " + std::string(py::str(obj.get_type().attr("__name__"))) +
                       " to sx (" + Where(path) + "); sx has None, bool, int, float, str, "
                       "bytes, sexp.Symbol, sexp.Keyword, list, tuple and dict, and takes "
                       "dataclasses, Mappings, Decimal, datetime/date/time, Enum and UUID");
}

int64_t Int64(PyObject* obj, const Path* path) {
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
  if (overflow != 0) throw py::value_error("an int beyond 64 bits in " + Where(path));
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  return v;
}

double Finite(PyObject* obj, const Path* path) {
  double d = PyFloat_AsDouble(obj);
  if (!std::isfinite(d)) throw py::value_error("a non-finite float in " + Where(path));
  return d;
}

// The UTF-8 of a str whose lone surrogates (which UTF-8 cannot encode:
// "\ud800" from a JSON body or a database) are replaced by U+FFFD, as an
// HTML serializer does, so one user's broken text does not fail a page.
// The bytes stay alive until the next call on this thread (callers copy
// them at once, holding the GIL).
std::string_view Utf8WithoutSurrogates(PyObject* obj) {
  PyErr_Clear();
  thread_local py::object kept;
  PyObject* raw = PyUnicode_AsEncodedString(obj, "utf-8", "surrogatepass");
  if (raw == nullptr) throw py::error_already_set();
  kept = py::reinterpret_steal<py::object>(raw);
  char* p = PyBytes_AS_STRING(raw);
  size_t n = static_cast<size_t>(PyBytes_GET_SIZE(raw));
  // A surrogate is ED A0..BF xx in "surrogatepass" UTF-8; U+FFFD is EF BF BD,
  // three bytes too, so the replacement is in place.
  for (size_t i = 0; i + 2 < n; ++i) {
    if (static_cast<unsigned char>(p[i]) == 0xED && (static_cast<unsigned char>(p[i + 1]) & 0xE0) == 0xA0) {
      p[i] = static_cast<char>(0xEF);
      p[i + 1] = static_cast<char>(0xBF);
      p[i + 2] = static_cast<char>(0xBD);
      i += 2;
    }
  }
  return {p, n};
}

std::string_view Utf8(PyObject* obj) {
  if (PyUnicode_IS_COMPACT_ASCII(obj)) {  // ASCII is its own UTF-8
    return {static_cast<const char*>(PyUnicode_DATA(obj)),
            static_cast<size_t>(PyUnicode_GET_LENGTH(obj))};
  }
  Py_ssize_t size = 0;
  const char* p = PyUnicode_AsUTF8AndSize(obj, &size);
  if (p == nullptr) {
    if (PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return Utf8WithoutSurrogates(obj);
    throw py::error_already_set();
  }
  return {p, static_cast<size_t>(size)};
}

std::string_view Bytes(PyObject* obj) {
  if (PyByteArray_Check(obj)) {
    return {PyByteArray_AsString(obj), static_cast<size_t>(PyByteArray_Size(obj))};
  }
  char* p = nullptr;
  Py_ssize_t size = 0;
  if (PyBytes_AsStringAndSize(obj, &p, &size) != 0) throw py::error_already_set();
  return {p, static_cast<size_t>(size)};
}

// An instance of `cls` or a subclass (by type, as C code checks types).
bool Is(PyObject* obj, const py::object& cls) {
  return PyObject_TypeCheck(obj, reinterpret_cast<PyTypeObject*>(cls.ptr()));
}

// Where instances of exactly `cls` (Symbol, Keyword) keep their `name`: the
// offset of _Name's __slots__ entry, read once from its member descriptor
// (what `obj.name` would read through); 0 when `name` is not such a slot
// (then the attribute is looked up).
Py_ssize_t NameSlot(PyObject* cls) {
  static PyObject* cached_cls[2] = {nullptr, nullptr};
  static Py_ssize_t cached_offset[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    if (cached_cls[i] == cls) return cached_offset[i];
  }
  Py_ssize_t offset = 0;
  PyObject* descr = PyObject_GetAttrString(cls, "name");
  if (descr == nullptr) {
    PyErr_Clear();
  } else {
    if (Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
      const PyMemberDef* m = reinterpret_cast<PyMemberDescrObject*>(descr)->d_member;
      if (m->type == T_OBJECT_EX && m->offset > 0) offset = m->offset;
    }
    Py_DECREF(descr);
  }
  // The classes live as long as the module (types() holds them).
  static int next = 0;
  cached_cls[next] = cls;
  cached_offset[next] = offset;
  next ^= 1;
  return offset;
}

// The `name` of a Symbol or Keyword: a str, held by the returned object.
py::object NameAttr(PyObject* obj) {
  PyObject* cls = reinterpret_cast<PyObject*>(Py_TYPE(obj));
  if (cls == types().keyword.ptr() || cls == types().symbol.ptr()) {
    if (Py_ssize_t offset = NameSlot(cls)) {
      PyObject* name = *reinterpret_cast<PyObject**>(reinterpret_cast<char*>(obj) + offset);
      if (name != nullptr && PyUnicode_Check(name)) return py::reinterpret_borrow<py::object>(name);
    }
  }
  static PyObject* attr = PyUnicode_InternFromString("name");  // never freed
  PyObject* name = PyObject_GetAttr(obj, attr);
  if (name == nullptr) throw py::error_already_set();
  py::object out = py::reinterpret_steal<py::object>(name);
  if (!PyUnicode_Check(name)) throw py::type_error("a Symbol or Keyword whose name is not a str");
  return out;
}

std::string NameOf(py::handle obj) { return std::string(Utf8(NameAttr(obj.ptr()).ptr())); }

// The commonest items of a list or dict — exact str and int, bool, None,
// exact float — converted into `out` without a call of Convert; false for
// anything else. Runs no Python code.
template <class Make, class Out>
inline bool Leaf(Make& make, PyObject* o, const Path* path, Out& out) {
  PyTypeObject* type = Py_TYPE(o);
  if (type == &PyUnicode_Type) {
    out = make.String(Utf8(o));
  } else if (type == &PyLong_Type) {
    out = make.Int(Int64(o, path));
  } else if (o == Py_True || o == Py_False) {
    out = make.Bool(o == Py_True);
  } else if (o == Py_None) {
    out = make.Nil();
  } else if (type == &PyFloat_Type) {
    out = make.Float(Finite(o, path));
  } else {
    return false;
  }
  return true;
}

// The shared walk of PyToNode and PyToValue: `make` supplies the leaves and
// containers of the target representation; make.Slots(n) is where a list's
// or dict's n items are written before make.List / make.Dict.
template <class Make>
auto Convert(Make& make, PyObject* o, const Path* path, int depth) -> decltype(make.Nil()) {
  if (depth > kMaxDepth) throw py::value_error("data nested deeper than 1024 in " + Where(path));
  PyTypeObject* type = Py_TYPE(o);
  // Exact types first (what data is made of), then subclasses in the order
  // bool before int, Markup before str.
  if (type == &PyUnicode_Type) return make.String(Utf8(o));
  if (reinterpret_cast<PyObject*>(type) == types().keyword.ptr()) {
    py::object name = NameAttr(o);
    return make.Keyword(name.ptr(), Utf8(name.ptr()));
  }
  if (type == &PyLong_Type) return make.Int(Int64(o, path));
  if (o == Py_None) return make.Nil();
  if (PyBool_Check(o)) return make.Bool(o == Py_True);
  if (PyLong_Check(o)) return make.Int(Int64(o, path));
  if (PyFloat_Check(o)) return make.Float(Finite(o, path));
  if (PyUnicode_Check(o)) {
    // sexp.Markup, and any str subclass with __html__ (markupsafe.Markup):
    // markup its maker vouches for, as a primitive's result is.
    if (Is(o, types().markup) || PyObject_HasAttrString(o, "__html__")) {
      return make.Markup(Utf8(o), path);
    }
    return make.String(Utf8(o));
  }
  if (PyBytes_Check(o) || PyByteArray_Check(o)) return make.Bytes(Bytes(o));
  if (PyList_Check(o) || PyTuple_Check(o)) {
    const bool list = PyList_Check(o);
    const Py_ssize_t n = list ? PyList_GET_SIZE(o) : PyTuple_GET_SIZE(o);
    auto slots = make.Slots(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) {
      // A list can only change here through Python code run by a subclass
      // of Symbol or Keyword; then it is an error, not a crash.
      if (list && i >= PyList_GET_SIZE(o)) {
        throw py::value_error("a list changed size while converted");
      }
      PyObject* item = list ? PyList_GET_ITEM(o, i) : PyTuple_GET_ITEM(o, i);
      Path here{path, i, nullptr};
      if (depth < kMaxDepth && Leaf(make, item, &here, slots[i])) continue;
      py::object hold = py::reinterpret_borrow<py::object>(item);
      slots[i] = Convert(make, item, &here, depth + 1);
    }
    return make.List(slots, static_cast<size_t>(n));
  }
  if (PyDict_Check(o)) {
    const size_t n = 2 * static_cast<size_t>(PyDict_GET_SIZE(o));
    auto slots = make.Slots(n);
    size_t filled = 0;
    PyObject* key = nullptr;
    PyObject* value = nullptr;
    Py_ssize_t pos = 0;
    while (PyDict_Next(o, &pos, &key, &value)) {
      if (filled == n) throw py::value_error("a dict changed size while converted");
      // Held: a Symbol or Keyword subclass could run Python code that
      // changes the dict.
      py::object k = py::reinterpret_borrow<py::object>(key);
      py::object v = py::reinterpret_borrow<py::object>(value);
      if (Is(key, types().keyword)) {
        py::object name = NameAttr(key);
        slots[filled++] = make.Keyword(name.ptr(), Utf8(name.ptr()));
      } else if (PyUnicode_Check(key) && !Is(key, types().markup)) {
        slots[filled++] = make.String(Utf8(key));
      } else {
        throw py::type_error("dict keys are sexp.Keyword or str, got a " +
                             std::string(py::str(k.get_type().attr("__name__"))) + " in " +
                             Where(path));
      }
      Path here{path, -1, key};
      if (depth == kMaxDepth || !Leaf(make, value, &here, slots[filled])) {
        slots[filled] = Convert(make, value, &here, depth + 1);
      }
      ++filled;
    }
    if (filled != n) throw py::value_error("a dict changed size while converted");
    return make.Dict(slots, n, path);
  }
  // (No class is both a container and a Symbol or Keyword: their layouts
  // conflict, so testing containers first changes nothing.)
  if (Is(o, types().symbol)) {
    py::object name = NameAttr(o);
    return make.Symbol(Utf8(name.ptr()));
  }
  if (Is(o, types().keyword)) {
    py::object name = NameAttr(o);
    return make.Keyword(name.ptr(), Utf8(name.ptr()));
  }
  // Anything else with __html__ (an HTML-producing object): its markup.
  if (PyObject_HasAttrString(o, "__html__")) {
    py::object html = py::reinterpret_borrow<py::object>(o).attr("__html__")();
    if (!PyUnicode_Check(html.ptr())) throw py::type_error("__html__ returned no str in " + Where(path));
    return make.Markup(Utf8(html.ptr()), path);
  }
  // The other shapes Python data comes in (rows, dataclasses, Decimal,
  // datetime, Enum…): sexp._adapt turns them into the types above. Kept in
  // Python, off the fast path: only values of those types get here.
  if (types().adapt && depth < kMaxDepth) {
    py::object adapted = types().adapt(py::handle(o));
    if (adapted.ptr() != Py_NotImplemented) return Convert(make, adapted.ptr(), path, depth + 1);
  }
  TypeError(py::handle(o), path);
}

// What each maker charges to its Meter (when it has one): a step per value,
// plus the bytes it is about to make.
struct Metered {
  Meter* meter;  // or nullptr: not charged
  void ChargeStep() {
    if (meter != nullptr) meter->Step();
  }
  void ChargeText(size_t bytes, size_t overhead) {
    if (meter != nullptr) meter->Text(bytes, overhead);
  }
  void ChargeBytes(size_t bytes) {
    if (meter != nullptr) {
      meter->Step();
      meter->Bytes(bytes);
    }
  }
};

struct NodeMaker : Metered {
  sexp::Builder& b;
  NodeMaker(sexp::Builder& builder, Meter* m) : Metered{m}, b(builder) {}
  sexp::Node Nil() { ChargeStep(); return b.Nil(); }
  sexp::Node Bool(bool v) { ChargeStep(); return b.Bool(v); }
  sexp::Node Int(int64_t v) { ChargeStep(); return b.Int(v); }
  sexp::Node Float(double v) { ChargeStep(); return b.Float(v); }
  sexp::Node String(std::string_view s) { ChargeText(s.size(), 16); return b.String(s); }
  sexp::Node Markup(std::string_view, const Path* path) {
    throw py::type_error("sexp.Markup is for rendering; it has no sx data form (" + Where(path) +
                         ")");
  }
  sexp::Node Bytes(std::string_view s) { ChargeText(s.size(), 16); return b.Bytes(s); }
  sexp::Node Symbol(std::string_view name) { ChargeText(name.size(), 16); return b.Symbol(name); }
  sexp::Node Keyword(PyObject*, std::string_view name) {
    ChargeText(name.size(), 16);
    return b.Keyword(name);
  }
  // The slots, then the builder's copy of them.
  std::vector<sexp::Node> Slots(size_t n) {
    ChargeBytes(2 * sizeof(sexp::Node) * n + 16);
    return std::vector<sexp::Node>(n);
  }
  sexp::Node List(const std::vector<sexp::Node>& items, size_t) { return b.List(items); }
  sexp::Node Dict(const std::vector<sexp::Node>& items, size_t, const Path*) {
    return b.Dict(items);
  }
};

struct ValueMaker : Metered {
  sexp::Environment& env;
  sexp::Arena& arena;
  KeywordCache* keywords;  // or nullptr
  ValueMaker(sexp::Environment& e, sexp::Arena& a, KeywordCache* k, Meter* m)
      : Metered{m}, env(e), arena(a), keywords(k) {}

  std::string_view Copy(std::string_view s) {
    auto* p = static_cast<char*>(arena.Allocate(s.size() == 0 ? 1 : s.size()));
    if (p == nullptr) throw std::bad_alloc();
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  sexp::Value Nil() { ChargeStep(); return sexp::Value(); }
  sexp::Value Bool(bool v) { ChargeStep(); return sexp::Value::Bool(v); }
  sexp::Value Int(int64_t v) { ChargeStep(); return sexp::Value::Int(v); }
  sexp::Value Float(double v) { ChargeStep(); return sexp::Value::Float(v); }
  sexp::Value String(std::string_view s) {
    ChargeText(s.size(), 0);
    return sexp::Value::StringView(Copy(s));
  }
  sexp::Value Markup(std::string_view s, const Path*) {
    ChargeText(s.size(), 0);
    return sexp::Value::HtmlView(Copy(s));
  }
  sexp::Value Bytes(std::string_view s) {
    ChargeText(s.size(), 0);
    return sexp::Value::BytesView(Copy(s));
  }
  // Names the environment does not have yet are made in the call's arena
  // (Environment::TransientKeyword): request data must not grow it.
  sexp::Value Symbol(std::string_view name) {
    ChargeText(name.size(), 0);
    return env.TransientSymbol(name, arena);
  }
  sexp::Value Keyword(PyObject* name_object, std::string_view name) {
    ChargeText(name.size(), 0);
    return keywords ? keywords->Get(env, arena, name_object, name)
                    : env.TransientKeyword(name, arena);
  }
  // The items of a list or dict, written in place in the arena.
  sexp::Value* Slots(size_t n) {
    ChargeBytes(sizeof(sexp::Value) * n);
    auto* p = static_cast<sexp::Value*>(arena.Allocate(sizeof(sexp::Value) * (n == 0 ? 1 : n)));
    if (p == nullptr) throw std::bad_alloc();
    std::uninitialized_default_construct_n(p, n);
    return p;
  }
  sexp::Value List(const sexp::Value* items, size_t n) {
    return sexp::Value::ListView({items, n});
  }
  sexp::Value Dict(const sexp::Value* items, size_t n, const Path*) {
    // Python dict keys are unique, and a Keyword and a str of one name are
    // different keys in sx too.
    return sexp::Value::DictView({items, n});
  }
};

// Values of a running evaluation (a Python primitive's result), made by its
// CallContext so they count against the evaluation's limits.
// (The context charges the bytes of what it makes to the same budget; the
// meter charges the steps and the temporary slots.)
struct ResultMaker : Metered {
  sexp::CallContext& ctx;
  ResultMaker(sexp::CallContext& c, Meter* m) : Metered{m}, ctx(c) {}
  sexp::Value Nil() { ChargeStep(); return sexp::Value(); }
  sexp::Value Bool(bool v) { ChargeStep(); return sexp::Value::Bool(v); }
  sexp::Value Int(int64_t v) { ChargeStep(); return sexp::Value::Int(v); }
  sexp::Value Float(double v) { ChargeStep(); return sexp::Value::Float(v); }
  sexp::Value String(std::string_view s) { ChargeStep(); return ctx.MakeString(s); }
  sexp::Value Markup(std::string_view s, const Path*) { ChargeStep(); return ctx.MakeHtml(s); }
  sexp::Value Bytes(std::string_view s) {
    ChargeStep();
    return sexp::Value::BytesView(ctx.MakeString(s).str());
  }
  sexp::Value Symbol(std::string_view name) { ChargeText(name.size(), 0); return ctx.Symbol(name); }
  sexp::Value Keyword(PyObject*, std::string_view name) {
    ChargeText(name.size(), 0);
    return ctx.Keyword(name);
  }
  std::vector<sexp::Value> Slots(size_t n) {
    ChargeBytes(sizeof(sexp::Value) * n);
    return std::vector<sexp::Value>(n);
  }
  sexp::Value List(const std::vector<sexp::Value>& items, size_t) { return ctx.MakeList(items); }
  sexp::Value Dict(const std::vector<sexp::Value>& items, size_t, const Path*) {
    return ctx.MakeDict(items);
  }
};

// sx → Python, for one call (a parse, a Node's to_python).
//
// This is the parse hot path (bench/bench_python.py against json.loads), so
// it works with the C API and counts on two things:
//
// Names. The reader interns names, so within a document equal names share
// one Atom. Each (Atom, kind) is looked up here by pointer, once per call,
// and only its first occurrence goes to the process-wide cache by name.
//
// The garbage collector. CPython starts a young collection every 700
// container allocations and a full one whenever the containers that
// survived grow by a quarter, so building a tree of a million lists
// traverses the lists built so far again and again (json.loads pays this
// too). The lists made here are untracked at birth and tracked together
// when the whole result is built: collections meanwhile (set off by our
// allocations, or another thread's while a Symbol's __init__ or a
// Keyword's __hash__ runs Python code) do not see them, which is safe —
// nothing outside this call can reach them yet, and a reference from an
// untracked container only keeps its target alive. After Root they are
// ordinary tracked lists in the young generation (the next young collection
// traverses them once; the benchmark counts that). A list that an error
// leaves unfinished is freed, never tracked. Dicts keep CPython's own
// tracking (a dict is tracked once it holds a container).
class ToPy {
 public:
  ToPy() = default;
  ToPy(const ToPy&) = delete;
  ToPy& operator=(const ToPy&) = delete;

  py::object Root(const sexp::Node& node) {
    try {
      py::object out = Convert(node);
      for (PyObject* list : untracked_) PyObject_GC_Track(list);
      untracked_.clear();
      return out;
    } catch (...) {
      untracked_.clear();  // freed with the partial result
      throw;
    }
  }

 private:
  py::object Convert(const sexp::Node& node) {
    switch (node.kind()) {
      case sexp::Kind::kNil:
        return py::none();
      case sexp::Kind::kBool:
        return py::reinterpret_borrow<py::object>(node.as_bool() ? Py_True : Py_False);
      case sexp::Kind::kInt:
        return Steal(PyLong_FromLongLong(node.as_int()));
      case sexp::Kind::kFloat:
        return Steal(PyFloat_FromDouble(node.as_float()));
      case sexp::Kind::kString: {
        std::string_view s = node.str();
        return Steal(PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "strict"));
      }
      case sexp::Kind::kBytes: {
        std::string_view b = node.bytes();
        return Steal(PyBytes_FromStringAndSize(b.data(), static_cast<Py_ssize_t>(b.size())));
      }
      case sexp::Kind::kSymbol:
        return Name(symbols_, node, &Symbol);
      case sexp::Kind::kKeyword:
        return Name(keywords_, node, &Keyword);
      case sexp::Kind::kList: {
        auto items = node.items();
        py::object out = Steal(PyList_New(static_cast<Py_ssize_t>(items.size())));
        PyObject* list = out.ptr();
        PyObject_GC_UnTrack(list);
        untracked_.push_back(list);
        for (size_t i = 0; i < items.size(); ++i) {
          PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), Convert(items[i]).release().ptr());
        }
        return out;
      }
      case sexp::Kind::kDict: {
        auto items = node.items();
        py::object out = Steal(PyDict_New());
        for (size_t i = 0; i + 1 < items.size(); i += 2) {
          py::object k = Convert(items[i]);
          py::object v = Convert(items[i + 1]);
          if (PyDict_SetItem(out.ptr(), k.ptr(), v.ptr()) != 0) throw py::error_already_set();
        }
        return out;
      }
    }
    return py::none();
  }

  static py::object Steal(PyObject* o) {
    if (o == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(o);
  }

  using NameMap = absl::flat_hash_map<const sexp::Atom*, py::object>;
  static py::object Name(NameMap& seen, const sexp::Node& node,
                         py::object (*make)(std::string_view)) {
    auto [it, fresh] = seen.try_emplace(node.atom());
    if (fresh) {
      try {
        it->second = make(node.name());
      } catch (...) {
        seen.erase(it);
        throw;
      }
    }
    return it->second;
  }

  NameMap symbols_, keywords_;
  std::vector<PyObject*> untracked_;
};

// sx values → Python, iteratively (an explicit stack of the lists and dicts
// being filled), charged to a Meter before each object is made. The sizes
// charged are about what CPython allocates for each object.
class ValuesToPy {
 public:
  explicit ValuesToPy(Meter& meter) : meter_(meter) {}
  ValuesToPy(const ValuesToPy&) = delete;
  ValuesToPy& operator=(const ValuesToPy&) = delete;
  ~ValuesToPy() {
    for (Frame& f : stack_) {
      Py_XDECREF(f.key);
      Py_XDECREF(f.out);
    }
  }

  // (The garbage collector is off meanwhile: collections set off by the
  // lists made here would traverse them again and again — two thirds of
  // the time of a big result — while nothing else can reach them.)
  py::object Root(const sexp::Value& root) {
#if PY_VERSION_HEX >= 0x030A0000
    struct PauseGc {
      int was_enabled = PyGC_Disable();
      ~PauseGc() {
        if (was_enabled) PyGC_Enable();
      }
    } pause_gc;
#endif
    PyObject* made = Start(root);
    for (;;) {
      if (made != nullptr) {
        if (stack_.empty()) return py::reinterpret_steal<py::object>(made);
        Place(stack_.back(), made);
      }
      Frame& top = stack_.back();
      if (top.next == top.n) {
        made = top.out;  // finished: handed to the frame below (or returned)
        stack_.pop_back();
        continue;
      }
      made = Start(top.items[top.next]);  // (may push a frame)
    }
  }

 private:
  struct Frame {
    const sexp::Value* items;
    size_t n;
    size_t next;    // the item to convert next
    PyObject* out;  // owned: the list or dict being filled
    PyObject* key;  // owned: a dict's key waiting for its value, or nullptr
  };

  static PyObject* Check(PyObject* o) {
    if (o == nullptr) throw py::error_already_set();
    return o;
  }
  static PyObject* NewRef(PyObject* o) {
    Py_INCREF(o);
    return o;
  }
  PyObject* Text(std::string_view s, size_t overhead) {
    meter_.Text(s.size(), overhead);
    return Check(PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "strict"));
  }

  // A new reference to `v` converted, or nullptr when `v` is a list or dict
  // with items: then a frame for it was pushed, to be filled.
  PyObject* Start(const sexp::Value& v) {
    switch (v.type()) {
      case sexp::ValueType::kNil:
        meter_.Step();
        return NewRef(Py_None);
      case sexp::ValueType::kBool:
        meter_.Step();
        return NewRef(v.as_bool() ? Py_True : Py_False);
      case sexp::ValueType::kInt:
        meter_.Step();
        if (v.as_int() < -5 || v.as_int() > 256) meter_.Bytes(32);  // (CPython shares the others)
        return Check(PyLong_FromLongLong(v.as_int()));
      case sexp::ValueType::kFloat:
        meter_.Step();
        meter_.Bytes(32);
        return Check(PyFloat_FromDouble(v.as_float()));
      case sexp::ValueType::kString:
        return Text(v.str(), 64);
      case sexp::ValueType::kBytes:
        meter_.Text(v.str().size(), 48);
        return Check(PyBytes_FromStringAndSize(v.str().data(), static_cast<Py_ssize_t>(v.size())));
      case sexp::ValueType::kHtml: {
        meter_.Bytes(v.str().size() + 64);  // the str, then the Markup made from it
        py::object text = py::reinterpret_steal<py::object>(Text(v.str(), 64));
        return types().markup(text).release().ptr();
      }
      case sexp::ValueType::kSymbol:
        meter_.Text(v.name().size(), 0);
        return Symbol(v.name()).release().ptr();
      case sexp::ValueType::kKeyword:
        meter_.Text(v.name().size(), 0);
        return Keyword(v.name()).release().ptr();
      case sexp::ValueType::kList: {
        meter_.Step();
        meter_.Bytes(64 + 8 * v.size());
        PyObject* list = Check(PyList_New(static_cast<Py_ssize_t>(v.size())));
        if (v.size() == 0) return list;
        stack_.push_back(Frame{v.items().data(), v.size(), 0, list, nullptr});
        return nullptr;
      }
      case sexp::ValueType::kDict: {
        meter_.Step();
        meter_.Bytes(64 + 48 * (v.size() / 2));
        PyObject* dict = Check(PyDict_New());
        if (v.size() < 2) return dict;
        stack_.push_back(Frame{v.items().data(), v.size() & ~size_t{1}, 0, dict, nullptr});
        return nullptr;
      }
      default: {  // a callable: its sx text, all Python can do with it
        std::string text = sexp::ToText(v, meter_.budget());
        if (meter_.budget().exhausted()) ThrowBudgetError(meter_.budget());
        return Text(text, 64);
      }
    }
  }

  // Puts `made` (a new reference, stolen) in the frame's next place.
  static void Place(Frame& f, PyObject* made) {
    if (PyList_CheckExact(f.out)) {
      PyList_SET_ITEM(f.out, static_cast<Py_ssize_t>(f.next), made);
    } else if (f.key == nullptr) {
      f.key = made;
    } else {
      int failed = PyDict_SetItem(f.out, f.key, made);
      Py_DECREF(made);
      Py_CLEAR(f.key);
      if (failed != 0) throw py::error_already_set();
    }
    ++f.next;
  }

  Meter& meter_;
  std::vector<Frame> stack_;
};

}  // namespace

void Meter::Signals() {
  until_signals_ = kSignalEvery;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

void ThrowBudgetError(const sexp::Budget& budget) {
  sexp::EvalError error;
  error.code = budget.code();
  error.message = budget.message();
  ThrowEvalError(error);
}

Types& types() {
  static auto* t = new Types();
  return *t;
}

py::object NodeToPy(const sexp::Node& node) {
  ToPy convert;
  return convert.Root(node);
}

py::list NodesToPy(absl::Span<const sexp::Node> nodes) {
  ToPy convert;
  PyObject* list = PyList_New(static_cast<Py_ssize_t>(nodes.size()));
  if (list == nullptr) throw py::error_already_set();
  py::list out = py::reinterpret_steal<py::list>(list);
  for (size_t i = 0; i < nodes.size(); ++i) {
    PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), convert.Root(nodes[i]).release().ptr());
  }
  return out;
}

py::object ValueToPy(const sexp::Value& v, Meter& meter) {
  ValuesToPy convert(meter);
  return convert.Root(v);
}

sexp::Value KeywordCache::Get(sexp::Environment& env, sexp::Arena& arena, PyObject* name_object,
                              std::string_view name) {
  const uint64_t mix = reinterpret_cast<uintptr_t>(name_object) * 0x9E3779B97F4A7C15ull;
  for (size_t i = mix >> 57;; i = (i + 1) % kSlots) {
    Slot& slot = slots_[i];
    if (slot.name.ptr() == name_object) return slot.value;
    if (slot.name.ptr() != nullptr) continue;
    sexp::Value v = env.TransientKeyword(name, arena);
    if (v.transient_name()) return v;  // lives only as long as `arena`
    if (count_ == kSlots * 3 / 4) {  // full: start again with this name
      Clear();
      i = mix >> 57;  // free now
    }
    slots_[i].value = v;
    slots_[i].name = py::reinterpret_borrow<py::object>(name_object);
    ++count_;
    return v;
  }
}

void KeywordCache::Clear() {
  for (Slot& slot : slots_) slot.name = py::object();
  count_ = 0;
}

sexp::Node PyToNode(sexp::Builder& builder, py::handle obj, Meter* meter) {
  NodeMaker make(builder, meter);
  return Convert(make, obj.ptr(), nullptr, 0);
}

sexp::Value PyToValue(sexp::Environment& env, sexp::Arena& arena, py::handle obj, Meter& meter,
                      KeywordCache* keywords) {
  ValueMaker make(env, arena, keywords, &meter);
  return Convert(make, obj.ptr(), nullptr, 0);
}

sexp::Value PyToResult(sexp::CallContext& ctx, py::handle obj, Meter& meter) {
  ResultMaker make(ctx, &meter);
  return Convert(make, obj.ptr(), nullptr, 0);
}

void ThrowReadError(const sexp::Error& error) {
  py::object e = types().read_error(error.message, error.line, error.column,
                                    error.offset == sexp::kNoOffset ? py::object(py::none())
                                                                    : py::int_(error.offset),
                                    std::string(sexp::ErrorCodeName(error.code)));
  PyErr_SetObject(types().read_error.ptr(), e.ptr());
  throw py::error_already_set();
}

namespace {
thread_local std::optional<py::error_already_set> kept_base_exception;
}  // namespace

void KeepBaseException(py::error_already_set&& e) {
  if (!kept_base_exception) kept_base_exception.emplace(std::move(e));
}

void ThrowEvalError(const sexp::EvalError& error) {
  if (kept_base_exception) {
    py::error_already_set e = std::move(*kept_base_exception);
    kept_base_exception.reset();
    if (error.code == sexp::EvalErrorCode::kInterrupted) throw std::move(e);
  }
  if (error.code == sexp::EvalErrorCode::kRead) {
    // Text that does not read is a ReadError wherever it was read (parse,
    // eval, load), with the reader's own code: "unexpected-eof: …".
    std::string_view message = error.message;
    std::string code = "syntax";
    if (size_t colon = message.find(": "); colon != std::string_view::npos &&
                                           message.substr(0, colon).find(' ') == std::string_view::npos) {
      code = std::string(message.substr(0, colon));
      message.remove_prefix(colon + 2);
    }
    py::object e = types().read_error(std::string(message), error.line, error.column, py::none(),
                                      code, error.file);
    PyErr_SetObject(types().read_error.ptr(), e.ptr());
    throw py::error_already_set();
  }
  py::list trace;
  for (const auto& t : error.trace) trace.append(t);
  const py::object& cls =
      error.code == sexp::EvalErrorCode::kRender ? types().render_error : types().eval_error;
  py::object e = cls(error.message, std::string(sexp::EvalErrorCodeName(error.code)), error.file,
                     error.line, error.column, trace);
  PyErr_SetObject(cls.ptr(), e.ptr());
  throw py::error_already_set();
}

}  // namespace sexp_py
