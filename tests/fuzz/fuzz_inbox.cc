// libFuzzer target: federation's inbox and relay (sexp/fed/inbox.h,
// sexp/fed/relay.h) on hostile bytes. Byte 0 chooses the path — an sx POST,
// an AS2 JSON POST with an HTTP signature header that names a key, or a
// relay message — the rest is the body. One store (SQLite, in a temporary
// folder) and one known key live for the whole run. Invariants:
//   - nothing crashes or reads out of bounds (ASan/UBSan);
//   - the status is one the inbox documents, and matches the code;
//   - nothing unsigned or unverified is stored, no behavior runs for it:
//     the fuzzer cannot sign with the key, so the store stays empty;
//   - relay messages from the fuzzer's "member" never touch another
//     member's queue.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>

#include "fuzz_check.h"
#include "sexp/core/reader.h"
#include "sexp/fed/inbox.h"
#include "sexp/fed/relay.h"
#include "sexp/fed/store.h"

namespace {

namespace fed = sexp::fed;
namespace sig = sexp::sig;

struct World {
  World() {
    dir = std::filesystem::temp_directory_path() / ("sexp-fuzz-inbox-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    auto s = fed::OpenSqliteStore((dir / "fed.sqlite").string());
    FUZZ_CHECK(s.ok());
    store = std::move(*s);
    key = *sig::Key::Generate(sig::KeyType::kEd25519);
    inbox = std::make_unique<fed::Inbox>(*store, [this](std::string_view id)
                                                     -> sig::SigResult<fed::OwnedKey> {
      if (id != "https://a.example/users/alice#main-key") {
        return sig::Fail(sig::SigCode::kUnknownKey, "unknown");
      }
      return fed::OwnedKey{key.PublicOnly(), "https://a.example/users/alice"};
    });
    inbox->SetBehavior([this](const sexp::Node&, const fed::InboxResult&) {
      ++behaviors;
      return absl::OkStatus();
    });
    relay = std::make_unique<fed::Relay>(*store, 4);
    FUZZ_CHECK(relay->Hold("https://other.example/users/carol", "act/1", "(Note)", 1).ok());
  }
  std::filesystem::path dir;
  std::unique_ptr<fed::FedStore> store;
  sig::Key key;
  std::unique_ptr<fed::Inbox> inbox;
  std::unique_ptr<fed::Relay> relay;
  int behaviors = 0;
};

World& TheWorld() {
  static World* w = new World();
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  World& w = TheWorld();
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  const int path = data[0] % 3;
  if (path == 2) {
    sexp::Result<sexp::Document> doc = sexp::ReadOne(body);
    if (!doc.ok()) return 0;
    absl::StatusOr<std::string> out =
        w.relay->OnMessage("https://b.example/users/bob", doc->roots()[0]);
    if (out.ok()) {
      FUZZ_CHECK(sexp::ReadOne(*out).ok());
    }
    FUZZ_CHECK(w.store->HeldFor("https://other.example/users/carol", 0, 10)->size() == 1);
    return 0;
  }
  sig::HeaderList headers = {{"Host", "b.example"}};
  if (path == 0) {
    headers.push_back({"Content-Type", "application/x-sexpr"});
  } else {
    headers.push_back({"Content-Type", "application/activity+json"});
    headers.push_back({"Signature",
                       "keyId=\"https://a.example/users/alice#main-key\",algorithm=\"hs2019\","
                       "headers=\"(request-target) host\",signature=\"AAAA\""});
  }
  fed::InboxRequest req{"https://b.example/users/bob",
                        sig::HttpMessage::Request("POST", "https://b.example/users/bob/inbox",
                                                  headers, body),
                        1'765'000'000'000};
  fed::InboxResult r = w.inbox->Receive(req);
  static const std::set<int> kStatuses = {200, 202, 400, 401, 403, 413, 415, 500};
  FUZZ_CHECK(kStatuses.count(r.status) == 1);
  FUZZ_CHECK(r.status != 202 && r.status != 200);  // nothing the fuzzer sends can verify
  FUZZ_CHECK(w.behaviors == 0);
  FUZZ_CHECK(w.store->Received("https://b.example/users/bob", 0, 1)->empty());
  return 0;
}
