// A site loaded from its folder, and the worker that answers its requests:
// routes resolved in rounds against the `defservice` backends, negotiated
// as sexp.quart.respond negotiates (sexp/web/negotiate.h), static files from
// memory.
#include "sexp/host/site.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/file.h"
#include "core/strutil.h"
#include "host/backend.h"
#include "sexp/core/address.h"
#include "sexp/core/reader.h"
#include "sexp/core/sink.h"
#include "sexp/core/writer.h"
#include "sexp/html/reader.h"
#include "sexp/html/render.h"
#include "sexp/web/negotiate.h"
#include "sexp/web/request.h"
#include "sexp/web/resolver.h"

namespace sexp::host {

using internal::AV;
namespace fs = std::filesystem;

EvalLimits SiteOptions::DefaultPageLimits() {
  EvalLimits limits;
  limits.max_steps = 10'000'000;
  limits.max_bytes = size_t{64} << 20;
  limits.timeout = std::chrono::milliseconds(10000);
  return limits;
}

namespace {

constexpr uint32_t kSiteGroups = kGroupPure | kGroupIo;
// The I/O primitives a page reaches backends through (sexp/web/router.h).
constexpr std::string_view kIoForms[] = {"query", "frag", "action"};

int64_t MtimeNs(const fs::path& p) {
  struct stat st;
  if (lstat(p.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// The .sx files below `dir` (not under static/ or hidden folders), sorted.
absl::StatusOr<std::vector<std::string>> SxFiles(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat(dir.string(), ": not a folder"));
  }
  std::vector<std::string> files;
  fs::recursive_directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path rel = fs::relative(it->path(), dir, ec);
    std::string first = rel.begin() == rel.end() ? "" : rel.begin()->string();
    if (it->is_directory(ec) && (rel == "static" || absl::StartsWith(first, "."))) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec) && it->path().extension() == ".sx") files.push_back(rel.string());
  }
  if (ec) return absl::UnavailableError(absl::StrCat(dir.string(), ": ", ec.message()));
  std::sort(files.begin(), files.end());
  return files;
}

std::string_view ContentTypeOf(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},   {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},           {".sx", "application/x-sexpr"},
      {".txt", "text/plain; charset=utf-8"},   {".svg", "image/svg+xml"},
      {".png", "image/png"},                   {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},                 {".gif", "image/gif"},
      {".webp", "image/webp"},                 {".avif", "image/avif"},
      {".ico", "image/vnd.microsoft.icon"},    {".woff", "font/woff"},
      {".woff2", "font/woff2"},                {".wasm", "application/wasm"},
      {".xml", "application/xml"},             {".pdf", "application/pdf"},
  };
  size_t dot = path.rfind('.');
  if (dot != std::string_view::npos && path.find('/', dot) == std::string_view::npos) {
    std::string ext = absl::AsciiStrToLower(AV(path.substr(dot)));
    for (const auto& [e, type] : kTypes) {
      if (ext == e) return type;
    }
  }
  return "application/octet-stream";
}

// A route form's pattern and handler parameter names, as the Python
// Dispatcher reads them: (defroute "/p/:x/" (x q) …) or
// (defpage name :path "/p/:x/" :content …).
struct RouteForm {
  std::string pattern;
  std::vector<std::string> names;
};

std::optional<RouteForm> RouteFormOf(const Node& form) {
  if (!form.is_list() || form.size() < 3 || !form[0].is_symbol()) return std::nullopt;
  RouteForm r;
  if (form[0].is_symbol("defroute") && form[1].is_string() && form[2].is_list()) {
    r.pattern = std::string(form[1].str());
    for (const Node& p : form[2].items()) {
      if (p.is_symbol()) r.names.emplace_back(p.name());
    }
    return r;
  }
  if (form[0].is_symbol("defpage")) {
    for (size_t i = 2; i + 1 < form.size(); i += 2) {
      if (form[i].is_keyword() && form[i].name() == "path" && form[i + 1].is_string()) {
        r.pattern = std::string(form[i + 1].str());
        absl::StatusOr<std::vector<RouteParam>> params = RouteParams(r.pattern);
        if (params.ok()) {
          for (const RouteParam& p : *params) r.names.push_back(p.name);
        }
        return r;
      }
    }
  }
  return std::nullopt;
}

absl::Status LoadInto(Environment& env, const Site& site, const std::vector<std::string>& texts,
                      const std::vector<std::string>& files) {
  DefineRequestForms(env);
  for (std::string_view io : kIoForms) DefineService(env, io);
  DefineSubtreeCache(env, &site.cache());
  for (size_t i = 0; i < files.size(); ++i) {
    EvalResult r = env.Eval(texts[i], (fs::path(site.options().dir) / files[i]).string());
    if (!r.ok()) return absl::InvalidArgumentError(r.error().ToString());
  }
  return absl::OkStatus();
}

}  // namespace

int64_t SiteStamp(const std::string& dir) {
  int64_t newest = MtimeNs(dir);
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) newest = std::max(newest, MtimeNs(it->path()));
  return newest;
}

absl::StatusOr<std::shared_ptr<const Site>> Site::Load(const SiteOptions& options) {
  std::shared_ptr<Site> site(new Site());
  site->options_ = options;
  site->stamp_ = SiteStamp(options.dir);
  const fs::path dir(options.dir);
  absl::StatusOr<std::vector<std::string>> files = SxFiles(dir);
  if (!files.ok()) return files.status();
  site->files_ = *std::move(files);

  // Routes as the files declare them, each pattern checked by the router.
  std::vector<std::string> origin;  // per route: file:line:col of its form
  for (const std::string& file : site->files_) {
    const std::string path = (dir / file).string();
    absl::StatusOr<std::string> text = internal::ReadWholeFile(path);
    if (!text.ok()) return text.status();
    Result<Document> doc = Read(*text);
    if (!doc.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ":", doc.error().ToString()));
    for (const Node& form : doc->roots()) {
      std::optional<RouteForm> rf = RouteFormOf(form);
      if (!rf) continue;
      Position at = doc->position(form);
      const std::string where = absl::StrCat(path, ":", at.line, ":", at.column);
      absl::Status added = site->router_.Add(rf->pattern, site->routes_.size());
      if (!added.ok()) {
        // Name where the pattern it conflicts with was declared.
        std::string other;
        for (size_t j = 0; j < site->routes_.size(); ++j) {
          Router pair;
          if (pair.Add(site->routes_[j].pattern, 0).ok() && !pair.Add(rf->pattern, 1).ok()) {
            other = absl::StrCat(" (declared at ", origin[j], ")");
          }
        }
        return absl::InvalidArgumentError(absl::StrCat(where, ": ", added.message(), other));
      }
      absl::StatusOr<std::vector<RouteParam>> pattern = RouteParams(rf->pattern);
      Route route;
      route.pattern = rf->pattern;
      for (const std::string& name : rf->names) {
        RouteParam p{name, false};
        bool in_path = false;
        for (const RouteParam& q : *pattern) {
          if (q.name == name) {
            p.is_int = q.is_int;
            in_path = true;
          }
        }
        route.params.push_back(p);
        route.from_path.push_back(in_path);
      }
      site->routes_.push_back(std::move(route));
      origin.push_back(where);
    }
    site->texts_.push_back(*std::move(text));
  }

  // The code address names the disk cache's folder: subtrees rendered by
  // other code are never read back (the key covers a call, not the code).
  Sha3Sink code;
  for (size_t i = 0; i < site->files_.size(); ++i) {
    code.Write(absl::StrCat(site->files_[i].size(), ":", site->files_[i],
                            site->texts_[i].size(), ":"));
    code.Write(site->texts_[i]);
  }
  site->code_address_ = code.Finish();
  std::vector<std::unique_ptr<CacheTier>> tiers;
  tiers.push_back(std::make_unique<MemoryTier>(options.cache_memory_bytes));
  if (!options.data_dir.empty()) {
    tiers.push_back(std::make_unique<DiskTier>(
        (fs::path(options.data_dir) / "cache" / site->code_address_.hex()).string()));
  }
  site->cache_ = std::make_unique<TieredCache>(std::move(tiers));

  // Evaluate once, as a worker will: load errors come out here.
  Environment env(kSiteGroups);
  if (absl::Status s = LoadInto(env, *site, site->texts_, site->files_); !s.ok()) return s;
  const Value* routes = env.Lookup("*routes*");
  size_t evaluated = routes != nullptr && routes->is_list() ? routes->size() : 0;
  if (evaluated != site->routes_.size()) {
    return absl::InvalidArgumentError(
        "defroute and defpage forms must be at the top level of the site's files");
  }
  if (const Value* services = env.Lookup("*services*"); services != nullptr && services->is_list()) {
    for (const Value& s : services->items()) {
      ServiceSpec spec;
      spec.name = std::string(s[0].str());
      const Value& opts = s[1];
      for (size_t i = 0; i + 1 < opts.size(); i += 2) {
        std::string_view key = opts[i].name();
        if (key == "url") spec.url = std::string(opts[i + 1].str());
        if (key == "batch") spec.batch = opts[i + 1].truthy();
        if (key == "timeout-ms") spec.timeout_ms = opts[i + 1].as_int();
      }
      site->services_.push_back(std::move(spec));
    }
  }

  // static/: regular files only (a symlink is not followed out of the
  // folder), in memory under "/static/<relative path>".
  const fs::path static_dir = dir / "static";
  std::error_code ec;
  size_t total = 0;
  if (fs::is_directory(static_dir, ec)) {
    fs::recursive_directory_iterator it(static_dir, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
      internal::ReadFileLimits limits;
      limits.regular_only = true;
      limits.max_bytes = options.max_static_bytes - total;
      absl::StatusOr<std::string> body = internal::ReadWholeFile(it->path().string(), limits);
      if (!body.ok()) {
        if (absl::IsOutOfRange(body.status())) {
          return absl::ResourceExhaustedError(absl::StrCat(
              static_dir.string(), ": over ", options.max_static_bytes, " bytes of static files"));
        }
        return body.status();
      }
      total += body->size();
      StaticFile file;
      file.etag = absl::StrCat("\"", Sha3_256(*body).hex_address(), "\"");
      std::string key = "/static/" + fs::relative(it->path(), static_dir, ec).generic_string();
      file.content_type = std::string(ContentTypeOf(key));
      file.body = *std::move(body);
      site->static_.emplace(std::move(key), std::move(file));
    }
    if (ec) return absl::UnavailableError(absl::StrCat(static_dir.string(), ": ", ec.message()));
  }
  return std::shared_ptr<const Site>(std::move(site));
}

const StaticFile* Site::FindStatic(std::string_view path) const {
  auto it = static_.find(AV(path));
  return it == static_.end() ? nullptr : &it->second;
}

// --- the worker ------------------------------------------------------------

namespace {

// `(query blog post-by-slug :slug "a")`'s wire form: `(query post-by-slug
// :slug "a")` (spec/host.md "Services"); "" when the budget ran out.
std::string WireItem(std::string_view kind, const Value& args, Budget& budget) {
  std::string item = absl::StrCat("(", AV(kind));
  auto append = [&](const Value& v) {
    std::string text = ToText(v, budget);
    absl::StrAppend(&item, " ", text);
  };
  for (size_t i = 1; i < args.size(); ++i) {
    const Value& a = args[i];
    if (i == 1 && a.is_string() && IsValidSymbolName(a.str())) {
      absl::StrAppend(&item, " ", AV(a.str()));
    } else if (i == 2 && a.is_dict()) {
      for (const Value& part : a.items()) append(part);
    } else {
      append(a);
    }
  }
  item += ")";
  return budget.exhausted() ? std::string() : item;
}

// One answer item: (ok value) or (error "message").
void SupplyItem(Resolution& r, size_t id, const Node& item, std::string_view service) {
  if (item.is_list() && item.size() == 2 && item[0].is_symbol("ok")) {
    Result<std::string> text = Canonical(item[1]);
    if (text.ok()) {
      r.SupplyText(id, *text);
      return;
    }
  } else if (item.is_list() && item.size() == 2 && item[0].is_symbol("error") &&
             item[1].is_string()) {
    r.Fail(id, absl::StrCat(AV(service), ": ", AV(item[1].str())));
    return;
  }
  r.Fail(id, absl::StrCat(AV(service), ": an answer item is not (ok value) or (error \"…\")"));
}

// Carries one round's batch of an I/O form to the backends its requests
// name (their first argument), one POST per backend for a batching service.
void RunBatch(const Site& site, const IoBatch& batch, Resolution& r) {
  struct Group {
    const ServiceSpec* spec;
    std::vector<size_t> ids;
    std::vector<std::string> items;
  };
  std::vector<Group> groups;
  for (const IoRequest& q : batch.requests) {
    if (q.args.size() < 2 || !q.args[0].is_string()) {
      r.Fail(q.id, absl::StrCat("(", batch.service, " service name …): name a defservice"));
      continue;
    }
    std::string_view name = q.args[0].str();
    const ServiceSpec* spec = nullptr;
    for (const ServiceSpec& s : site.services()) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) {
      r.Fail(q.id, absl::StrCat("no service ", AV(name), " (declare it with defservice)"));
      continue;
    }
    std::string item = WireItem(batch.service, q.args, r.budget());
    if (item.empty()) {
      r.Fail(q.id, "the request is over the page's limits");
      continue;
    }
    auto g = std::find_if(groups.begin(), groups.end(), [&](const Group& x) { return x.spec == spec; });
    if (g == groups.end()) g = groups.insert(groups.end(), Group{spec, {}, {}});
    g->ids.push_back(q.id);
    g->items.push_back(std::move(item));
  }
  for (const Group& g : groups) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(g.spec->timeout_ms);
    if (r.budget().has_deadline()) deadline = std::min(deadline, r.budget().deadline());
    auto call = [&](std::string_view body) -> absl::StatusOr<Document> {
      absl::StatusOr<std::string> answer = host_internal::PostSx(g.spec->url, body, deadline);
      if (!answer.ok()) return answer.status();
      Result<Document> doc = ReadOne(*answer);
      if (!doc.ok()) {
        return absl::FailedPreconditionError(absl::StrCat("the answer is not sx: ",
                                                          doc.error().ToString()));
      }
      return std::move(doc).value();
    };
    auto fail_all = [&](const absl::Status& s) {
      for (size_t id : g.ids) r.Fail(id, absl::StrCat(g.spec->name, ": ", s.message()));
    };
    if (g.spec->batch) {
      std::string body = "(batch";
      for (const std::string& item : g.items) absl::StrAppend(&body, " ", item);
      body += ")";
      absl::StatusOr<Document> doc = call(body);
      if (!doc.ok()) {
        fail_all(doc.status());
        continue;
      }
      const Node& root = doc->roots()[0];
      if (!root.is_list() || root.size() != g.ids.size() + 1 || !root[0].is_symbol("results")) {
        fail_all(absl::FailedPreconditionError(absl::StrCat(
            "the answer is not (results …) with ", g.ids.size(), " items")));
        continue;
      }
      for (size_t i = 0; i < g.ids.size(); ++i) SupplyItem(r, g.ids[i], root[i + 1], g.spec->name);
    } else {
      for (size_t i = 0; i < g.ids.size(); ++i) {
        absl::StatusOr<Document> doc = call(g.items[i]);
        if (!doc.ok()) {
          r.Fail(g.ids[i], absl::StrCat(g.spec->name, ": ", doc.status().message()));
          continue;
        }
        SupplyItem(r, g.ids[i], doc->roots()[0], g.spec->name);
      }
    }
  }
}

struct Negotiated {
  int status;
  std::string html;
  bool htmx_read = false;
};

// sexp.quart.respond's decisions (spec/host.md §1–§4) for a page whose HTML
// is `page.html`.
HttpResponse Respond(const Site& site, const HttpRequest& request, const Negotiated& page) {
  const SiteOptions& o = site.options();
  HttpResponse out;
  out.status = page.status;
  const bool sx = WantsSx(request.Header("Accept"));
  const bool ok = page.status >= 200 && page.status < 300;
  const bool conditional = ok && (request.method == "GET" || request.method == "HEAD");
  std::string vary(kNegotiatedVary);
  if (page.htmx_read) vary += ", HX-Request";
  std::string tag;
  Digest address;
  std::optional<Document> tree;
  if (sx) {
    Result<Document> doc = HtmlToSx(page.html);
    Result<Digest> hashed = doc.ok() ? HashNode(doc->roots()[0]) : Result<Digest>(doc.error());
    if (!hashed.ok()) {
      out.status = 500;
      out.headers.push_back({"Content-Type", std::string(kSxMediaType)});
      out.body = "(error :code \"render\")";
      return out;
    }
    address = *hashed;
    tag = SxEtag(address);
    tree = std::move(doc).value();
  } else {
    tag = HtmlEtag(page.html, o.version);
  }
  out.headers.push_back({"Vary", vary});
  out.headers.push_back({"ETag", tag});
  if (conditional && IfNoneMatchMatches(request.Header("If-None-Match"), tag)) {
    out.status = 304;
    return out;
  }
  if (sx) {
    out.headers.push_back({"Content-Type", std::string(kSxMediaType)});
    if (conditional && HaveNames(request.Header(kHaveHeader), address)) {
      out.body = absl::StrCat("(not-modified :hash \"", address.hex_address(), "\")");
    } else {
      Result<std::string> canonical = Canonical(tree->roots()[0]);
      out.body = absl::StrCat("(", AV(SxAnswerHead(page.status)), " :hash \"",
                              address.hex_address(), "\" ", canonical.ok() ? *canonical : "nil", ")");
    }
  } else {
    out.headers.push_back({"Content-Type", std::string(kHtmlMediaType)});
    if (!o.sexpr_authority.empty()) {
      std::string path = request.target.substr(0, request.target.find('?'));
      out.headers.push_back({"Link", absl::StrCat("<sexpr://", o.sexpr_authority, path,
                                                  ">; rel=\"alternate\"; type=\"", AV(kSxMediaType),
                                                  "\"")});
    }
    if (o.h3_port != 0) {
      out.headers.push_back({"Alt-Svc", absl::StrCat("h3=\":", o.h3_port, "\"; ma=86400")});
    }
    out.body = page.html;
  }
  return out;
}

// HTML for a tree of data (nothing in it is called).
std::string RenderTree(std::string_view sx) {
  Environment env;
  EvalResult tree = env.Eval(absl::StrCat("(quote ", AV(sx), ")"));
  std::string html;
  StringSink sink(&html);
  if (tree.ok()) RenderData(tree.value(), sink);
  return html;
}

const std::string& NotFoundHtml() {
  static const std::string html = RenderTree("(h1 \"Not found\")");
  return html;
}

}  // namespace

SiteWorker::SiteWorker(std::shared_ptr<const Site> site) : site_(std::move(site)) {}
SiteWorker::~SiteWorker() = default;

absl::StatusOr<std::unique_ptr<SiteWorker>> SiteWorker::Make(std::shared_ptr<const Site> site) {
  std::unique_ptr<SiteWorker> w(new SiteWorker(std::move(site)));
  if (absl::Status s = w->Build(); !s.ok()) return s;
  return w;
}

absl::Status SiteWorker::Build() {
  handlers_.clear();
  env_ = std::make_unique<Environment>(kSiteGroups);
  if (absl::Status s = LoadInto(*env_, *site_, site_->texts_, site_->files_); !s.ok()) return s;
  const Value* routes = env_->Lookup("*routes*");
  if (routes == nullptr || !routes->is_list() || routes->size() != site_->route_count()) {
    return absl::InternalError("the site's routes changed while loading");
  }
  for (const Value& pair : routes->items()) handlers_.push_back(pair[1]);
  return absl::OkStatus();
}

std::optional<HttpResponse> SiteWorker::HandleStatic(const Site& site,
                                                     const HttpRequest& request) {
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  if (!absl::StartsWith(AV(path), "/static/") ||
      (request.method != "GET" && request.method != "HEAD")) {
    return std::nullopt;
  }
  std::string decoded;
  // Only exact names of files read at load: "..", "." and empty segments
  // never name one (the map has none), so traversal finds nothing.
  if (!PercentDecode(path, &decoded) || decoded.find("/..") != std::string::npos ||
      decoded.find("//") != std::string::npos || decoded.find("/./") != std::string::npos) {
    return std::nullopt;
  }
  const StaticFile* file = site.FindStatic(decoded);
  if (file == nullptr) return std::nullopt;
  HttpResponse r;
  r.headers.push_back({"ETag", file->etag});
  r.headers.push_back({"Cache-Control", "no-cache"});
  if (IfNoneMatchMatches(request.Header("If-None-Match"), file->etag)) {
    r.status = 304;
    return r;
  }
  r.headers.push_back({"Content-Type", file->content_type});
  r.body = file->body;
  return r;
}

HttpResponse SiteWorker::Handle(const HttpRequest& request) {
  const bool head = request.method == "HEAD";
  if (request.method != "GET" && !head) {
    HttpResponse r;
    r.status = 405;
    r.headers.push_back({"Allow", "GET, HEAD"});
    r.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
    r.body = "method not allowed\n";
    return r;
  }
  if (std::optional<HttpResponse> file = HandleStatic(*site_, request)) return *std::move(file);
  std::optional<RouteMatch> match = site_->router().Match(request.target);
  if (!match) return Respond(*site_, request, {404, NotFoundHtml()});
  return Page(request, match->route, *match);
}

HttpResponse SiteWorker::Page(const HttpRequest& request, size_t route, const RouteMatch& match) {
  if (env_->bytes_used() > site_->options().max_env_bytes) {
    if (absl::Status s = Build(); !s.ok()) {
      last_error_ = std::string(s.message());
      return Respond(*site_, request, {500, RenderTree("(h1 \"Error\")")});
    }
  }
  const Site::Route& r = site_->route(route);
  // The handler's arguments as values, never as text (a parameter is a
  // value whatever it holds); their bytes live in `texts` for the request.
  std::vector<std::string> texts;
  texts.reserve(r.params.size());
  std::vector<Value> args;
  for (size_t i = 0; i < r.params.size(); ++i) {
    const std::string& name = r.params[i].name;
    const auto& from = r.from_path[i] ? match.params : match.query;
    auto found = std::find_if(from.begin(), from.end(), [&](const auto& kv) { return kv.first == name; });
    if (found == from.end()) {
      args.push_back(Value());
    } else if (r.from_path[i] && r.params[i].is_int) {
      int64_t n = 0;
      (void)absl::SimpleAtoi(AV(found->second), &n);  // the router checked it
      args.push_back(Value::Int(n));
    } else {
      texts.push_back(found->second);
      args.push_back(Value::StringView(texts.back()));
    }
  }
  RequestContext context;
  context.htmx = IsHtmxRequest(request.Header("HX-Request"));
  Arena values;
  Negotiated page{200, {}};
  {
    RequestScope scope(context);
    Resolution resolution(*env_, handlers_[route], args, site_->options().limits,
                          Resolution::kDefaultMaxRounds, &values);
    while (!resolution.Step()) {
      for (const IoBatch& batch : resolution.batches()) RunBatch(*site_, batch, resolution);
    }
    const EvalResult& result = resolution.result();
    if (result.ok()) {
      StringSink sink(&page.html);
      EvalResult rendered = RenderData(result.value(), sink, RenderOptions(), site_->options().limits);
      if (!rendered.ok()) {
        last_error_ = rendered.error().ToString();
        page = {500, RenderTree(absl::StrCat("(<> (h1 \"Error\") (p :class \"error-code\" \"",
                                             AV(EvalErrorCodeName(rendered.error().code)), "\"))"))};
      }
    } else {
      last_error_ = result.error().ToString();
      page = {500, RenderTree(absl::StrCat("(<> (h1 \"Error\") (p :class \"error-code\" \"",
                                           AV(EvalErrorCodeName(result.error().code)), "\"))"))};
    }
  }
  page.htmx_read = context.htmx_read;
  return Respond(*site_, request, page);
}

}  // namespace sexp::host
