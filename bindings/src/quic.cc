// _sexp._QuicClient: one sexpr:// connection (sexp::quic::Client) whose
// requests complete through a Python callback called on the client's loop
// thread with the GIL taken — sexp/quic.py hands the result to its asyncio
// loop with call_soon_threadsafe, so no Python thread ever blocks on the
// network. Connecting and closing block (they join or wait for the loop):
// they release the GIL, and sexp/quic.py runs them on a worker thread.
#include "quic.h"

#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "sexp/net/quic.h"

namespace py = pybind11;

namespace sexp_py {
namespace {

// A request's callback and frames. The callback is a strong reference taken
// and dropped with the GIL held (on_done takes it); if the client went away
// without calling on_done the reference is leaked rather than dropped
// without the GIL.
struct Pending {
  PyObject* callback = nullptr;
  std::vector<std::string> frames;
};

class PyQuicClient {
 public:
  PyQuicClient(const std::string& host, uint16_t port, bool insecure, const std::string& ca,
               const std::string& server_name, uint64_t timeout_ms, size_t max_frame_size) {
    sexp::quic::ClientOptions o;
    o.insecure = insecure;
    o.ca_file = ca;
    o.server_name = server_name;
    o.connect_timeout_ms = timeout_ms;
    if (max_frame_size != 0) o.max_frame_size = max_frame_size;
    absl::StatusOr<std::unique_ptr<sexp::quic::Client>> c;
    {
      py::gil_scoped_release release;
      c = sexp::quic::Client::Connect(host, port, o);
    }
    if (!c.ok()) throw py::value_error(std::string(c.status().message()));
    client_ = *std::move(c);
  }
  ~PyQuicClient() { Close(); }

  // Sends `payload`; `callback(frames, error)` runs once on the loop thread:
  // (list of str, None) or (partial frames, message).
  void Request(const std::string& payload, py::object callback) {
    if (client_ == nullptr) throw py::value_error("the connection is closed");
    auto pending = std::make_shared<Pending>();
    pending->callback = callback.release().ptr();  // our reference
    client_->Request(
        payload,
        [pending](std::string_view frame) { pending->frames.emplace_back(frame); },
        [pending](absl::Status status) {
          py::gil_scoped_acquire gil;
          PyObject* cb = pending->callback;
          pending->callback = nullptr;
          if (cb == nullptr) return;
          try {
            py::object error = status.ok() ? py::none()
                                           : py::object(py::str(std::string(status.message())));
            py::handle call_back{cb};
            call_back(py::cast(pending->frames), error);
          } catch (py::error_already_set& e) {
            e.discard_as_unraisable("sexp.quic: a request callback");
          }
          Py_DECREF(cb);
        });
  }

  bool connected() const { return client_ != nullptr && client_->connected(); }

  void Close() {
    if (client_ == nullptr) return;
    std::unique_ptr<sexp::quic::Client> c = std::move(client_);
    // Closing joins the loop thread, which may be waiting for the GIL to
    // run a callback.
    py::gil_scoped_release release;
    c->Close();
    c.reset();
  }

 private:
  std::unique_ptr<sexp::quic::Client> client_;
};

}  // namespace

void RegisterQuic(py::module_& m) {
  // sexpr://host[:port][/path] as the C++ side reads it (quic::ParseUrl).
  m.def("_parse_sexpr_url", [](const std::string& text) {
    absl::StatusOr<sexp::quic::Url> url = sexp::quic::ParseUrl(text);
    if (!url.ok()) throw py::value_error(std::string(url.status().message()));
    return py::make_tuple(url->host, url->port, url->path);
  });
  py::class_<PyQuicClient>(m, "_QuicClient")
      .def(py::init<const std::string&, uint16_t, bool, const std::string&, const std::string&,
                    uint64_t, size_t>(),
           py::arg("host"), py::arg("port"), py::arg("insecure"), py::arg("ca"),
           py::arg("server_name"), py::arg("timeout_ms"), py::arg("max_frame_size"))
      .def("request", &PyQuicClient::Request, py::arg("payload"), py::arg("callback"))
      .def("close", &PyQuicClient::Close)
      .def_property_readonly("connected", &PyQuicClient::connected);
}

}  // namespace sexp_py
