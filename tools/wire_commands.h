// `sexp serve-quic` and `sexp get`: the CLI's face of sexp::quic.
#ifndef SEXP_TOOLS_WIRE_COMMANDS_H_
#define SEXP_TOOLS_WIRE_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <vector>

namespace sexp::cli {

struct ServeQuicOptions {
  std::string addr = "127.0.0.1:4433";  // HOST:PORT (IPv6 as [::1]:4433); port 0 picks one
  std::string dir;                      // pages: DIR/a/b.sx or DIR/a/b/index.sx for /a/b
  // sx files whose defroute/defpage routes are answered before DIR's pages
  // (the handler's value is the page).
  std::vector<std::string> sites;
  std::string cert, key;                // PEM files; none: a self-signed development pair
  std::string write_cert;               // write the certificate served here (for --ca)
  uint64_t max_frame = 0;               // 0: the default (16 MiB)
  uint64_t idle_timeout_ms = 30000;
};

// Serves until SIGINT/SIGTERM; prints "listening on sexpr://HOST:PORT" on
// stderr once ready. Exit status 0 after a clean shutdown, 1 on errors.
int RunServeQuic(const ServeQuicOptions& options);

struct GetOptions {
  std::string url;   // sexpr://host:port/path or https://host:port/path (HTTP/3)
  std::string have;  // :have address
  bool insecure = false;
  std::string ca;    // trusted CA file (PEM)
  uint64_t timeout_ms = 10000;
  // https:// only (curl's spelling).
  bool include = false;              // -i: status line and fields before the body
  bool fail = false;                 // -f: a status >= 400 exits 22, prints no body
  std::string method;                // -X (default GET, POST with --data)
  std::vector<std::string> headers;  // -H "Name: value"
  std::optional<std::string> data;   // --data BODY
};

// sexpr://: prints each response frame's sx on its own line. https://: one
// HTTP/3 request; prints the body as it came (after the status line and
// fields with -i). 0 on an answer, 1 with a message on stderr otherwise, 22
// for a status >= 400 with --fail.
int RunGet(const GetOptions& options);

}  // namespace sexp::cli

#endif  // SEXP_TOOLS_WIRE_COMMANDS_H_
