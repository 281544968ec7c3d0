// The endpoint: UDP socket, packet I/O and the event loop (see endpoint.h).
#include "net/endpoint.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/strutil.h"

namespace sexp::net_internal {

using ::sexp::internal::AV;

namespace {

std::string ErrnoText(std::string_view what) { return absl::StrCat(AV(what), ": ", strerror(errno)); }

}  // namespace

uint64_t Now() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

absl::StatusOr<Address> Resolve(std::string_view host, uint16_t port, bool numeric) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = numeric ? AI_NUMERICHOST | AI_PASSIVE : 0;
  addrinfo* res = nullptr;
  std::string h(host), p = std::to_string(port);
  int rv = getaddrinfo(h.c_str(), p.c_str(), &hints, &res);
  if (rv != 0) return absl::InvalidArgumentError(absl::StrCat(AV(host), ": ", gai_strerror(rv)));
  Address a;
  memcpy(&a.addr, res->ai_addr, res->ai_addrlen);
  a.len = res->ai_addrlen;
  freeaddrinfo(res);
  return a;
}

uint16_t PortOf(const Address& a) {
  return ntohs(a.addr.ss_family == AF_INET6
                   ? reinterpret_cast<const sockaddr_in6*>(&a.addr)->sin6_port
                   : reinterpret_cast<const sockaddr_in*>(&a.addr)->sin_port);
}

Endpoint::~Endpoint() {
  for (int fd : {fd_, epfd_, evfd_}) {
    if (fd >= 0) close(fd);
  }
}

absl::Status Endpoint::Open(const Address* local, const Address* remote) {
  const Address& a = local != nullptr ? *local : *remote;
  fd_ = socket(a.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return absl::UnavailableError(ErrnoText("socket"));
  // Bursts of a hundred answers must not overflow the default buffers.
  int size = 4 << 20;
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  if (setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  if (local != nullptr && bind(fd_, local->get(), local->len) != 0) {
    return absl::UnavailableError(ErrnoText("bind"));
  }
  if (remote != nullptr && connect(fd_, remote->get(), remote->len) != 0) {
    return absl::UnavailableError(ErrnoText("connect"));
  }
  local_.len = sizeof local_.addr;
  if (getsockname(fd_, local_.get(), &local_.len) != 0) {
    return absl::UnavailableError(ErrnoText("getsockname"));
  }
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  evfd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epfd_ < 0 || evfd_ < 0) return absl::UnavailableError(ErrnoText("epoll/eventfd"));
  for (int fd : {fd_, evfd_}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      return absl::UnavailableError(ErrnoText("epoll_ctl"));
    }
  }
  return absl::OkStatus();
}

void Endpoint::StartThread() {
  thread_ = std::thread([this] { Run(); });
}

bool Endpoint::Post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return false;
    tasks_.push_back(std::move(task));
  }
  uint64_t one = 1;
  ssize_t n = write(evfd_, &one, sizeof one);
  (void)n;  // a full counter still wakes the loop
  return true;
}

void Endpoint::StopAndJoin() {
  Post([this] { stop_requested_ = true; });
  if (thread_.joinable()) thread_.join();
}

void Endpoint::SendPacket(const Address& to, const uint8_t* data, size_t n) {
  ssize_t rv;
  do {
    rv = to.len != 0 ? sendto(fd_, data, n, 0, to.get(), to.len) : send(fd_, data, n, 0);
  } while (rv < 0 && errno == EINTR);
  // EAGAIN: the packet is lost like any other; QUIC's recovery resends.
}

void Endpoint::SendPackets(const Address& to, const uint8_t* data, size_t n, size_t segment) {
  if (n > segment && gso_) {
    iovec iov{const_cast<uint8_t*>(data), n};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (to.len != 0) {
      msg.msg_name = const_cast<sockaddr*>(to.get());
      msg.msg_namelen = to.len;
    }
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint16_t))] = {};
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_UDP;
    cm->cmsg_type = UDP_SEGMENT;
    cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    const uint16_t size = static_cast<uint16_t>(segment);
    memcpy(CMSG_DATA(cm), &size, sizeof size);
    ssize_t rv;
    do {
      rv = sendmsg(fd_, &msg, 0);
    } while (rv < 0 && errno == EINTR);
    if (rv >= 0 || (errno != EIO && errno != EINVAL && errno != ENOPROTOOPT)) return;
    gso_ = false;  // not supported here: one packet a call from now on
  }
  for (size_t off = 0; off < n; off += segment) {
    SendPacket(to, data + off, std::min(segment, n - off));
  }
}

void Endpoint::Run() {
  std::vector<uint8_t> buf(65536);
  epoll_event events[2];
  while (!stop_requested_) {
    // Write what the last turn made pending (the client's first Initial
    // too), fire due timers, then sleep until the next timer or input.
    Flush();
    OnExpiry(Now());
    uint64_t next = NextExpiry();
    uint64_t now = Now();
    int timeout = -1;
    if (next != UINT64_MAX) {
      timeout = next <= now ? 0 : static_cast<int>(std::min<uint64_t>((next - now + 999999) / 1000000, 60000));
    }
    int n = epoll_wait(epfd_, events, 2, timeout);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == evfd_) {
        uint64_t count;
        ssize_t r = read(evfd_, &count, sizeof count);
        (void)r;
      }
    }
    // Datagrams first (a bounded batch, so timers and tasks keep running
    // under a flood), then tasks, writes and timers.
    for (int i = 0; i < 1024; ++i) {
      Address from;
      from.len = sizeof from.addr;
      ssize_t r = recvfrom(fd_, buf.data(), buf.size(), 0, from.get(), &from.len);
      if (r < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) OnSocketError(errno);
        break;
      }
      OnPacket(from, buf.data(), static_cast<size_t>(r));
    }
    std::vector<std::function<void()>> tasks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks.swap(tasks_);
    }
    for (auto& t : tasks) t();
  }
  OnStop();
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
  tasks_.clear();
}

}  // namespace sexp::net_internal
