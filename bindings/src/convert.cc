#include "convert.h"

#include <cmath>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace sexp_py {
namespace {

// Deeper Python structures are refused (sx data read back is at most the
// reader's max_depth of 1024 anyway); keeps the C++ recursion bounded.
constexpr int kMaxDepth = 1024;
// Cached Symbol/Keyword objects per name, up to this many of each (then made
// afresh): data with millions of distinct names cannot grow the cache
// without bound.
constexpr size_t kMaxCachedNames = 1 << 16;

py::object CachedName(absl::flat_hash_map<std::string, py::object>& cache, const py::object& cls,
                      std::string_view name) {
  auto it = cache.find(absl::string_view(name.data(), name.size()));
  if (it != cache.end()) return it->second;
  py::object made = cls(py::str(name.data(), name.size()));
  if (cache.size() < kMaxCachedNames) cache.emplace(std::string(name), made);
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

py::object Str(std::string_view s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "strict");
  if (o == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(o);
}

std::string Where(const std::string& path) { return path.empty() ? "the value" : path; }

[[noreturn]] void TypeError(py::handle obj, const std::string& path) {
  throw py::type_error("cannot convert a " + std::string(py::str(obj.get_type().attr("__name__"))) +
                       " to sx (" + Where(path) + "); sx has None, bool, int, float, str, "
                       "bytes, sexp.Symbol, sexp.Keyword, list, tuple and dict");
}

int64_t Int64(py::handle obj, const std::string& path) {
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(obj.ptr(), &overflow);
  if (overflow != 0) throw py::value_error("an int beyond 64 bits in " + Where(path));
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  return v;
}

double Finite(py::handle obj, const std::string& path) {
  double d = PyFloat_AsDouble(obj.ptr());
  if (!std::isfinite(d)) throw py::value_error("a non-finite float in " + Where(path));
  return d;
}

std::string_view Utf8(py::handle obj) {
  Py_ssize_t size = 0;
  const char* p = PyUnicode_AsUTF8AndSize(obj.ptr(), &size);
  if (p == nullptr) throw py::error_already_set();
  return {p, static_cast<size_t>(size)};
}

std::string_view Bytes(py::handle obj) {
  if (PyByteArray_Check(obj.ptr())) {
    return {PyByteArray_AsString(obj.ptr()), static_cast<size_t>(PyByteArray_Size(obj.ptr()))};
  }
  char* p = nullptr;
  Py_ssize_t size = 0;
  if (PyBytes_AsStringAndSize(obj.ptr(), &p, &size) != 0) throw py::error_already_set();
  return {p, static_cast<size_t>(size)};
}

bool Is(py::handle obj, const py::object& cls) {
  return PyObject_IsInstance(obj.ptr(), cls.ptr()) == 1;
}

std::string NameOf(py::handle obj) { return py::cast<std::string>(obj.attr("name")); }

// The shared walk of PyToNode and PyToValue: `make` supplies the leaves and
// containers of the target representation.
template <class Make>
auto Convert(Make& make, py::handle obj, const std::string& path, int depth)
    -> decltype(make.Nil()) {
  if (depth > kMaxDepth) throw py::value_error("data nested deeper than 1024 in " + Where(path));
  PyObject* o = obj.ptr();
  if (o == Py_None) return make.Nil();
  if (PyBool_Check(o)) return make.Bool(o == Py_True);
  if (PyLong_Check(o)) return make.Int(Int64(obj, path));
  if (PyFloat_Check(o)) return make.Float(Finite(obj, path));
  if (PyUnicode_Check(o)) {
    if (Is(obj, types().markup)) return make.Markup(Utf8(obj), path);
    return make.String(Utf8(obj));
  }
  if (PyBytes_Check(o) || PyByteArray_Check(o)) return make.Bytes(Bytes(obj));
  if (Is(obj, types().symbol)) return make.Symbol(NameOf(obj));
  if (Is(obj, types().keyword)) return make.Keyword(NameOf(obj));
  if (PyList_Check(o) || PyTuple_Check(o)) {
    py::sequence seq = py::reinterpret_borrow<py::sequence>(obj);
    size_t n = static_cast<size_t>(py::len(seq));
    std::vector<decltype(make.Nil())> items;
    items.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      items.push_back(Convert(make, seq[i], path + "[" + std::to_string(i) + "]", depth + 1));
    }
    return make.List(items);
  }
  if (PyDict_Check(o)) {
    std::vector<decltype(make.Nil())> items;
    items.reserve(2 * static_cast<size_t>(PyDict_Size(o)));
    PyObject* key = nullptr;
    PyObject* value = nullptr;
    Py_ssize_t pos = 0;
    while (PyDict_Next(o, &pos, &key, &value)) {
      py::handle k(key);
      std::string here;
      if (Is(k, types().keyword)) {
        std::string name = NameOf(k);
        here = path + "[:" + name + "]";
        items.push_back(make.Keyword(name));
      } else if (PyUnicode_Check(key) && !Is(k, types().markup)) {
        here = path + "[\"" + std::string(Utf8(k)) + "\"]";
        items.push_back(make.String(Utf8(k)));
      } else {
        throw py::type_error("dict keys are sexp.Keyword or str, got a " +
                             std::string(py::str(k.get_type().attr("__name__"))) + " in " +
                             Where(path));
      }
      items.push_back(Convert(make, py::handle(value), here, depth + 1));
    }
    return make.Dict(items, path);
  }
  TypeError(obj, path);
}

struct NodeMaker {
  sexp::Builder& b;
  sexp::Node Nil() { return b.Nil(); }
  sexp::Node Bool(bool v) { return b.Bool(v); }
  sexp::Node Int(int64_t v) { return b.Int(v); }
  sexp::Node Float(double v) { return b.Float(v); }
  sexp::Node String(std::string_view s) { return b.String(s); }
  sexp::Node Markup(std::string_view, const std::string& path) {
    throw py::type_error("sexp.Markup is for rendering; it has no sx data form (" + Where(path) +
                         ")");
  }
  sexp::Node Bytes(std::string_view s) { return b.Bytes(s); }
  sexp::Node Symbol(const std::string& name) { return b.Symbol(name); }
  sexp::Node Keyword(const std::string& name) { return b.Keyword(name); }
  sexp::Node List(const std::vector<sexp::Node>& items) { return b.List(items); }
  sexp::Node Dict(const std::vector<sexp::Node>& items, const std::string&) {
    return b.Dict(items);
  }
};

struct ValueMaker {
  sexp::Environment& env;
  sexp::Arena& arena;
  std::string_view Copy(std::string_view s) {
    auto* p = static_cast<char*>(arena.Allocate(s.size() == 0 ? 1 : s.size()));
    if (p == nullptr) throw std::bad_alloc();
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  absl::Span<const sexp::Value> Copy(const std::vector<sexp::Value>& items) {
    auto* p = static_cast<sexp::Value*>(arena.Allocate(sizeof(sexp::Value) * (items.size() + 1)));
    if (p == nullptr) throw std::bad_alloc();
    for (size_t i = 0; i < items.size(); ++i) p[i] = items[i];
    return {p, items.size()};
  }
  sexp::Value Nil() { return sexp::Value(); }
  sexp::Value Bool(bool v) { return sexp::Value::Bool(v); }
  sexp::Value Int(int64_t v) { return sexp::Value::Int(v); }
  sexp::Value Float(double v) { return sexp::Value::Float(v); }
  sexp::Value String(std::string_view s) { return sexp::Value::StringView(Copy(s)); }
  sexp::Value Markup(std::string_view s, const std::string&) {
    return sexp::Value::HtmlView(Copy(s));
  }
  sexp::Value Bytes(std::string_view s) { return sexp::Value::BytesView(Copy(s)); }
  sexp::Value Symbol(const std::string& name) { return env.Symbol(name); }
  sexp::Value Keyword(const std::string& name) { return env.Keyword(name); }
  sexp::Value List(const std::vector<sexp::Value>& items) {
    return sexp::Value::ListView(Copy(items));
  }
  sexp::Value Dict(const std::vector<sexp::Value>& items, const std::string&) {
    // Python dict keys are unique, and a Keyword and a str of one name are
    // different keys in sx too.
    return sexp::Value::DictView(Copy(items));
  }
};

}  // namespace

Types& types() {
  static auto* t = new Types();
  return *t;
}

py::object NodeToPy(const sexp::Node& node) {
  switch (node.kind()) {
    case sexp::Kind::kNil:
      return py::none();
    case sexp::Kind::kBool:
      return py::bool_(node.as_bool());
    case sexp::Kind::kInt:
      return py::reinterpret_steal<py::object>(PyLong_FromLongLong(node.as_int()));
    case sexp::Kind::kFloat:
      return py::reinterpret_steal<py::object>(PyFloat_FromDouble(node.as_float()));
    case sexp::Kind::kString:
      return Str(node.str());
    case sexp::Kind::kBytes:
      return py::bytes(node.bytes().data(), node.bytes().size());
    case sexp::Kind::kSymbol:
      return Symbol(node.name());
    case sexp::Kind::kKeyword:
      return Keyword(node.name());
    case sexp::Kind::kList: {
      auto items = node.items();
      PyObject* list = PyList_New(static_cast<Py_ssize_t>(items.size()));
      if (list == nullptr) throw py::error_already_set();
      py::object out = py::reinterpret_steal<py::object>(list);
      for (size_t i = 0; i < items.size(); ++i) {
        PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), NodeToPy(items[i]).release().ptr());
      }
      return out;
    }
    case sexp::Kind::kDict: {
      auto items = node.items();
      py::dict out;
      for (size_t i = 0; i + 1 < items.size(); i += 2) {
        py::object k = NodeToPy(items[i]);
        py::object v = NodeToPy(items[i + 1]);
        if (PyDict_SetItem(out.ptr(), k.ptr(), v.ptr()) != 0) throw py::error_already_set();
      }
      return out;
    }
  }
  return py::none();
}

py::object ValueToPy(const sexp::Value& v) {
  switch (v.type()) {
    case sexp::ValueType::kNil:
      return py::none();
    case sexp::ValueType::kBool:
      return py::bool_(v.as_bool());
    case sexp::ValueType::kInt:
      return py::reinterpret_steal<py::object>(PyLong_FromLongLong(v.as_int()));
    case sexp::ValueType::kFloat:
      return py::reinterpret_steal<py::object>(PyFloat_FromDouble(v.as_float()));
    case sexp::ValueType::kString:
      return Str(v.str());
    case sexp::ValueType::kBytes:
      return py::bytes(v.str().data(), v.str().size());
    case sexp::ValueType::kHtml:
      return types().markup(Str(v.str()));
    case sexp::ValueType::kSymbol:
      return Symbol(v.name());
    case sexp::ValueType::kKeyword:
      return Keyword(v.name());
    case sexp::ValueType::kList: {
      py::list out(v.size());
      for (size_t i = 0; i < v.size(); ++i) out[i] = ValueToPy(v[i]);
      return out;
    }
    case sexp::ValueType::kDict: {
      py::dict out;
      for (size_t i = 0; i + 1 < v.size(); i += 2) out[ValueToPy(v[i])] = ValueToPy(v[i + 1]);
      return out;
    }
    default:
      return py::str(sexp::ToText(v));
  }
}

sexp::Node PyToNode(sexp::Builder& builder, py::handle obj) {
  NodeMaker make{builder};
  return Convert(make, obj, "", 0);
}

sexp::Value PyToValue(sexp::Environment& env, sexp::Arena& arena, py::handle obj) {
  ValueMaker make{env, arena};
  return Convert(make, obj, "", 0);
}

void ThrowReadError(const sexp::Error& error) {
  py::object e = types().read_error(error.message, error.line, error.column,
                                    error.offset == sexp::kNoOffset ? py::object(py::none())
                                                                    : py::int_(error.offset),
                                    std::string(sexp::ErrorCodeName(error.code)));
  PyErr_SetObject(types().read_error.ptr(), e.ptr());
  throw py::error_already_set();
}

void ThrowEvalError(const sexp::EvalError& error) {
  py::list trace;
  for (const auto& t : error.trace) trace.append(t);
  py::object e = types().eval_error(error.message, error.code, error.file, error.line,
                                    error.column, trace);
  PyErr_SetObject(types().eval_error.ptr(), e.ptr());
  throw py::error_already_set();
}

}  // namespace sexp_py
