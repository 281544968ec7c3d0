// sexp — command-line front end to libsexp.
//
//   sexp canon FILE        canonical text, one expression per line
//   sexp fmt FILE          pretty-printed
//   sexp hash [--cid] FILE sha3-<hex> (or CIDv1) per expression
//   sexp check FILE        exit 0 if FILE reads and every expression has a
//                          canonical form; else FILE:LINE:COL: message
//   sexp eval FILE         evaluate the top-level forms in order; print the
//                          canonical text of the last value
//   sexp render FILE       evaluate the definitions, render the last form as
//                          HTML (--allow-any-url turns the URL policy off)
//   sexp from-html FILE    read HTML (a document or a fragment) and print it
//                          as sx, pretty-printed
//   sexp serve-quic DIR    serve DIR's .sx pages over sexpr:// (QUIC; only when
//                          built with SEXP_BUILD_QUIC, as is `get`)
//   sexp get URL           fetch a sexpr:// URL; print each response frame
//   sexp keygen -o KEY     a key pair (--alg ed25519|rsa|p256); prints the public key
//   sexp sign --key KEY --key-id ID FILE    each expression as (signed …)
//   sexp verify --pub PUB FILE              every envelope valid? (exit 0/1)
//   sexp httpsig sign|verify … MESSAGE     RFC 9421 / cavage on raw HTTP/1.1
//
// FILE may be '-' for standard input. Exit codes: 0 success, 1 bad input,
// 2 usage error. Output is built whole before anything is written, so bad
// input never leaves partial output on stdout.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>

#include "CLI/CLI.hpp"
#include "sexp/eval/eval.h"
#include "sexp/html/render.h"
#include "sexp/html/reader.h"
#include "sexp/sexp.h"
#include "ap_commands.h"
#include "cli_io.h"
#include "sig_commands.h"
#if SEXP_CLI_HAVE_QUIC
#include "wire_commands.h"
#endif
#if SEXP_CLI_HAVE_HOST
#include "host_command.h"
#endif

namespace {

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 1;
constexpr int kExitUsage = 2;

struct InputOptions {
  std::string file;
  size_t max_depth = sexp::ReadOptions{}.max_depth;
  size_t max_size = sexp::ReadOptions{}.max_size;
};

using sexp::cli::DisplayName;
using sexp::cli::Emit;
using sexp::cli::Report;
using sexp::cli::Slurp;


enum class Command { kCanon, kFmt, kHash, kCheck, kEval, kRender, kFromHtml };

struct EvalOptions {
  uint64_t max_steps = sexp::EvalLimits{}.max_steps;
  uint32_t max_depth = sexp::EvalLimits{}.max_depth;
  uint64_t max_bytes = sexp::EvalLimits{}.max_bytes;
  int64_t timeout_ms = 0;
  bool allow_any_url = false;  // render only
};

// `sexp eval` and `sexp render`: the same limits, a different last step.
int RunEval(const InputOptions& in, const EvalOptions& eo, bool render) {
  std::string text;
  if (!Slurp(in.file, &text)) return kExitBadInput;
  sexp::EvalLimits limits;
  limits.max_steps = eo.max_steps;
  limits.max_depth = eo.max_depth;
  limits.max_bytes = eo.max_bytes;
  limits.timeout = std::chrono::milliseconds(eo.timeout_ms);
  sexp::Environment env;
  std::string out;
  sexp::EvalResult r = sexp::Value();
  if (render) {
    sexp::RenderOptions options;
    if (eo.allow_any_url) options.url_policy = sexp::UrlPolicy::kAllowAll;
    sexp::HtmlStringSink sink(&out);  // whole, so a failed render prints nothing
    r = sexp::RenderHtml(env, text, sink, DisplayName(in.file), options, limits);
  } else {
    r = env.Eval(text, DisplayName(in.file), limits);
  }
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
    return kExitBadInput;
  }
  if (!render) out = sexp::ToText(r.value());
  return Emit(out + "\n");
}

struct HtmlOptions {
  bool document = false;
  bool fragment = false;
  bool no_whitespace = false;
  bool sanitize = false;
  int64_t timeout_ms = 0;
};

// from-html: the pretty-printed sx of the HTML. What the mapping had to
// leave out (names that are not sx symbols or keywords) is noted on stderr.
int RunFromHtml(const InputOptions& in, const HtmlOptions& ho) {
  std::string text;
  if (!Slurp(in.file, &text)) return kExitBadInput;
  sexp::HtmlReadOptions o;
  if (ho.document) o.mode = sexp::HtmlReadOptions::Mode::kDocument;
  if (ho.fragment) o.mode = sexp::HtmlReadOptions::Mode::kFragment;
  o.keep_whitespace = !ho.no_whitespace;
  o.max_depth = in.max_depth;
  o.max_size = in.max_size;
  o.timeout = std::chrono::milliseconds(ho.timeout_ms);
  o.sanitize = ho.sanitize;
  sexp::HtmlReadStats stats;
  sexp::Result<sexp::Document> doc = sexp::HtmlToSx(text, o, &stats);
  if (!doc.ok()) {
    Report(in.file, doc.error());
    return kExitBadInput;
  }
  sexp::Result<std::string> out = sexp::Format(*doc);
  if (!out.ok()) {
    Report(in.file, out.error());
    return kExitBadInput;
  }
  if (ho.sanitize) {
    std::fprintf(stderr,
                 "%s: sanitized: dropped %zu element(s) with their content, unwrapped %zu, "
                 "dropped %zu attribute(s) and %zu unsafe URL(s)\n",
                 DisplayName(in.file).c_str(), stats.dropped_elements, stats.unwrapped_elements,
                 stats.dropped_attributes, stats.unsafe_urls);
  } else if (stats.dropped_attributes > 0 || stats.unwrapped_elements > 0) {
    std::fprintf(stderr,
                 "%s: note: dropped %zu attribute(s) and unwrapped %zu element(s) "
                 "whose names are not sx keywords/symbols\n",
                 DisplayName(in.file).c_str(), stats.dropped_attributes,
                 stats.unwrapped_elements);
  }
  return Emit(*out);
}

int Run(Command cmd, const InputOptions& in, bool cid) {
  std::string text;
  if (!Slurp(in.file, &text)) return kExitBadInput;
  sexp::ReadOptions ro;
  ro.max_depth = in.max_depth;
  ro.max_size = in.max_size;
  ro.copy_source = false;  // `text` outlives the document
  sexp::Result<sexp::Document> doc = sexp::Read(text, ro);
  if (!doc.ok()) {
    Report(in.file, doc.error());
    return kExitBadInput;
  }
  std::string out;
  if (cmd == Command::kFmt) {
    sexp::Result<std::string> f = sexp::Format(*doc);
    if (!f.ok()) {
      Report(in.file, f.error());
      return kExitBadInput;
    }
    out = std::move(*f);
  } else {
    for (const sexp::Node& form : doc->roots()) {
      sexp::Error err;
      if (cmd == Command::kHash) {
        sexp::Result<sexp::Digest> d = sexp::HashNode(form);
        if (d.ok()) {
          out += cid ? d->cid() : d->hex_address();
          out += '\n';
        } else {
          err = d.error();
        }
      } else {
        sexp::StringSink sink(&out);
        err = sexp::WriteCanonical(form, sink);
        out += '\n';
      }
      if (!err.ok()) {
        doc->Locate(&err);
        Report(in.file, err);
        return kExitBadInput;
      }
    }
    if (cmd == Command::kCheck) return kExitOk;
  }
  return Emit(out);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sexp: read, canonicalize, format and hash s-expressions"};
  app.set_version_flag("--version", SEXP_VERSION_STRING);
  app.require_subcommand(1);

  InputOptions in;
  bool cid = false;
  Command cmd = Command::kCanon;
  auto add = [&](const char* name, const char* help, Command c) {
    CLI::App* sub = app.add_subcommand(name, help);
    sub->add_option("FILE", in.file, "input file, or - for stdin")->required();
    sub->add_option("--max-depth", in.max_depth, "deepest nesting allowed")
        ->capture_default_str();
    sub->add_option("--max-size", in.max_size, "largest input in bytes")
        ->capture_default_str();
    sub->callback([&cmd, c] { cmd = c; });
    return sub;
  };
  add("canon", "print the canonical form of each expression, one per line",
      Command::kCanon);
  add("fmt", "pretty-print each expression", Command::kFmt);
  CLI::App* hash = add("hash", "print sha3-<hex> of each expression, one per line",
                       Command::kHash);
  hash->add_flag("--cid", cid, "print CIDv1 (base32) instead of sha3-<hex>");
  add("check",
      "exit 0 if the file reads and every expression has a canonical form",
      Command::kCheck);
  EvalOptions eo;
  auto add_eval = [&](const char* name, const char* help, Command c) {
    CLI::App* ev = app.add_subcommand(name, help);
    ev->add_option("FILE", in.file, "input file, or - for stdin")->required();
    ev->callback([&cmd, c] { cmd = c; });
    ev->add_option("--max-steps", eo.max_steps, "step budget")->capture_default_str();
    ev->add_option("--max-depth", eo.max_depth, "deepest nesting of non-tail calls")
        ->capture_default_str();
    ev->add_option("--max-bytes", eo.max_bytes, "bytes the evaluation may allocate")
        ->capture_default_str();
    ev->add_option("--timeout-ms", eo.timeout_ms, "wall-time limit (0: none)")
        ->capture_default_str();
    return ev;
  };
  add_eval("eval", "evaluate each top-level form; print the last value", Command::kEval);
  add_eval("render", "evaluate the definitions; render the last form as HTML", Command::kRender)
      ->add_flag("--allow-any-url", eo.allow_any_url,
                 "do not reject javascript: and other unsafe URL schemes");

  HtmlOptions ho;
  CLI::App* fh = add("from-html",
                     "read HTML (a whole document or a fragment) and print it as sx",
                     Command::kFromHtml);
  CLI::Option* doc_flag =
      fh->add_flag("--document", ho.document, "always parse a whole document");
  fh->add_flag("--fragment", ho.fragment, "always parse a fragment (in a <body>)")
      ->excludes(doc_flag);
  fh->add_flag("--no-whitespace", ho.no_whitespace,
               "drop whitespace-only text outside pre, textarea, script, style...");
  fh->add_option("--timeout-ms", ho.timeout_ms, "wall-time limit for parsing (0: none)")
      ->capture_default_str();
  fh->add_flag("--sanitize", ho.sanitize,
               "the profile for strangers' HTML: drop script, style, iframe, event handlers, "
               "unsafe URLs (spec/html-reader.md §11)");

  sexp::cli::AddSigCommands(app);
  sexp::cli::AddApCommands(app);
#if SEXP_CLI_HAVE_QUIC
  sexp::cli::ServeQuicOptions sq;
  CLI::App* serve = app.add_subcommand("serve-quic", "serve the .sx pages of DIR over sexpr:// (QUIC)");
  serve->add_option("DIR", sq.dir, "directory of pages (/a/b is a/b.sx or a/b/index.sx)")->required();
  serve->add_option("--addr", sq.addr, "HOST:PORT to listen on (port 0: any)")->capture_default_str();
  serve->add_option("--site", sq.sites,
                    "sx file whose defroute/defpage routes are served before DIR's pages "
                    "(repeatable)");
  CLI::Option* cert = serve->add_option("--cert", sq.cert, "certificate chain (PEM)");
  CLI::Option* key = serve->add_option("--key", sq.key, "private key (PEM)");
  cert->needs(key);
  key->needs(cert);
  serve->add_option("--write-cert", sq.write_cert,
                    "write the certificate served (PEM) to this file, for clients' --ca");
  serve->add_option("--max-frame", sq.max_frame, "largest request frame in bytes (default 16 MiB)");
  serve->add_option("--idle-timeout-ms", sq.idle_timeout_ms, "close idle connections after this")
      ->capture_default_str();
  sexp::cli::GetOptions go;
  CLI::App* get = app.add_subcommand(
      "get", "fetch a sexpr:// URL (print each response frame) or an https:// URL over HTTP/3");
  get->add_option("URL", go.url, "sexpr://host:port/path or https://host:port/path")->required();
  get->add_option("--have", go.have, "address of the copy you have (answered by not-modified)");
  get->add_flag("--insecure", go.insecure, "do not verify the server's certificate (development)");
  get->add_option("--ca", go.ca, "trust the CA certificates in this PEM file");
  get->add_option("--timeout-ms", go.timeout_ms, "connect and answer timeout")->capture_default_str();
  get->add_flag("-i,--include", go.include, "https: print the status line and fields first");
  get->add_flag("-f,--fail", go.fail, "https: a status >= 400 prints no body and exits 22");
  get->add_option("-X,--request", go.method, "https: the method (default GET; POST with --data)");
  get->add_option("-H,--header", go.headers, "https: a request field 'Name: value' (repeatable)");
  get->add_option("--data", go.data, "https: the request body");

#endif
#if SEXP_CLI_HAVE_HOST
  sexp::cli::AddHostCommand(app);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (int rc = sexp::cli::RunSigCommand(); rc >= 0) return rc;
  if (int rc = sexp::cli::RunApCommand(); rc >= 0) return rc;
#if SEXP_CLI_HAVE_HOST
  if (int rc = sexp::cli::RunHostCommand(); rc >= 0) return rc;
#endif
#if SEXP_CLI_HAVE_QUIC
  if (serve->parsed()) return sexp::cli::RunServeQuic(sq);
  if (get->parsed()) return sexp::cli::RunGet(go);
#endif
  if (cmd == Command::kEval || cmd == Command::kRender) {
    return RunEval(in, eo, cmd == Command::kRender);
  }
  if (cmd == Command::kFromHtml) return RunFromHtml(in, ho);
  return Run(cmd, in, cid);
}
