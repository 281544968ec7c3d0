#include "negotiate.h"

#include <string>

#include "sexp/core/address.h"
#include "sexp/web/negotiate.h"

namespace sexp_py {

namespace py = pybind11;

void RegisterNegotiate(py::module_& m) {
  m.def("_wants_sx", [](const std::string& accept) { return sexp::WantsSx(accept); });
  m.def("_accept_quality", [](const std::string& accept) {
    sexp::AcceptQuality q = sexp::ParseAccept(accept);
    return py::make_tuple(q.sx, q.html);
  });
  m.def("_html_etag", [](py::bytes html, const std::string& version) {
    if (!version.empty() && !sexp::IsValidEtagVersion(version)) {
      throw py::value_error("version must be a non-empty str of visible ASCII without '\"'");
    }
    return sexp::HtmlEtag(std::string(html), version);
  });
  m.def("_if_none_match", [](const std::string& header, const std::string& etag) {
    return sexp::IfNoneMatchMatches(header, etag);
  });
  // `address`: "sha3-…" (what sexp.hash returns).
  m.def("_have_names", [](const std::string& header, const std::string& address) {
    sexp::Result<sexp::Digest> d = sexp::ParseAddress(address);
    if (!d.ok()) throw py::value_error("not a content address: " + address);
    return sexp::HaveNames(header, *d);
  });
  m.def("_sx_answer_head", [](int status) { return std::string(sexp::SxAnswerHead(status)); });
}

}  // namespace sexp_py
