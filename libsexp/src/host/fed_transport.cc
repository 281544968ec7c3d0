// Signed HTTP POSTs for federation's deliveries (sexp/host/fed_transport.h).
#include "sexp/host/fed_transport.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "host/backend.h"

namespace sexp::host {

HttpFedTransport::HttpFedTransport(ActorKeys keys, HttpFedTransportOptions options)
    : keys_(std::move(keys)), options_(std::move(options)) {
  const size_t n = options_.threads == 0 ? 1 : options_.threads;
  for (size_t i = 0; i < n; ++i) threads_.emplace_back([this] { Run(); });
}

HttpFedTransport::~HttpFedTransport() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void HttpFedTransport::Post(const fed::Delivery& d,
                            std::function<void(int status, std::string error)> done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      jobs_.push_back({d, std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  done(0, "the transport is shutting down");
}

void HttpFedTransport::Run() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and every queued post done
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    Deliver(job);
  }
}

void HttpFedTransport::Deliver(const Job& job) {
  const fed::Delivery& d = job.delivery;
  std::optional<ActorKey> key = keys_ ? keys_(d.actor) : std::nullopt;
  if (!key) return job.done(0, absl::StrCat("no key to sign as ", d.actor));
  const bool json = !d.body.empty() && d.body[0] == '{';
  sig::HttpMessage m = sig::HttpMessage::Request(
      "POST", d.inbox,
      {{"Content-Type", json ? "application/activity+json" : "application/x-sexpr"},
       {"Accept", json ? "application/activity+json" : "application/x-sexpr"}},
      d.body);
  sig::HttpSignOptions so;
  so.scheme = key->scheme;
  so.key_id = key->key_id;
  if (options_.clock) so.created = options_.clock();
  sig::SigResult<sig::HeaderList> added = sig::SignMessage(m, key->key, so);
  if (!added.ok()) return job.done(0, absl::StrCat("signing: ", added.error().ToString()));
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& [name, value] : m.headers) fields.emplace_back(name, value);
  for (const auto& [name, value] : *added) fields.emplace_back(name, value);
  absl::StatusOr<host_internal::HttpAnswer> answer = host_internal::Post(
      d.inbox, fields, d.body, std::chrono::steady_clock::now() + options_.timeout,
      options_.max_answer_bytes);
  if (!answer.ok()) return job.done(0, std::string(answer.status().message()));
  job.done(answer->status, answer->status / 100 == 2 ? std::string() : answer->body.substr(0, 200));
}

}  // namespace sexp::host
