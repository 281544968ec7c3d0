// sexp.ap's native half: JSON text <-> Python sx values through
// sexp::ap::FromJson / ToJson. The conversions themselves run without the
// GIL; only building Python values (NodeToPy, PyToNode) holds it.
#include "ap.h"

#include <string>

#include <pybind11/stl.h>

#include "convert.h"
#include "sexp/ap/bridge.h"

namespace sexp_py {
namespace {

py::dict StatsDict(const sexp::ap::FromJsonStats& s) {
  py::dict d;
  d["objects"] = s.objects;
  d["contents"] = s.contents;
  d["sexpr_contents"] = s.sexpr_contents;
  d["sexpr_rejected"] = s.sexpr_rejected;
  d["public_aliases_merged"] = s.public_aliases_merged;
  d["dropped_elements"] = s.dropped_elements;
  d["unwrapped_elements"] = s.unwrapped_elements;
  d["dropped_attributes"] = s.dropped_attributes;
  d["unsafe_urls"] = s.unsafe_urls;
  return d;
}

}  // namespace

void RegisterAp(py::module_& m, const DocumentOf& document_of) {
  // (value, stats) of JSON text (str or bytes); ReadError with the code
  // and position on bad input.
  m.def("_ap_from_json",
        [](py::handle data, bool verified, size_t max_bytes, size_t max_depth,
           size_t max_content_bytes, double content_timeout) {
          std::string json;
          if (PyBytes_Check(data.ptr())) {
            json = std::string(py::reinterpret_borrow<py::bytes>(data));
          } else {
            json = py::cast<std::string>(data);  // str: UTF-8 (lone surrogates raise)
          }
          sexp::ap::FromJsonOptions o;
          o.signature_verified = verified;
          o.max_bytes = max_bytes;
          o.max_depth = max_depth;
          o.max_content_bytes = max_content_bytes;
          o.content_timeout = std::chrono::milliseconds(static_cast<int64_t>(content_timeout * 1000));
          sexp::ap::FromJsonStats stats;
          sexp::Result<sexp::Document> doc = [&] {
            py::gil_scoped_release release;
            return sexp::ap::FromJson(json, o, &stats);
          }();
          if (!doc.ok()) ThrowReadError(doc.error());
          return py::make_tuple(NodeToPy(doc->roots()[0]), StatsDict(stats));
        });
  // Compact JSON text of a value (a str is sx text); ValueError naming the
  // code on a value with no JSON form.
  m.def("_ap_to_json",
        [document_of](py::handle value, bool write_sexpr, bool default_context,
                      size_t max_output_bytes) {
          sexp::Document doc = document_of(value, /*str_is_text=*/true);
          sexp::ap::ToJsonOptions o;
          o.write_sexpr = write_sexpr;
          o.default_context = default_context;
          o.max_output_bytes = max_output_bytes;
          sexp::Result<std::string> json = [&] {
            py::gil_scoped_release release;
            return sexp::ap::ToJson(doc, o);
          }();
          if (!json.ok()) {
            const sexp::Error& e = json.error();
            throw py::value_error(std::string(sexp::ErrorCodeName(e.code)) + ": " + e.message +
                                  (e.line > 0 ? " (at " + std::to_string(e.line) + ":" +
                                                    std::to_string(e.column) + ")"
                                              : ""));
          }
          return py::str(*json);
        });
}

}  // namespace sexp_py
