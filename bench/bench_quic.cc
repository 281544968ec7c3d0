// Load generator for bench/bench_wire.py: keeps N requests in flight for a
// fixed time and prints one JSON line (requests/s, latency percentiles).
//
//   bench_quic quic HOST PORT PATH CONCURRENCY SECONDS   sexpr:// (sexp::quic)
//   bench_quic http HOST PORT PATH CONCURRENCY SECONDS   HTTP/1.1 keep-alive,
//       one connection per concurrent request (HTTP/1.1 has no multiplexing)
//
// Both sides check every answer (status, a whole frame or Content-Length
// body of the expected size), so a fast failure never counts as speed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sexp/net/quic.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Result {
  std::vector<double> latencies_us;
  uint64_t bytes = 0;
  uint64_t errors = 0;
  double seconds = 0;
};

void Print(const char* kind, int concurrency, Result& r) {
  std::sort(r.latencies_us.begin(), r.latencies_us.end());
  auto pct = [&](double p) {
    if (r.latencies_us.empty()) return 0.0;
    size_t i = std::min(r.latencies_us.size() - 1, static_cast<size_t>(p * r.latencies_us.size()));
    return r.latencies_us[i];
  };
  std::printf(
      "{\"kind\": \"%s\", \"concurrency\": %d, \"requests\": %zu, \"errors\": %llu, "
      "\"rps\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f, \"bytes_per_answer\": %.0f}\n",
      kind, concurrency, r.latencies_us.size(), static_cast<unsigned long long>(r.errors),
      r.latencies_us.size() / r.seconds, pct(0.50), pct(0.99),
      r.latencies_us.empty() ? 0.0 : static_cast<double>(r.bytes) / r.latencies_us.size());
}

int RunQuic(const char* host, int port, const std::string& path, int concurrency, double seconds) {
  sexp::quic::ClientOptions co;
  co.insecure = true;  // loopback, the server's development certificate
  auto client = sexp::quic::Client::Connect(host, static_cast<uint16_t>(port), co);
  if (!client.ok()) {
    std::fprintf(stderr, "bench_quic: %s\n", std::string(client.status().message()).c_str());
    return 1;
  }
  const std::string request = "(GET \"" + path + "\")";
  std::mutex mu;
  std::condition_variable cv;
  Result r;
  int in_flight = 0;
  const auto start = Clock::now();
  const auto stop = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  // Each completion starts the next request (on the client's loop thread).
  std::function<void()> issue = [&] {
    auto sent = Clock::now();
    auto bytes = std::make_shared<uint64_t>(0);
    (*client)->Request(
        request, [bytes](std::string_view f) { *bytes += f.size(); },
        [&, sent, bytes](absl::Status st) {
          auto now = Clock::now();
          bool again;
          {
            std::lock_guard<std::mutex> lock(mu);
            if (st.ok() && *bytes > 0) {
              r.latencies_us.push_back(std::chrono::duration<double, std::micro>(now - sent).count());
              r.bytes += *bytes;
            } else {
              ++r.errors;
            }
            again = now < stop && r.errors < 100;
            if (!again) --in_flight;
          }
          if (again) {
            issue();
          } else {
            cv.notify_all();
          }
        });
  };
  {
    std::lock_guard<std::mutex> lock(mu);
    in_flight = concurrency;
  }
  for (int i = 0; i < concurrency; ++i) issue();
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return in_flight == 0; });
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  Print("quic", concurrency, r);
  return r.errors == 0 ? 0 : 1;
}

// One keep-alive HTTP/1.1 connection issuing requests back to back.
void HttpWorker(const char* host, int port, const std::string& path, Clock::time_point stop,
                Result* r) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host, &addr.sin_addr);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ++r->errors;
    close(fd);
    return;
  }
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host +
                              "\r\nAccept: application/x-sexpr\r\n\r\n";
  std::string buf;
  char chunk[65536];
  while (Clock::now() < stop) {
    auto sent = Clock::now();
    if (send(fd, request.data(), request.size(), 0) != static_cast<ssize_t>(request.size())) break;
    size_t header_end = std::string::npos, length = 0;
    bool ok = false;
    for (;;) {
      if (header_end == std::string::npos) {
        header_end = buf.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          const char* cl = strcasestr(buf.c_str(), "\r\ncontent-length:");
          if (cl == nullptr || buf.compare(0, 12, "HTTP/1.1 200") != 0) break;
          length = std::strtoul(cl + 17, nullptr, 10);
          header_end += 4;
        }
      }
      if (header_end != std::string::npos && buf.size() >= header_end + length) {
        ok = length > 0;
        buf.erase(0, header_end + length);
        break;
      }
      // Acknowledge at once: with delayed ACKs, a server that writes its
      // headers and body separately (hypercorn does) waits 40 ms on Nagle's
      // algorithm per answer, which would measure the kernel, not the server.
      setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
      ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      buf.append(chunk, static_cast<size_t>(n));
    }
    if (!ok) {
      ++r->errors;
      break;
    }
    r->latencies_us.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - sent).count());
    r->bytes += length;
  }
  close(fd);
}

int RunHttp(const char* host, int port, const std::string& path, int concurrency, double seconds) {
  const auto start = Clock::now();
  const auto stop = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<Result> parts(concurrency);
  std::vector<std::thread> threads;
  for (int i = 0; i < concurrency; ++i) {
    threads.emplace_back(HttpWorker, host, port, path, stop, &parts[i]);
  }
  for (auto& t : threads) t.join();
  Result r;
  for (Result& p : parts) {
    r.latencies_us.insert(r.latencies_us.end(), p.latencies_us.begin(), p.latencies_us.end());
    r.bytes += p.bytes;
    r.errors += p.errors;
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  Print("http", concurrency, r);
  return r.errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: bench_quic quic|http HOST PORT PATH CONCURRENCY SECONDS\n");
    return 2;
  }
  const std::string kind = argv[1];
  const int port = std::atoi(argv[3]), concurrency = std::atoi(argv[5]);
  const double seconds = std::atof(argv[6]);
  if (kind == "quic") return RunQuic(argv[2], port, argv[4], concurrency, seconds);
  if (kind == "http") return RunHttp(argv[2], port, argv[4], concurrency, seconds);
  std::fprintf(stderr, "bench_quic: unknown kind '%s'\n", kind.c_str());
  return 2;
}
