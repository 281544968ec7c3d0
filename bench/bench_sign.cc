// Signing and verifying, side by side with raw OpenSSL in the same run
// (issue 23's targets):
//   - sign a ~1 KB activity: sexp::sig::Sign (canonical bytes + Ed25519)
//     against OpenSSL's Ed25519 over the same signed bytes — ratio ≥ 0.9;
//   - verify it: sexp::sig::Verify (parse the envelope, canonical bytes,
//     Ed25519) against OpenSSL's Ed25519 verify of the same bytes — ≥ 0.9;
//   - verify cavage-signed inbox requests (RSA-2048, Mastodon's form):
//     sexp::sig::VerifyMessage per second on one core, beside OpenSSL's raw
//     RSA PKCS#1 v1.5 verify of the same signing string.
// Each figure is the median of 7 runs, ours and the peer's interleaved;
// ratio = peer time / our time.
//
//   bench_sign [--runs N] [--seconds S]
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "sexp/core/reader.h"
#include "sexp/core/writer.h"
#include "sexp/sig/envelope.h"
#include "sexp/sig/httpsig.h"
#include "sexp/sig/key.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace sexp::sig;

int g_runs = 7;
double g_seconds = 0.2;

// ns per call of `fn` over one timed run.
double RunNs(const std::function<void()>& fn) {
  {
    size_t n = 0;
    auto start = Clock::now();
    auto stop = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(g_seconds));
    Clock::time_point now;
    do {
      for (int i = 0; i < 16; ++i) fn();
      n += 16;
      now = Clock::now();
    } while (now < stop);
    return std::chrono::duration<double, std::nano>(now - start).count() / double(n);
  }
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Medians of `ours` and `peer`, their runs interleaved so that the machine's
// drifts (frequency, neighbours) fall on both alike.
std::pair<double, double> Compare(const std::function<void()>& ours,
                                  const std::function<void()>& peer) {
  std::vector<double> a, b;
  for (int r = 0; r < g_runs; ++r) {
    a.push_back(RunNs(ours));
    b.push_back(RunNs(peer));
  }
  return {Median(a), Median(b)};
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "bench_sign: %s failed\n", what);
    std::exit(1);
  }
}

std::string Activity() {
  std::string tags;
  for (int i = 0; i < 12; ++i) tags += " \"tag" + std::to_string(i) + "\"";
  std::string content(560, 'x');
  for (size_t i = 0; i < content.size(); i += 7) content[i] = ' ';
  return "(Create :id \"https://rose-ash.com/ap/act/8f1c2a\" :actor \"https://rose-ash.com/ap/users/alice\""
         " :published \"2026-12-07T12:00:00Z\" :to (\"https://www.w3.org/ns/activitystreams#Public\")"
         " (Note :id \"https://rose-ash.com/ap/notes/8f1c2a\" :content \"" + content +
         "\" :tags (" + tags + ") :in-reply-to \"https://social.example/@bob/1\" :sensitive false))";
}

struct Raw {
  EVP_PKEY* pkey;
  const EVP_MD* md;
};

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--runs") == 0) g_runs = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--seconds") == 0) g_seconds = std::atof(argv[i + 1]);
  }
  // Both sides use the key as a signer would load it: from its PEM.
  Key key = *Key::FromPem(*Key::Generate(KeyType::kEd25519)->PrivatePem());
  Key pub = key.PublicOnly();
  sexp::Result<sexp::Document> doc = sexp::ReadOne(Activity());
  Check(doc.ok(), "read");
  const sexp::Node& inner = doc->roots()[0];
  SignOptions so{"https://rose-ash.com/ap/users/alice#main-key", std::nullopt, 1733500000};
  std::string envelope = *Sign(inner, key, so);
  sexp::Result<sexp::Document> env_doc = sexp::ReadOne(envelope);
  std::string bytes = *SignedBytes("ed25519", 1733500000, so.key_id, inner);
  std::printf("activity: %zu canonical bytes (signed bytes %zu)\n", Canonical(inner)->size(), bytes.size());

  // The peer: OpenSSL's Ed25519 through EVP over the same bytes, from a PEM
  // of the same key.
  std::string pem = *key.PrivatePem();
  BIO* bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  Check(raw != nullptr, "raw key");
  std::string raw_sig(64, '\0');
  auto raw_sign = [&] {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 64;
    EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, raw);
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(raw_sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    EVP_MD_CTX_free(ctx);
  };
  auto raw_verify = [&] {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, raw);
    int rc = EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(raw_sig.data()), 64,
                              reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    EVP_MD_CTX_free(ctx);
    Check(rc == 1, "raw verify");
  };
  raw_sign();
  raw_verify();
  KeyResolver resolver = [&](std::string_view) -> SigResult<Key> { return pub; };
  VerifyOptions vo;
  vo.now = 1733500000;
  Check(Verify(env_doc->roots()[0], resolver, vo).ok(), "sexp verify");

  auto [ours_sign, peer_sign] = Compare([&] { Check(Sign(inner, key, so).ok(), "sign"); }, raw_sign);
  auto [ours_verify, peer_verify] =
      Compare([&] { Check(Verify(env_doc->roots()[0], resolver, vo).ok(), "verify"); }, raw_verify);
  std::printf("%-44s %10.0f ns  %8.0f/s\n", "Sign 1 KB activity (sexp, Ed25519)", ours_sign, 1e9 / ours_sign);
  std::printf("%-44s %10.0f ns  %8.0f/s\n", "  peer: OpenSSL Ed25519 sign, same bytes", peer_sign, 1e9 / peer_sign);
  std::printf("%-44s %10.2f  (target >= 0.90)\n", "  ratio peer/ours", peer_sign / ours_sign);
  std::printf("%-44s %10.0f ns  %8.0f/s\n", "Verify 1 KB activity (sexp, Ed25519)", ours_verify, 1e9 / ours_verify);
  std::printf("%-44s %10.0f ns  %8.0f/s\n", "  peer: OpenSSL Ed25519 verify, same bytes", peer_verify, 1e9 / peer_verify);
  std::printf("%-44s %10.2f  (target >= 0.90)\n", "  ratio peer/ours", peer_verify / ours_verify);

  // Cavage inbox requests, RSA-2048.
  Key rsa = *Key::Generate(KeyType::kRsa, 2048);
  Key rsa_pub = rsa.PublicOnly();
  std::string body = Canonical(inner).value();
  HttpMessage req = HttpMessage::Request(
      "POST", "https://rose-ash.com/ap/users/bob/inbox",
      {{"Host", "rose-ash.com"}, {"Content-Type", "application/activity+json"},
       {"Date", HttpDate(1733500000)}}, body);
  HttpSignOptions ho;
  ho.scheme = Scheme::kCavage;
  ho.key_id = "https://social.example/users/alice#main-key";
  ho.created = 1733500000;
  HeaderList added = *SignMessage(req, rsa, ho);
  for (auto& h : added) req.headers.push_back(h);
  HttpVerifyOptions hv;
  hv.now = 1733500000;
  KeyResolver rsa_resolver = [&](std::string_view) -> SigResult<Key> { return rsa_pub; };
  Check(VerifyMessage(req, rsa_resolver, hv).ok(), "cavage verify");
  std::string text = *CavageSigningString(req, "(request-target) host date digest");
  std::string rsa_sig = *rsa.Sign(Alg::kRsaV15Sha256, text);
  auto [ours_http, peer_http] =
      Compare([&] { Check(VerifyMessage(req, rsa_resolver, hv).ok(), "cavage"); },
              [&] { Check(rsa_pub.Verify(Alg::kRsaV15Sha256, text, rsa_sig).ok(), "rsa"); });
  std::printf("%-44s %10.0f ns  %8.0f/s per core\n", "Verify cavage inbox request (RSA-2048)", ours_http, 1e9 / ours_http);
  std::printf("%-44s %10.0f ns  %8.0f/s\n", "  peer: OpenSSL RSA-2048 verify alone", peer_http, 1e9 / peer_http);
  std::printf("%-44s %10.2f\n", "  ratio peer/ours", peer_http / ours_http);
  EVP_PKEY_free(raw);
  return 0;
}
