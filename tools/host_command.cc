// `sexp host SITE_DIR [--http HOST:PORT] …`: loads the site, serves it, and
// takes SIGHUP (reload), SIGINT and SIGTERM (graceful shutdown) on the main
// thread with sigwait — the host's threads inherit the blocked mask.
#include "host_command.h"

#include "absl/strings/str_cat.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "sexp/host/server.h"
#include "sexp/host/site.h"
#include "sexp/core/reader.h"
#include "sexp/core/writer.h"
#include "sexp/net/quic.h"
#include "sexp/wire/message.h"

namespace sexp::cli {
namespace {

struct HostCommandOptions {
  std::string dir;
  std::string http = "127.0.0.1:8080";
  std::string quic;  // HOST:PORT for sexpr:// (empty: none)
  std::string cert, key, write_cert;
  std::string data;  // DATA_DIR: the development certificate and the disk cache
  std::string version;
  size_t workers = 0;
  uint64_t max_body = 1 << 20;
  uint64_t max_header = 16 << 10;
  uint64_t max_connections = 10000;
  uint64_t request_timeout_ms = 10000;
  uint64_t idle_timeout_ms = 60000;
  uint64_t page_timeout_ms = 10000;
  uint64_t grace_ms = 10000;
};

HostCommandOptions g_options;
CLI::App* g_command = nullptr;

// Writes `text` to `path` with `mode` through a temporary file renamed over
// it, so a crash leaves the old file or the new one, never half of one.
absl::Status WriteFileAtomically(const std::string& path, std::string_view text, mode_t mode) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return absl::InternalError(absl::StrCat(tmp, ": ", std::strerror(errno)));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return absl::InternalError(absl::StrCat(tmp, ": ", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// --data without --cert: the development certificate lives in DATA/tls/,
// made on the first start (the key readable by its owner only), so a
// client's --ca stays valid across restarts.
absl::Status DevCertificateIn(const std::string& data, std::string* cert, std::string* key) {
  const std::filesystem::path dir = std::filesystem::path(data) / "tls";
  *cert = (dir / "cert.pem").string();
  *key = (dir / "key.pem").string();
  std::error_code ec;
  if (std::filesystem::exists(*cert, ec) && std::filesystem::exists(*key, ec)) {
    return absl::OkStatus();
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat(dir.string(), ": ", ec.message()));
  absl::StatusOr<quic::PemCertificate> made = quic::MakeSelfSignedCertificate();
  if (!made.ok()) return made.status();
  if (absl::Status s = WriteFileAtomically(*key, made->key_pem, 0600); !s.ok()) return s;
  return WriteFileAtomically(*cert, made->cert_pem, 0644);
}

void Log(const char* what, const absl::Status& status) {
  std::string_view message(status.message().data(), status.message().size());
  std::fprintf(stderr, "sexp host: %s%.*s\n", what, static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

}  // namespace

void AddHostCommand(CLI::App& app) {
  HostCommandOptions& o = g_options;
  CLI::App* c = app.add_subcommand(
      "host",
      "serve an sx site (defcomp/defroute/defpage/defservice files, static/) over HTTP/1.1, "
      "and with --quic over HTTP/3 and sexpr://");
  c->add_option("SITE_DIR", o.dir, "the site's folder")->required();
  c->add_option("--http", o.http, "HOST:PORT to listen on for HTTP/1.1 (port 0: any)")
      ->capture_default_str();
  c->add_option("--quic", o.quic,
                 "HOST:PORT to serve HTTP/3 and sexpr:// on (QUIC, ALPN h3 or sexpr/1; port 0: any)");
  CLI::Option* cert = c->add_option("--cert", o.cert, "certificate chain (PEM) for QUIC");
  CLI::Option* key = c->add_option("--key", o.key, "private key (PEM) for QUIC");
  cert->needs(key);
  key->needs(cert);
  c->add_option("--write-cert", o.write_cert,
                "write the QUIC certificate served (PEM) to this file, for clients' --ca");
  c->add_option("--workers", o.workers, "threads evaluating pages (0: one per core)")
      ->capture_default_str();
  c->add_option("--version-tag", o.version, "a version that goes into HTML ETags");
  c->add_option("--max-body", o.max_body, "largest request body in bytes")->capture_default_str();
  c->add_option("--max-header", o.max_header, "largest request head (target and fields) in bytes")
      ->capture_default_str();
  c->add_option("--max-connections", o.max_connections, "open connections; more are answered 503")
      ->capture_default_str();
  c->add_option("--request-timeout-ms", o.request_timeout_ms,
                "a request must arrive whole within this (else 408)")
      ->capture_default_str();
  c->add_option("--idle-timeout-ms", o.idle_timeout_ms, "close idle keep-alive connections after this")
      ->capture_default_str();
  c->add_option("--page-timeout-ms", o.page_timeout_ms,
                "a page's deadline: evaluation, backend calls, rendering")
      ->capture_default_str();
  c->add_option("--grace-ms", o.grace_ms, "on SIGTERM, how long in-flight requests may take")
      ->capture_default_str();
  c->add_option("--data", o.data,
                "folder for state kept across restarts: the development certificate "
                "(DATA/tls/) and the disk tier of (cached …) (DATA/cache/)");
  g_command = c;
}

int RunHostCommand() {
  if (g_command == nullptr || !g_command->parsed()) return -1;
  const HostCommandOptions& o = g_options;
  absl::StatusOr<quic::HostPort> addr = quic::ParseHostPort(o.http, 8080);
  if (!addr.ok()) {
    Log("--http: ", addr.status());
    return 1;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // sexpr:// first (its port goes into the HTML answers' Link and
  // Alt-Svc); its requests wait for the HTTP host's workers.
  std::atomic<host::HttpHost*> answering{nullptr};
  std::unique_ptr<quic::Server> quic_server;
  std::string quic_host;
  if (!o.quic.empty()) {
    absl::StatusOr<quic::HostPort> qaddr = quic::ParseHostPort(o.quic, quic::kDefaultPort);
    if (!qaddr.ok()) {
      Log("--quic: ", qaddr.status());
      return 1;
    }
    quic::ServerOptions qo;
    quic_host = qaddr->host;
    qo.address = qaddr->host;
    qo.port = qaddr->port;
    qo.cert_file = o.cert;
    qo.key_file = o.key;
    if (o.cert.empty() && !o.data.empty()) {
      if (absl::Status s = DevCertificateIn(o.data, &qo.cert_file, &qo.key_file); !s.ok()) {
        Log("--data: ", s);
        return 1;
      }
    }
    // HTTP/3 on the same port, chosen by ALPN: the same pages as HTTP/1.1.
    qo.h3_limits.max_body_bytes = o.max_body;
    qo.h3_limits.max_field_bytes = o.max_header;
    qo.http3 = [&answering](quic::H3Request request, quic::H3Respond respond) {
      host::HttpHost* http = answering.load();
      if (http == nullptr) {
        respond({503, {{"retry-after", "1"}}, "starting\n"});
        return;
      }
      host::HttpRequest h;
      h.method = std::move(request.method);
      h.target = std::move(request.path);
      bool has_host = false;
      for (quic::H3Field& f : request.headers) {
        has_host = has_host || f.name == "host";
        h.headers.push_back({std::move(f.name), std::move(f.value)});
      }
      if (!has_host && !request.authority.empty()) {
        h.headers.push_back({"host", std::move(request.authority)});
      }
      h.body = std::move(request.body);
      http->Submit(std::move(h), [respond](host::HttpResponse answer) {
        quic::H3Response r;
        r.status = answer.status;
        r.headers.reserve(answer.headers.size());
        for (host::HttpHeader& f : answer.headers) {
          r.headers.push_back({std::move(f.name), std::move(f.value)});
        }
        r.body = std::move(answer.body);
        respond(std::move(r));
      });
    };
    auto started = quic::Server::Start(qo, [&answering](std::string_view request,
                                                        quic::Responder r) {
      Builder b;
      auto refuse = [&](std::string_view code, std::string_view message) {
        Result<std::string> text = Canonical(MakeErrorResponse(b, code, message));
        r.Send(text.ok() ? *text : "(error :code \"internal\")");
        r.Finish();
      };
      Result<Document> doc = ReadOne(request);
      if (!doc.ok()) return refuse("bad-request", "request is not sx: " + doc.error().ToString());
      if (Error e = ValidateMessage(doc->roots()[0], &*doc); !e.ok()) {
        return refuse("bad-request", e.ToString());
      }
      const Node& req = doc->roots()[0];
      if (!req[0].is_symbol("GET")) return refuse("bad-request", "sexp host answers GET");
      host::HttpHost* http = answering.load();
      if (http == nullptr) return refuse("unavailable", "starting");
      host::HttpRequest h;
      h.method = "GET";
      h.target = std::string(req[1].str());
      h.headers.push_back({"Accept", "application/x-sexpr"});
      for (size_t i = 2; i + 1 < req.size(); ++i) {
        if (req[i].is_keyword() && req[i].name() == "have" && req[i + 1].is_string()) {
          h.headers.push_back({"Sexpr-Have", std::string(req[i + 1].str())});
        }
      }
      http->Submit(std::move(h), [r](host::HttpResponse answer) {
        r.Send(answer.body);
        r.Finish();
      });
    });
    if (!started.ok()) {
      Log("", started.status());
      return 1;
    }
    quic_server = *std::move(started);
    if (!o.write_cert.empty()) {
      std::ofstream out(o.write_cert, std::ios::binary | std::ios::trunc);
      out << quic_server->certificate_pem();
      if (!out.flush()) {
        Log("cannot write ", absl::InvalidArgumentError(o.write_cert));
        return 1;
      }
    }
  }

  host::SiteOptions so;
  so.dir = o.dir;
  if (quic_server != nullptr) {
    const bool qv6 = quic_host.find(':') != std::string::npos;
    so.sexpr_authority = absl::StrCat(qv6 ? "[" : "", quic_host, qv6 ? "]" : "", ":",
                                      quic_server->port());
    so.h3_port = quic_server->port();
  }
  so.version = o.version;
  so.data_dir = o.data;
  so.limits.timeout = std::chrono::milliseconds(o.page_timeout_ms);
  absl::StatusOr<std::shared_ptr<const host::Site>> site = host::Site::Load(so);
  if (!site.ok()) {
    Log("", site.status());
    return 1;
  }
  host::HostOptions ho;
  ho.address = addr->host;
  ho.port = addr->port;
  ho.workers = o.workers;
  ho.http1.max_body_bytes = o.max_body;
  ho.http1.max_header_bytes = o.max_header;
  ho.max_connections = o.max_connections;
  ho.request_timeout = std::chrono::milliseconds(o.request_timeout_ms);
  ho.idle_timeout = std::chrono::milliseconds(o.idle_timeout_ms);
  absl::StatusOr<std::unique_ptr<host::HttpHost>> server = host::HttpHost::Start(*site, ho);
  if (!server.ok()) {
    Log("", server.status());
    return 1;
  }
  answering.store(server->get());
  const bool v6 = ho.address.find(':') != std::string::npos;
  std::string also;
  if (quic_server != nullptr) {
    std::string cert_note;
    if (o.cert.empty()) {
      cert_note = o.data.empty() ? " (self-signed development certificate)"
                                 : absl::StrCat(" (development certificate in ", o.data, "/tls/)");
    }
    also = absl::StrCat(" and sexpr://", so.sexpr_authority, ", HTTP/3 on the same port",
                        cert_note);
  }
  std::fprintf(stderr, "sexp host: %zu routes, %zu services from %s; listening on http://%s%s%s:%u%s\n",
               (*site)->route_count(), (*site)->services().size(), o.dir.c_str(), v6 ? "[" : "",
               ho.address.c_str(), v6 ? "]" : "", (*server)->port(), also.c_str());
  std::fflush(stderr);
  for (;;) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig != SIGHUP) break;
    absl::StatusOr<std::shared_ptr<const host::Site>> fresh = host::Site::Load(so);
    if (!fresh.ok()) {
      Log("reload refused, still serving the old site: ", fresh.status());
      continue;
    }
    (*server)->Reload(*fresh);
    std::fprintf(stderr, "sexp host: reloaded %zu routes\n", (*fresh)->route_count());
    std::fflush(stderr);
  }
  // Both transports drain at once, for the same grace period: QUIC refuses
  // new requests (GOAWAY) while those it has finish on the HTTP host's
  // workers, which finish every job already queued.
  std::thread quic_drain;
  if (quic_server != nullptr) {
    quic_drain = std::thread([&] { quic_server->Drain(o.grace_ms); });
  }
  (*server)->Shutdown(std::chrono::milliseconds(o.grace_ms));
  if (quic_drain.joinable()) quic_drain.join();
  host::HostStats s = (*server)->Stats();
  std::fprintf(stderr, "sexp host: shut down after %llu requests on %llu connections\n",
               static_cast<unsigned long long>(s.requests),
               static_cast<unsigned long long>(s.connections_total));
  return 0;
}

}  // namespace sexp::cli
