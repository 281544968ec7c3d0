// sexp/host/site.h — an sx site as a host serves it: the `defcomp`,
// `defroute`, `defpage` and `defservice` files of a folder, and its
// `static/` files, answering HTTP requests (spec/host.md).
//
//   auto site = sexp::host::Site::Load({.dir = "examples/host"});   // errors: file:line:col
//   auto worker = sexp::host::SiteWorker::Make(*site);              // one per thread
//   sexp::host::HttpResponse r = (*worker)->Handle(request);        // routes, static, 404
//
// A Site is immutable once loaded: the files' text, the route table, the
// services and the static files (read into memory, each with its content
// address). Reloading makes a new Site; workers made from the old one keep
// answering with it until they are replaced (sexp/host/server.h does that
// on SIGHUP, between requests). A SiteWorker holds one Environment with the
// site evaluated in it: it belongs to one thread at a time and keeps the
// Site alive.
#ifndef SEXP_HOST_SITE_H_
#define SEXP_HOST_SITE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "sexp/cache/cache.h"
#include "sexp/core/address.h"
#include "sexp/eval/eval.h"
#include "sexp/host/http1.h"
#include "sexp/web/router.h"

namespace sexp::host {

struct SiteOptions {
  std::string dir;  // SITE_DIR: *.sx anywhere below it except static/
  // Each request's resolution: every round, the rendering, the waits for
  // backends. The timeout is the page's whole deadline.
  EvalLimits limits = DefaultPageLimits();
  std::string version;  // goes into HTML ETags (sexp/web/negotiate.h); "" none
  size_t max_static_bytes = size_t{256} << 20;  // static/ read into memory, in all
  size_t max_env_bytes = size_t{64} << 20;      // a worker's Environment is rebuilt past it
  // Advertised on HTML answers when the host also serves QUIC: a Link to
  // the sexpr:// form of the page and Alt-Svc for h3 ("" / 0: none).
  std::string sexpr_authority;  // "host:port"
  uint16_t h3_port = 0;
  // `(cached "~component" arg…)` (sexp/web/resolver.h) keeps rendered
  // subtrees in memory, up to this many bytes, and with `data_dir` also on
  // disk under DATA_DIR/cache/<the site's code address>/, so a restart
  // finds them and an edit of the site's files (a new address) never
  // serves HTML rendered by the old code. Older folders there may be
  // deleted at any time.
  size_t cache_memory_bytes = size_t{64} << 20;
  std::string data_dir;  // "": memory only

  static EvalLimits DefaultPageLimits();
};

// A backend declared with (defservice name :url … :batch … :timeout-ms …).
struct ServiceSpec {
  std::string name;
  std::string url;  // http://host:port/path
  bool batch = true;
  int64_t timeout_ms = 5000;
};

struct StaticFile {
  std::string body;
  std::string content_type;
  std::string etag;  // "\"sha3-…\"": the content address of the bytes
};

class Site {
 public:
  // Reads and checks everything: each file evaluated once (an error is
  // InvalidArgument "file:line:col: code: message"), route patterns added
  // to a router (a conflict names both patterns), services parsed, static
  // files read.
  static absl::StatusOr<std::shared_ptr<const Site>> Load(const SiteOptions& options);

  const SiteOptions& options() const { return options_; }
  // The .sx files, relative to dir, in load order (sorted by path).
  const std::vector<std::string>& files() const { return files_; }
  size_t route_count() const { return routes_.size(); }
  const std::vector<ServiceSpec>& services() const { return services_; }
  const StaticFile* FindStatic(std::string_view path) const;  // "/static/app.css"
  // The newest modification time of the site's files and folders (what a
  // reload compares).
  int64_t stamp() const { return stamp_; }
  // SHA3-256 of the site's files (paths and text): what the disk cache's
  // folder is named after.
  const Digest& code_address() const { return code_address_; }
  // The subtree cache behind `cached` (thread-safe; shared by the workers).
  TieredCache& cache() const { return *cache_; }

  struct Route {
    std::string pattern;
    std::vector<RouteParam> params;  // the handler's, by name, in order
    std::vector<bool> from_path;     // per param: in the pattern (else the query)
  };
  const Route& route(size_t i) const { return routes_[i]; }
  const Router& router() const { return router_; }

 private:
  Site() = default;
  friend class SiteWorker;
  SiteOptions options_;
  std::vector<std::string> files_;
  std::vector<std::string> texts_;  // the files' text, as loaded
  std::vector<Route> routes_;
  Router router_;
  std::vector<ServiceSpec> services_;
  absl::flat_hash_map<std::string, StaticFile> static_;
  int64_t stamp_ = 0;
  Digest code_address_;
  std::unique_ptr<TieredCache> cache_;
};

// The newest modification time under `dir` (files and folders), for
// reloading when something changed.
int64_t SiteStamp(const std::string& dir);

class SiteWorker {
 public:
  static absl::StatusOr<std::unique_ptr<SiteWorker>> Make(std::shared_ptr<const Site> site);
  ~SiteWorker();

  // The answer to one request: a static file, a route's page negotiated
  // (HTML or canonical sx, ETag, 304, (not-modified …)), 404, 405 for
  // methods other than GET and HEAD, 500 for a page that fails (the
  // client sees the error's code; the message goes to `log`).
  HttpResponse Handle(const HttpRequest& request);

  const Site& site() const { return *site_; }
  // A static file's answer (what Handle gives for it), or nullopt when
  // `request` names none: cheap, for the host's event loop.
  static std::optional<HttpResponse> HandleStatic(const Site& site, const HttpRequest& request);
  // The last failed page's full error, for the host's log ("" when none).
  const std::string& last_error() const { return last_error_; }

 private:
  explicit SiteWorker(std::shared_ptr<const Site> site);
  absl::Status Build();
  HttpResponse Page(const HttpRequest& request, size_t route, const RouteMatch& match);
  std::shared_ptr<const Site> site_;
  std::unique_ptr<Environment> env_;
  std::vector<Value> handlers_;
  std::string last_error_;
};

}  // namespace sexp::host

#endif  // SEXP_HOST_SITE_H_
