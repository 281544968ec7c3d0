// Federation's deliveries over HTTP/1.1 (sexp/host/fed_transport.h): the
// delivery loop posts signed activities to a loopback inbox — a small
// server on the host's own request reader (Http1Reader) in front of
// sexp::fed::Inbox — which verifies each signature (RFC 9421 and cavage)
// and stores each activity once. A wrong key is refused (401: a dead
// letter); an inbox that is down is retried until it comes back.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sexp/fed/deliver.h"
#include "sexp/fed/inbox.h"
#include "sexp/fed/store.h"
#include "sexp/host/fed_transport.h"
#include "sexp/host/http1.h"

namespace sexp::host {
namespace {

namespace fs = std::filesystem;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One thread accepting on 127.0.0.1; each request goes to the Inbox with
// the target as the inbox saw it ("http://" + Host + path).
class InboxServer {
 public:
  InboxServer(fed::Inbox& inbox, uint16_t port = 0) : inbox_(inbox) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(fd_, 64), 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  // Closes the connections clients keep alive and joins their threads
  // before the Inbox they use can go.
  ~InboxServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (int c : clients_) shutdown(c, SHUT_RDWR);
    for (std::thread& t : serving_) t.join();
    for (int c : clients_) close(c);
  }
  uint16_t port() const { return port_; }
  std::atomic<int> requests{0};

 private:
  void Loop() {
    while (!stop_) {
      int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      std::lock_guard<std::mutex> lock(mu_);
      clients_.push_back(c);
      serving_.emplace_back([this, c] { Serve(c); });
    }
  }
  void Serve(int c) {
    Http1Reader reader;
    std::vector<HttpRequest> ready;
    char buf[16384];
    for (;;) {
      ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      if (reader.Feed(std::string_view(buf, static_cast<size_t>(n)), &ready)) break;
      for (HttpRequest& r : ready) {
        ++requests;
        sig::HeaderList fields;
        for (const HttpHeader& h : r.headers) fields.emplace_back(h.name, h.value);
        fed::InboxRequest req{"",
                              sig::HttpMessage::Request(r.method,
                                                        absl::StrCat("http://", r.Header("Host"),
                                                                     r.target),
                                                        fields, r.body),
                              NowMs()};
        fed::InboxResult got = inbox_.Receive(req);
        HttpResponse answer;
        answer.status = got.status;
        answer.body = got.code + "\n";
        std::string out;
        WriteResponse(answer, false, r.keep_alive, &out);
        send(c, out.data(), out.size(), MSG_NOSIGNAL);
      }
      ready.clear();
    }
    // Closed by the destructor, after every thread has stopped reading.
  }

  fed::Inbox& inbox_;
  int fd_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<int> clients_;         // guarded by mu_
  std::vector<std::thread> serving_;  // guarded by mu_
};

class FedTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("sexp-fedhttp-", getpid(), "-", std::random_device{}());
    fs::create_directories(dir_);
    out_ = std::move(*fed::OpenSqliteStore((dir_ / "out.sqlite").string()));
    in_ = std::move(*fed::OpenSqliteStore((dir_ / "in.sqlite").string()));
    ed_ = *sig::Key::Generate(sig::KeyType::kEd25519);
    rsa_ = *sig::Key::Generate(sig::KeyType::kRsa);
    inbox_ = std::make_unique<fed::Inbox>(*in_, [this](std::string_view id)
                                                    -> sig::SigResult<fed::OwnedKey> {
      if (id == "http://a.test/users/alice#main-key") {
        return fed::OwnedKey{ed_.PublicOnly(), "http://a.test/users/alice"};
      }
      if (id == "http://a.test/users/carol#main-key") {
        return fed::OwnedKey{rsa_.PublicOnly(), "http://a.test/users/carol"};
      }
      return sig::Fail(sig::SigCode::kUnknownKey, "unknown");
    });
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  static std::string Activity(int i, const std::string& actor) {
    return absl::StrCat("(Create :id \"http://a.test/act/", i, "\" :actor \"", actor,
                        "\" (Note :content \"hello ", i, "\"))");
  }
  template <typename Pred>
  static bool WaitFor(Pred pred, int ms = 20000) {
    for (int waited = 0; waited < ms && !pred(); waited += 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

  fs::path dir_;
  std::unique_ptr<fed::FedStore> out_, in_;
  sig::Key ed_, rsa_;
  std::unique_ptr<fed::Inbox> inbox_;
};

TEST_F(FedTransportTest, SignedPostsAreVerifiedAndStoredOnce) {
  InboxServer server(*inbox_);
  const std::string inbox = absl::StrCat("http://127.0.0.1:", server.port(), "/inbox");
  HttpFedTransport transport([this](std::string_view actor) -> std::optional<ActorKey> {
    if (actor == "http://a.test/users/alice") {
      return ActorKey{ed_, "http://a.test/users/alice#main-key", sig::Scheme::kRfc9421};
    }
    if (actor == "http://a.test/users/carol") {  // as Mastodon signs: cavage, RSA
      return ActorKey{rsa_, "http://a.test/users/carol#main-key", sig::Scheme::kCavage};
    }
    return std::nullopt;
  });
  fed::DeliveryOptions o;
  o.poll_ms = 10;
  fed::DeliveryLoop loop(*out_, transport, o);
  loop.Start();
  for (int i = 0; i < 30; ++i) {
    const std::string actor = i % 2 ? "http://a.test/users/carol" : "http://a.test/users/alice";
    ASSERT_TRUE(out_->Enqueue({absl::StrCat("http://a.test/act/", i), actor, "Create",
                               Activity(i, actor)},
                              {inbox}, NowMs())
                    .ok());
  }
  loop.Kick();
  ASSERT_TRUE(WaitFor([&] { return in_->Received("", 0, 100)->size() == 30; }))
      << loop.Stats().last_error;
  ASSERT_TRUE(WaitFor([&] { return out_->Status()->deliveries_pending == 0; }));
  loop.Stop();
  auto got = in_->Received("", 0, 100);
  int rfc = 0, cavage = 0;
  for (const fed::InboundActivity& a : *got) {
    rfc += a.verified_by.rfind("rfc9421 ed25519 ", 0) == 0;
    cavage += a.verified_by.rfind("cavage rsa-v1_5-sha256 ", 0) == 0;
  }
  EXPECT_EQ(rfc, 15);
  EXPECT_EQ(cavage, 15);
  EXPECT_EQ(loop.Stats().delivered, 30u);
}

TEST_F(FedTransportTest, AForgedSenderIsADeadLetterAndADownInboxIsRetried) {
  // Mallory's transport signs alice's activities with a key of its own.
  sig::Key other = *sig::Key::Generate(sig::KeyType::kEd25519);
  HttpFedTransport forged([&](std::string_view) -> std::optional<ActorKey> {
    return ActorKey{other, "http://a.test/users/alice#main-key", sig::Scheme::kRfc9421};
  });
  // The inbox is down at first: nothing listens on its port.
  uint16_t port;
  {
    InboxServer probe(*inbox_);
    port = probe.port();
  }
  const std::string inbox = absl::StrCat("http://127.0.0.1:", port, "/inbox");
  fed::DeliveryOptions o;
  o.poll_ms = 10;
  o.retry.first_delay_ms = 50;
  o.retry.jitter = 0;
  {
    fed::DeliveryLoop loop(*out_, forged, o);
    loop.Start();
    ASSERT_TRUE(out_->Enqueue({"http://a.test/act/f", "http://a.test/users/alice", "Create",
                               Activity(99, "http://a.test/users/alice")},
                              {inbox}, NowMs())
                    .ok());
    loop.Kick();
    ASSERT_TRUE(WaitFor([&] { return loop.Stats().retried >= 2; }));  // refused: tried again
    InboxServer server(*inbox_, port);                                  // back up
    ASSERT_TRUE(WaitFor([&] { return out_->DeadLetters(10)->size() == 1; }))
        << loop.Stats().last_error;
    loop.Stop();
  }
  EXPECT_NE(out_->DeadLetters(10)->front().last_error.find("401"), std::string::npos)
      << out_->DeadLetters(10)->front().last_error;
  EXPECT_EQ(in_->Received("", 0, 10)->size(), 0u);
}

}  // namespace
}  // namespace sexp::host
