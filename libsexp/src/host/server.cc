// The HTTP/1.1 host: an epoll loop (level-triggered) that reads requests
// with Http1Reader, answers static files itself, hands pages to a pool of
// worker threads in order per connection (a connection has at most one
// request at a worker, so answers leave in request order), and writes.
#include "sexp/host/server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/strutil.h"
#include "net/endpoint.h"

namespace sexp::host {

using internal::AV;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::chrono::milliseconds kLinger{2000};

struct Job {
  uint64_t connection;  // 0: a submitted request, answered through `done`
  HttpRequest request;
  std::function<void(HttpResponse)> done;
};

struct Done {
  uint64_t connection;
  HttpResponse response;
  bool head;
  bool keep_alive;
};

struct Connection {
  int fd = -1;
  uint64_t id = 0;
  std::unique_ptr<Http1Reader> reader;
  std::deque<HttpRequest> waiting;  // read, not yet handed out
  bool at_worker = false;           // one request at a worker at a time
  std::string out;                  // answers not yet written
  size_t out_at = 0;
  bool close_after_write = false;   // an error, Connection: close, or shutdown
  bool eof = false;                 // the peer sent all it will send
  // Answered for good and half-closed: what the peer still sends is read
  // and dropped until it closes or linger_until, so that closing with its
  // unread bytes does not reset the connection before it reads the answer.
  bool lingering = false;
  Clock::time_point linger_until;
  std::optional<Http1Error> error;  // answered once the requests before it are
  bool reading = true;              // EPOLLIN wanted
  bool writing = false;             // EPOLLOUT registered
  Clock::time_point last_activity;  // bytes read or written
  // Since when no request is being answered: the idle timeout runs from
  // here, whatever bytes arrive that make no request (empty lines).
  Clock::time_point idle_since;
  Clock::time_point request_began;  // the first byte of the request being read
  bool in_request = false;
};

}  // namespace

struct HttpHost::Core {
  HostOptions options;
  int listen_fd = -1;
  int epoll_fd = -1;
  int wake_fd = -1;  // eventfd: workers' answers, shutdown
  uint16_t port = 0;

  mutable std::mutex site_mu;
  std::shared_ptr<const Site> site;
  std::atomic<uint64_t> site_generation{0};

  std::mutex jobs_mu;
  std::condition_variable jobs_cv;
  std::deque<Job> jobs;
  bool stopping_workers = false;

  std::mutex done_mu;
  std::vector<Done> done;

  std::vector<std::thread> workers;
  std::thread loop;

  // Loop thread only.
  absl::flat_hash_map<uint64_t, std::unique_ptr<Connection>> connections;
  // The site static files are answered from, taken again only when a
  // reload changed the generation (no lock per request).
  std::shared_ptr<const Site> loop_site;
  uint64_t loop_generation = 0;
  const Site& LoopSite() {
    if (site_generation.load() != loop_generation || loop_site == nullptr) {
      std::lock_guard<std::mutex> lock(site_mu);
      loop_site = site;
      loop_generation = site_generation.load();
    }
    return *loop_site;
  }
  uint64_t next_id = 1;

  std::atomic<bool> draining{false};
  std::atomic<bool> stop_now{false};
  std::mutex finished_mu;
  std::condition_variable finished_cv;
  bool finished = false;

  mutable std::mutex stats_mu;
  HostStats stats;

  void Wake() {
    uint64_t one = 1;
    (void)!write(wake_fd, &one, sizeof(one));
  }
  void Log(const std::string& line) {
    if (options.log) {
      options.log(line);
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
  }
  template <class F>
  void Count(F&& f) {
    std::lock_guard<std::mutex> lock(stats_mu);
    f(stats);
  }

  void WorkerMain();
  void LoopMain();
  void Accept();
  void Read(Connection& c);
  void Write(Connection& c);
  void Dispatch(Connection& c);
  void Answer(Connection& c, const HttpResponse& r, bool head, bool keep_alive);
  void Refuse(Connection& c, int status, std::string_view message);
  void Update(Connection& c);
  void Close(uint64_t id);
  void Sweep();
};

void HttpHost::Core::WorkerMain() {
  std::unique_ptr<SiteWorker> worker;
  uint64_t generation = ~uint64_t{0};
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(jobs_mu);
      jobs_cv.wait(lock, [&] { return stopping_workers || !jobs.empty(); });
      if (jobs.empty()) return;
      job = std::move(jobs.front());
      jobs.pop_front();
    }
    if (generation != site_generation.load() || worker == nullptr) {
      std::shared_ptr<const Site> current;
      {
        std::lock_guard<std::mutex> lock(site_mu);
        current = site;
        generation = site_generation.load();
      }
      absl::StatusOr<std::unique_ptr<SiteWorker>> made = SiteWorker::Make(current);
      if (made.ok()) {
        worker = *std::move(made);
      } else {
        Log(absl::StrCat("host: the site does not load: ", made.status().message()));
        worker.reset();
      }
    }
    Done d{job.connection, {}, job.request.method == "HEAD", job.request.keep_alive};
    if (worker == nullptr) {
      d.response.status = 503;
      d.response.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
      d.response.body = "the site is not loaded\n";
    } else {
      d.response = worker->Handle(job.request);
      if (d.response.status >= 500 && !worker->last_error().empty()) {
        Log(absl::StrCat(job.request.method, " ", job.request.target, ": ", worker->last_error()));
      }
    }
    if (job.done) {
      job.done(std::move(d.response));
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(done_mu);
      done.push_back(std::move(d));
    }
    Wake();
  }
}

void HttpHost::Core::Update(Connection& c) {
  bool want_read = c.lingering ||
                   (!c.close_after_write && !c.eof && !c.error &&
                    c.waiting.size() < options.max_pipelined &&
                    c.out.size() - c.out_at < options.max_output_bytes);
  bool want_write = !c.lingering && c.out_at < c.out.size();
  if (want_read == c.reading && want_write == c.writing) return;
  c.reading = want_read;
  c.writing = want_write;
  epoll_event ev{};
  // EPOLLRDHUP only while reading: level-triggered, a half-closed peer would
  // otherwise wake the loop on every turn while its page is evaluated.
  ev.events = (want_read ? uint32_t{EPOLLIN | EPOLLRDHUP} : 0u) | (want_write ? uint32_t{EPOLLOUT} : 0u);
  ev.data.u64 = c.id;
  epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
}

void HttpHost::Core::Close(uint64_t id) {
  auto it = connections.find(id);
  if (it == connections.end()) return;
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, it->second->fd, nullptr);
  close(it->second->fd);
  connections.erase(it);
  Count([&](HostStats& s) { s.connections = connections.size(); });
}

void HttpHost::Core::Answer(Connection& c, const HttpResponse& r, bool head, bool keep_alive) {
  keep_alive = keep_alive && !draining.load();
  WriteResponse(r, head, keep_alive, &c.out);
  if (!keep_alive) c.close_after_write = true;
  Count([](HostStats& s) { ++s.requests; });
}

void HttpHost::Core::Refuse(Connection& c, int status, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  r.body = absl::StrCat(AV(message), "\n");
  WriteResponse(r, false, false, &c.out);
  c.close_after_write = true;
  c.waiting.clear();
  Count([](HostStats& s) { ++s.bad_requests; });
}

void HttpHost::Core::Dispatch(Connection& c) {
  if (!c.at_worker && c.waiting.empty() && c.error && !c.close_after_write) {
    Refuse(c, c.error->status, c.error->message);
    return;
  }
  while (!c.at_worker && !c.waiting.empty()) {
    HttpRequest request = std::move(c.waiting.front());
    c.waiting.pop_front();
    if (std::optional<HttpResponse> file = SiteWorker::HandleStatic(LoopSite(), request)) {
      Answer(c, *file, request.method == "HEAD", request.keep_alive);
      if (c.close_after_write) c.waiting.clear();
      continue;
    }
    if (c.close_after_write) return;
    c.at_worker = true;
    {
      std::lock_guard<std::mutex> lock(jobs_mu);
      jobs.push_back(Job{c.id, std::move(request), nullptr});
    }
    jobs_cv.notify_one();
  }
}

void HttpHost::Core::Read(Connection& c) {
  char buf[65536];
  ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
  if (c.lingering) {
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) Close(c.id);
    return;
  }
  if (n < 0 && errno != EAGAIN && errno != EINTR) {
    Close(c.id);
    return;
  }
  if (n == 0) {
    // The peer sent all it will: the requests it sent are still answered
    // (a client may half-close after pipelining), then the connection closes.
    c.eof = true;
    if (!c.at_worker && c.waiting.empty() && c.out_at == c.out.size()) {
      Close(c.id);
      return;
    }
    Update(c);
    return;
  }
  if (n < 0) return;
  auto now = Clock::now();
  c.last_activity = now;
  if (!c.in_request) {
    c.in_request = true;
    c.request_began = now;
  }
  std::vector<HttpRequest> ready;
  std::optional<Http1Error> error = c.reader->Feed(std::string_view(buf, static_cast<size_t>(n)), &ready);
  for (HttpRequest& r : ready) {
    bool keep = r.keep_alive;
    c.waiting.push_back(std::move(r));
    if (!keep) {
      c.eof = true;  // nothing after a request that closes is read
      break;
    }
  }
  c.in_request = c.reader->in_message();
  if (c.in_request && !ready.empty()) c.request_began = now;
  if (!ready.empty()) c.idle_since = now;
  if (error && !c.eof) {
    // The requests before the bad bytes are answered first.
    c.error = *std::move(error);
    c.in_request = false;
  }
  Dispatch(c);
  if (c.out_at < c.out.size()) {
    Write(c);
  } else {
    Update(c);
  }
}

void HttpHost::Core::Write(Connection& c) {
  while (c.out_at < c.out.size()) {
    ssize_t n = send(c.fd, c.out.data() + c.out_at, c.out.size() - c.out_at, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_at += static_cast<size_t>(n);
      c.last_activity = Clock::now();
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    Close(c.id);
    return;
  }
  if (c.out_at == c.out.size()) {
    c.out.clear();
    c.out_at = 0;
    c.idle_since = Clock::now();
    if ((c.close_after_write || c.eof) && !c.at_worker && c.waiting.empty()) {
      shutdown(c.fd, SHUT_WR);
      if (c.eof) {
        Close(c.id);
        return;
      }
      c.lingering = true;
      c.linger_until = Clock::now() + kLinger;
    }
  }
  Update(c);
}

void HttpHost::Core::Accept() {
  for (;;) {
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a transient error: the loop comes back
    const bool refuse = connections.size() >= options.max_connections || draining.load();
    if (refuse) {
      Count([](HostStats& s) { ++s.connections_refused; });
      if (connections.size() >= options.max_connections + options.max_connections / 4 + 16) {
        close(fd);  // past the room kept for answering refusals: no answer at all
        continue;
      }
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->id = next_id++;
    c->reader = std::make_unique<Http1Reader>(options.http1);
    c->last_activity = Clock::now();
    c->idle_since = c->last_activity;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = c->id;
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
    Connection& added = *c;
    connections.emplace(c->id, std::move(c));
    if (refuse) {
      // 503, then a lingering close (see Connection::lingering).
      HttpResponse busy;
      busy.status = 503;
      busy.headers.push_back({"Retry-After", "1"});
      WriteResponse(busy, false, false, &added.out);
      added.close_after_write = true;
      Write(added);
      continue;
    }
    Count([&](HostStats& s) {
      ++s.connections_total;
      s.connections = connections.size();
    });
  }
}

// Timeouts: a request arriving too slowly (408), an idle keep-alive
// connection, a peer that does not read its answers.
void HttpHost::Core::Sweep() {
  auto now = Clock::now();
  std::vector<uint64_t> to_close, to_refuse;
  for (auto& [id, c] : connections) {
    if (c->lingering) {
      if (now > c->linger_until) to_close.push_back(id);
      continue;
    }
    if (c->at_worker) continue;
    bool unsent = c->out_at < c->out.size();
    if (unsent) {
      if (now - c->last_activity > options.write_timeout) to_close.push_back(id);
      continue;
    }
    if (c->in_request && !c->close_after_write &&
        now - c->request_began > options.request_timeout) {
      to_refuse.push_back(id);
      continue;
    }
    if (!c->in_request && c->waiting.empty() &&
        (draining.load() || c->close_after_write || now - c->idle_since > options.idle_timeout)) {
      to_close.push_back(id);
    }
  }
  for (uint64_t id : to_close) {
    Count([](HostStats& s) { ++s.timeouts; });
    Close(id);
  }
  for (uint64_t id : to_refuse) {  // Write may close the connection: not while iterating
    Connection& c = *connections.at(id);
    Refuse(c, 408, "the request did not arrive in time");
    Count([](HostStats& s) { ++s.timeouts; });
    Write(c);
  }
}

void HttpHost::Core::LoopMain() {
  epoll_event events[256];
  auto next_sweep = Clock::now();
  while (!stop_now.load()) {
    int n = epoll_wait(epoll_fd, events, 256, 100);
    for (int i = 0; i < n; ++i) {
      uint64_t key = events[i].data.u64;
      if (key == 0) {
        Accept();
        continue;
      }
      if (key == ~uint64_t{0}) {
        uint64_t count;
        (void)!read(wake_fd, &count, sizeof(count));
        std::vector<Done> finished_jobs;
        {
          std::lock_guard<std::mutex> lock(done_mu);
          finished_jobs.swap(done);
        }
        for (Done& d : finished_jobs) {
          auto it = connections.find(d.connection);
          if (it == connections.end()) continue;  // the peer left meanwhile
          Connection& c = *it->second;
          c.at_worker = false;
          Answer(c, d.response, d.head, d.keep_alive);
          if (c.close_after_write) c.waiting.clear();
          Dispatch(c);
          Write(c);
        }
        continue;
      }
      auto it = connections.find(key);
      if (it == connections.end()) continue;
      Connection& c = *it->second;
      if (events[i].events & (EPOLLHUP | EPOLLERR)) {
        // Both directions are shut (or reset): nothing can be written.
        Close(key);
        continue;
      }
      if (events[i].events & EPOLLOUT) {
        Write(c);
        if (!connections.contains(key)) continue;
      }
      if ((events[i].events & (EPOLLIN | EPOLLRDHUP)) && c.reading) Read(c);
    }
    if (draining.load() && listen_fd >= 0) {
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
      close(listen_fd);
      listen_fd = -1;
    }
    if (Clock::now() >= next_sweep) {
      Sweep();
      next_sweep = Clock::now() + std::chrono::milliseconds(100);
    }
    if (draining.load() && connections.empty()) break;
  }
  for (auto& [id, c] : connections) close(c->fd);
  connections.clear();
}

HttpHost::HttpHost(std::unique_ptr<Core> core) : core_(std::move(core)) {}

absl::StatusOr<std::unique_ptr<HttpHost>> HttpHost::Start(std::shared_ptr<const Site> site,
                                                         const HostOptions& options) {
  auto core = std::make_unique<Core>();
  core->options = options;
  core->site = std::move(site);
  absl::StatusOr<net_internal::Address> addr =
      net_internal::Resolve(options.address, options.port, /*numeric=*/true);
  if (!addr.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("not an IP address: ", options.address));
  }
  core->listen_fd = socket(addr->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(core->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(core->listen_fd, addr->get(), addr->len) != 0 || listen(core->listen_fd, 1024) != 0) {
    std::string why = strerror(errno);
    close(core->listen_fd);
    return absl::UnavailableError(absl::StrCat("listening on ", options.address, ":", options.port,
                                               ": ", why));
  }
  addr->len = sizeof(addr->addr);
  getsockname(core->listen_fd, addr->get(), &addr->len);
  core->port = net_internal::PortOf(*addr);
  core->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  core->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  epoll_ctl(core->epoll_fd, EPOLL_CTL_ADD, core->listen_fd, &ev);
  ev.data.u64 = ~uint64_t{0};
  epoll_ctl(core->epoll_fd, EPOLL_CTL_ADD, core->wake_fd, &ev);

  size_t workers = options.workers != 0 ? options.workers
                                        : std::max<size_t>(1, std::thread::hardware_concurrency());
  Core* c = core.get();
  for (size_t i = 0; i < workers; ++i) c->workers.emplace_back([c] { c->WorkerMain(); });
  c->loop = std::thread([c] {
    c->LoopMain();
    {
      std::lock_guard<std::mutex> lock(c->jobs_mu);
      c->stopping_workers = true;
    }
    c->jobs_cv.notify_all();
    std::lock_guard<std::mutex> lock(c->finished_mu);
    c->finished = true;
    c->finished_cv.notify_all();
  });
  return std::unique_ptr<HttpHost>(new HttpHost(std::move(core)));
}

HttpHost::~HttpHost() {
  Shutdown(std::chrono::milliseconds(0));
  if (core_->loop.joinable()) core_->loop.join();
  for (std::thread& t : core_->workers) t.join();
  if (core_->listen_fd >= 0) close(core_->listen_fd);
  close(core_->epoll_fd);
  close(core_->wake_fd);
}

uint16_t HttpHost::port() const { return core_->port; }

void HttpHost::Reload(std::shared_ptr<const Site> site) {
  {
    std::lock_guard<std::mutex> lock(core_->site_mu);
    core_->site = std::move(site);
    core_->site_generation.fetch_add(1);
  }
  core_->Count([](HostStats& s) { ++s.reloads; });
}

std::shared_ptr<const Site> HttpHost::site() const {
  std::lock_guard<std::mutex> lock(core_->site_mu);
  return core_->site;
}

void HttpHost::Submit(HttpRequest request, std::function<void(HttpResponse)> done) {
  {
    std::lock_guard<std::mutex> lock(core_->jobs_mu);
    if (!core_->stopping_workers) {
      core_->jobs.push_back(Job{0, std::move(request), std::move(done)});
      core_->jobs_cv.notify_one();
      return;
    }
  }
  HttpResponse busy;
  busy.status = 503;
  done(std::move(busy));
}

HostStats HttpHost::Stats() const {
  std::lock_guard<std::mutex> lock(core_->stats_mu);
  return core_->stats;
}

void HttpHost::Shutdown(std::chrono::milliseconds grace) {
  core_->draining.store(true);
  core_->Wake();
  std::unique_lock<std::mutex> lock(core_->finished_mu);
  if (!core_->finished_cv.wait_for(lock, grace, [&] { return core_->finished; })) {
    core_->stop_now.store(true);
    core_->finished_cv.wait(lock, [&] { return core_->finished; });
  }
}

void HttpHost::Wait() {
  std::unique_lock<std::mutex> lock(core_->finished_mu);
  core_->finished_cv.wait(lock, [&] { return core_->finished; });
}

}  // namespace sexp::host
