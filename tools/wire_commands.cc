#include "wire_commands.h"

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sexp/net/quic.h"
#include "sexp/sexp.h"

namespace sexp::cli {
namespace {

// The canonical text of a builder-made response.
std::string Encode(const Node& n) {
  Result<std::string> text = Canonical(n);
  return text.ok() ? *text : std::string("(error :code \"internal\")");
}

// Answers are shared, not copied: a page's answer is sent as it is kept.
using Answer = std::shared_ptr<const std::string>;

Answer Shared(std::string text) { return std::make_shared<const std::string>(std::move(text)); }

// (ok :hash "sha3-…" PAGE) for a page's canonical text, which goes in as it
// is; `hash` is set to the page's address.
Answer OkAnswer(std::string_view canon, std::string* hash) {
  *hash = Sha3_256(canon).hex_address();
  std::string text = "(ok :hash \"" + *hash + "\" ";
  text.append(canon);
  text += ')';
  return Shared(std::move(text));
}

Answer BadRequest(std::string_view message) {
  Builder b;
  return Shared(Encode(MakeErrorResponse(b, "bad-request", message)));
}

int64_t MtimeNs(const struct stat& st) { return st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec; }

// The pages of a directory, read on first request and again whenever the
// file's size or modification time changes; each kept as its whole
// `(ok :hash … page)` answer, ready to send.
class PageStore {
 public:
  explicit PageStore(std::string dir) : dir_(std::move(dir)) {}

  // The answer to GET `path` with `have` (empty: none).
  Answer Get(std::string_view path, std::string_view have) {
    if (path.empty() || path[0] != '/' || path.find("/../") != std::string_view::npos ||
        path.ends_with("/..") || path.find('\0') != std::string_view::npos) {
      return BadRequest("path must start with / and may not contain ..");
    }
    std::string rel(path.substr(1));
    std::vector<std::string> candidates;
    if (rel.empty() || rel.back() == '/') {
      candidates.push_back(dir_ + "/" + rel + "index.sx");
    } else {
      candidates.push_back(dir_ + "/" + rel + ".sx");
      candidates.push_back(dir_ + "/" + rel + "/index.sx");
    }
    for (const std::string& file : candidates) {
      struct stat st;
      if (stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      std::lock_guard<std::mutex> lock(mu_);
      Page& page = pages_[file];
      if (page.mtime_ns != MtimeNs(st) || page.size != st.st_size || page.answer == nullptr) {
        Load(file, st, &page);
      }
      if (!page.hash.empty() && have == page.hash) {
        Builder b;
        return Shared(Encode(MakeNotModified(b, page.hash)));
      }
      return page.answer;
    }
    Builder b;
    return Shared(Encode(MakeNotFound(b, "no page at " + std::string(path))));
  }

 private:
  struct Page {
    int64_t mtime_ns = -1;
    int64_t size = -1;
    std::string hash;    // empty when the file is not a valid page
    Answer answer;       // the whole response
  };

  void Load(const std::string& file, const struct stat& st, Page* page) {
    page->mtime_ns = MtimeNs(st);
    page->size = st.st_size;
    page->hash.clear();
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    Result<Document> doc = ReadOne(text.str());
    Result<std::string> canon = doc.ok() ? Canonical(doc->roots()[0]) : Result<std::string>(doc.error());
    if (!canon.ok()) {
      Error e = canon.error();
      if (doc.ok()) doc->Locate(&e);
      Builder b;
      // Named relative to DIR: clients learn nothing of the server's files.
      page->answer = Shared(Encode(MakeErrorResponse(
          b, "bad-page", file.substr(dir_.size() + 1) + ": " + e.ToString())));
      return;
    }
    page->answer = OkAnswer(*canon, &page->hash);
  }

  std::string dir_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, Page> pages_;
};

}  // namespace

// The routes of sx site files — their defroute and defpage forms — answered
// before the pages of DIR: the handler is called with the path's parameters
// in the pattern's order (`:id{int}` ones as ints; a defpage takes exactly
// those), and its value, in canonical text, is the page. Query parameters
// are not passed, and I/O services are not available here (a page that
// calls one gets an `io` error). One evaluation at a time: the site's
// Environment is used by one thread at a time. Each request's values live
// in an arena of its own, so serving leaves nothing in the Environment.
class SiteRoutes {
 public:
  // Loads the files in order; false (with `error` set) when one does not
  // evaluate or its patterns conflict.
  bool Load(const std::vector<std::string>& files, std::string* error) {
    for (const std::string& file : files) {
      EvalResult r = env_.LoadFile(file);
      if (!r.ok()) {
        *error = r.error().ToString();
        return false;
      }
    }
    const Value* routes = env_.Lookup("*routes*");
    if (routes == nullptr || !routes->is_list()) return true;  // no routes: DIR only
    for (const Value& route : routes->items()) {
      std::string_view pattern = route[0].str();
      if (absl::Status s = router_.Add(pattern, handlers_.size()); !s.ok()) {
        *error = std::string(s.message());
        return false;
      }
      handlers_.push_back(route[1]);
      params_.push_back(*RouteParams(pattern));  // Add accepted it
    }
    return true;
  }
  bool empty() const { return handlers_.empty(); }

  // The answer for `path`, or nullptr when no route matches it.
  Answer Get(std::string_view path, std::string_view have) {
    std::optional<RouteMatch> match = router_.Match(path);
    if (!match) return nullptr;
    std::lock_guard<std::mutex> lock(mu_);
    Arena values;
    std::vector<Value> args;
    const std::vector<RouteParam>& kinds = params_[match->route];
    for (size_t i = 0; i < match->params.size(); ++i) {
      const std::string& text = match->params[i].second;
      int64_t n = 0;
      if (kinds[i].is_int && absl::SimpleAtoi(text, &n)) {
        args.push_back(Value::Int(n));
      } else {
        auto* copy = static_cast<char*>(values.Allocate(text.empty() ? 1 : text.size()));
        if (copy == nullptr) return BadRequest("out of memory");
        std::memcpy(copy, text.data(), text.size());
        args.push_back(Value::StringView({copy, text.size()}));
      }
    }
    EvalLimits limits;
    limits.timeout = std::chrono::seconds(10);
    Budget budget(limits);
    limits.budget = &budget;
    EvalResult r = env_.Call(handlers_[match->route], args, limits, &values);
    Builder b;
    if (!r.ok()) {
      // The error's code and message, not its file: clients learn nothing
      // of the server's files.
      const EvalError& e = r.error();
      return Shared(Encode(MakeErrorResponse(b, EvalErrorCodeName(e.code), e.message)));
    }
    std::string page = ToText(r.value(), budget);
    if (budget.exhausted()) {
      return Shared(Encode(MakeErrorResponse(b, "error", "the page is larger than the limits")));
    }
    std::string hash;
    Answer ok = OkAnswer(page, &hash);
    return have == hash ? Shared(Encode(MakeNotModified(b, hash))) : ok;
  }

 private:
  Environment env_;
  Router router_;
  std::vector<Value> handlers_;
  std::vector<std::vector<RouteParam>> params_;  // per route, in pattern order
  std::mutex mu_;
};

int RunServeQuic(const ServeQuicOptions& o) {
  quic::ServerOptions so;
  // The port is required here (no default port for a listener).
  absl::StatusOr<quic::HostPort> addr = quic::ParseHostPort(o.addr);
  if (!addr.ok() || o.addr.empty() || o.addr.back() == ']' ||
      o.addr.find(':') == std::string::npos) {
    std::fprintf(stderr, "sexp serve-quic: --addr must be HOST:PORT, got '%s'%s%s\n",
                 o.addr.c_str(), addr.ok() ? "" : ": ",
                 addr.ok() ? "" : std::string(addr.status().message()).c_str());
    return 1;
  }
  so.address = addr->host;
  so.port = addr->port;
  struct stat st;
  if (stat(o.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    std::fprintf(stderr, "sexp serve-quic: '%s' is not a directory\n", o.dir.c_str());
    return 1;
  }
  so.cert_file = o.cert;
  so.key_file = o.key;
  if (o.max_frame != 0) so.max_frame_size = o.max_frame;
  so.idle_timeout_ms = o.idle_timeout_ms;

  // Signals are taken by sigwait below; the server's threads inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto pages = std::make_shared<PageStore>(o.dir);
  auto site = std::make_shared<SiteRoutes>();
  if (std::string error; !site->Load(o.sites, &error)) {
    std::fprintf(stderr, "sexp serve-quic: %s\n", error.c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<quic::Server>> server = quic::Server::Start(
      so, [pages, site](std::string_view request, quic::Responder r) {
        Result<Document> doc = ReadOne(request);
        Answer answer;
        if (!doc.ok()) {
          answer = BadRequest("request is not sx: " + doc.error().ToString());
        } else if (Error e = ValidateMessage(doc->roots()[0], &*doc); !e.ok()) {
          answer = BadRequest(e.ToString());
        } else {
          const Node& req = doc->roots()[0];
          if (!req[0].is_symbol("GET")) {
            answer = BadRequest("serve-quic answers GET only");
          } else {
            std::string_view have;
            for (size_t i = 2; i + 1 < req.size(); ++i) {
              if (req[i].is_keyword() && req[i].name() == "have" && req[i + 1].is_string()) {
                have = req[i + 1].str();
              }
            }
            if (!site->empty()) answer = site->Get(req[1].str(), have);
            if (answer == nullptr) answer = pages->Get(req[1].str(), have);
          }
        }
        r.Send(*answer);
        r.Finish();
      });
  if (!server.ok()) {
    std::fprintf(stderr, "sexp serve-quic: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  const bool v6 = so.address.find(':') != std::string::npos;
  if (!o.write_cert.empty()) {
    std::ofstream out(o.write_cert, std::ios::binary | std::ios::trunc);
    out << (*server)->certificate_pem();
    if (!out.flush()) {
      std::fprintf(stderr, "sexp serve-quic: cannot write '%s'\n", o.write_cert.c_str());
      return 1;
    }
  }
  std::fprintf(stderr, "listening on sexpr://%s%s%s:%u%s\n", v6 ? "[" : "", so.address.c_str(),
               v6 ? "]" : "", (*server)->port(),
               o.cert.empty() ? " (self-signed development certificate)" : "");
  std::fflush(stderr);
  int sig = 0;
  sigwait(&signals, &sig);
  (*server)->Shutdown();
  quic::ServerStats s = (*server)->Stats();
  std::fprintf(stderr, "shut down: %llu connections, %llu requests\n",
               static_cast<unsigned long long>(s.connections_total),
               static_cast<unsigned long long>(s.requests_total));
  return 0;
}

namespace {

// One HTTP/3 request to an https:// URL (quic::H3Fetch).
int RunGetH3(const GetOptions& o) {
  auto fail = [](std::string_view why) {
    std::fprintf(stderr, "sexp get: %.*s\n", static_cast<int>(why.size()), why.data());
    return 1;
  };
  std::string_view rest = std::string_view(o.url).substr(8);  // after "https://"
  const size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (const size_t hash = path.find('#'); hash != std::string::npos) path.resize(hash);
  if (path.empty() || path[0] == '?') path.insert(0, "/");
  absl::StatusOr<quic::HostPort> hp = quic::ParseHostPort(authority, 443);
  if (!hp.ok() || hp->port == 0) {
    return fail(absl::StrCat(o.url, ": not an https://host[:port]/path URL"));
  }
  quic::H3Request req;
  req.method = !o.method.empty() ? o.method : o.data ? "POST" : "GET";
  req.authority = std::string(authority);
  req.path = path;
  for (const std::string& h : o.headers) {
    const size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      return fail(absl::StrCat("-H '", h, "': not 'Name: value'"));
    }
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    req.headers.push_back({h.substr(0, colon), value});
  }
  if (o.data) req.body = *o.data;
  quic::ClientOptions co;
  co.insecure = o.insecure;
  co.ca_file = o.ca;
  co.connect_timeout_ms = o.timeout_ms;
  co.max_frame_size = size_t{1} << 30;  // the body's cap
  auto results = quic::H3Fetch(hp->host, hp->port, co, {std::move(req)}, o.timeout_ms);
  if (!results.ok()) return fail(std::string(results.status().message()));
  absl::StatusOr<quic::H3Response>& r = (*results)[0];
  if (!r.ok()) return fail(std::string(r.status().message()));
  if (o.fail && r->status >= 400) {
    std::fprintf(stderr, "sexp get: the server answered %d\n", r->status);
    return 22;
  }
  std::string out;
  if (o.include) {
    absl::StrAppend(&out, "HTTP/3 ", r->status, "\n");
    for (const quic::H3Field& f : r->headers) absl::StrAppend(&out, f.name, ": ", f.value, "\n");
    out += "\n";
  }
  out += r->body;
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int RunGet(const GetOptions& o) {
  if (o.url.rfind("https://", 0) == 0) return RunGetH3(o);
  absl::StatusOr<quic::Url> url = quic::ParseUrl(o.url);
  if (!url.ok()) {
    std::fprintf(stderr, "sexp get: %s\n", std::string(url.status().message()).c_str());
    return 1;
  }
  Builder b;
  Node get = MakeGet(b, url->path, o.have);
  if (Error e = ValidateMessage(get); !e.ok()) {
    std::fprintf(stderr, "sexp get: %s\n", e.ToString().c_str());
    return 1;
  }
  quic::ClientOptions co;
  co.insecure = o.insecure;
  co.ca_file = o.ca;
  co.connect_timeout_ms = o.timeout_ms;
  absl::StatusOr<std::unique_ptr<quic::Client>> client =
      quic::Client::Connect(url->host, url->port, co);
  if (!client.ok()) {
    std::fprintf(stderr, "sexp get: %s\n", std::string(client.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<std::vector<std::string>> frames = (*client)->Call(Encode(get), o.timeout_ms);
  (*client)->Close();
  if (!frames.ok()) {
    std::fprintf(stderr, "sexp get: %s\n", std::string(frames.status().message()).c_str());
    return 1;
  }
  // Frames carry canonical sx, which is one line (newlines in strings are
  // escaped); anything else is printed as its canonical form, or refused.
  std::string out;
  for (const std::string& f : *frames) {
    Result<Document> doc = ReadOne(f);
    Result<std::string> canon = doc.ok() ? Canonical(doc->roots()[0]) : Result<std::string>(doc.error());
    if (!canon.ok()) {
      std::fprintf(stderr, "sexp get: the server sent a frame that is not sx: %s\n",
                   canon.error().ToString().c_str());
      return 1;
    }
    out += *canon;
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace sexp::cli
