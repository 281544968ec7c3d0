// The signature subcommands. Exit codes as the rest of the CLI: 0 success
// (every signature valid), 1 bad input or a signature refused (with the
// reason on stderr, one line per expression), 2 usage.
#include "sig_commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

#include "CLI/CLI.hpp"
#include "cli_io.h"
#include "sexp/core/reader.h"
#include "sexp/sig/envelope.h"
#include "sexp/sig/http1.h"
#include "sexp/sig/httpsig.h"
#include "sexp/sig/key.h"

namespace sexp::cli {
namespace {

using sig::Key;
using cli::Slurp;
using sig::SigResult;

struct Options {
  std::string file;
  std::string key_file, pub_file, secret_file, out_file;
  std::string key_id;
  std::string alg;
  std::string key_type = "ed25519";
  int bits = 2048;
  std::optional<int64_t> at;
  std::optional<int64_t> created;
  int64_t max_age = -1;
  int min_rsa_bits = sig::kMinRsaBits;
  std::string scheme = "rfc9421";
  std::vector<std::string> components;
  std::string label = "sig1";
  std::string url_scheme = "https";
  bool no_require_target = false, no_require_digest = false;
};

Options opt;
CLI::App* keygen_cmd = nullptr;
CLI::App* sign_cmd = nullptr;
CLI::App* verify_cmd = nullptr;
CLI::App* http_sign_cmd = nullptr;
CLI::App* http_verify_cmd = nullptr;

int Fail(const std::string& what, const sig::SigError& e) {
  std::cerr << "sexp: " << what << ": " << e.ToString() << "\n";
  return 1;
}

// A key from a PEM file, or (for --pub) a file holding a Multikey.
std::optional<Key> LoadKey(const std::string& file) {
  std::string text;
  if (!Slurp(file, &text)) return std::nullopt;
  std::string trimmed = text;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) trimmed.pop_back();
  SigResult<Key> k = trimmed.rfind("z6Mk", 0) == 0 ? Key::FromMultikey(trimmed) : Key::FromPem(text);
  if (!k.ok()) {
    Fail(file, k.error());
    return std::nullopt;
  }
  return *k;
}

std::optional<Key> LoadSecret(const std::string& file) {
  std::string text;
  if (!Slurp(file, &text)) return std::nullopt;
  std::string b64;
  for (char c : text)
    if (c != '\n' && c != '\r' && c != ' ') b64 += c;
  std::optional<std::string> raw = sig::Base64DecodeStrict(b64);
  if (!raw) {
    std::cerr << "sexp: " << file << ": not base64\n";
    return std::nullopt;
  }
  SigResult<Key> k = Key::FromSecret(*raw);
  if (!k.ok()) {
    Fail(file, k.error());
    return std::nullopt;
  }
  return *k;
}

// The verifier's key: --secret (an HMAC secret) or --pub, as a public key.
std::optional<Key> VerifierKey() {
  std::optional<Key> key = opt.secret_file.empty() ? LoadKey(opt.pub_file) : LoadSecret(opt.secret_file);
  if (key && key->type() != sig::KeyType::kHmacSecret) key = key->PublicOnly();
  return key;
}

std::optional<sig::Alg> AlgOption() {
  if (opt.alg.empty()) return std::nullopt;
  std::optional<sig::Alg> a = sig::ParseAlg(opt.alg);
  if (!a) std::cerr << "sexp: unknown --alg " << opt.alg << "\n";
  return a;
}

int RunKeygen() {
  sig::KeyType type = opt.key_type == "rsa"    ? sig::KeyType::kRsa
                      : opt.key_type == "p256" ? sig::KeyType::kP256
                                               : sig::KeyType::kEd25519;
  SigResult<Key> key = Key::Generate(type, opt.bits);
  if (!key.ok()) return Fail("keygen", key.error());
  std::string priv = *key->PrivatePem();
  int fd = ::open(opt.out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ::write(fd, priv.data(), priv.size()) != static_cast<ssize_t>(priv.size())) {
    std::cerr << "sexp: cannot write " << opt.out_file << "\n";
    if (fd >= 0) ::close(fd);
    return 1;
  }
  ::close(fd);
  std::string out = *key->PublicPem();
  if (type == sig::KeyType::kEd25519) out += *key->Multikey() + "\n";
  std::cout << out;
  return 0;
}

int RunSign() {
  std::optional<Key> key = LoadKey(opt.key_file);
  if (!key) return 1;
  std::string text;
  if (!Slurp(opt.file, &text)) return 1;
  Result<Document> doc = Read(text);
  if (!doc.ok()) {
    std::cerr << opt.file << ":" << doc.error().ToString() << "\n";
    return 1;
  }
  sig::SignOptions so{opt.key_id, AlgOption(), opt.created};
  if (!opt.alg.empty() && !so.alg) return 2;
  std::string out;
  for (const Node& root : doc->roots()) {
    SigResult<std::string> s = sig::Sign(root, *key, so);
    if (!s.ok()) {
      Position p = doc->position(root);
      std::cerr << opt.file << ":" << p.line << ":" << p.column << ": " << s.error().ToString() << "\n";
      return 1;
    }
    out += *s;
    out += '\n';
  }
  std::cout << out;
  return 0;
}

int RunVerify() {
  std::optional<Key> key = VerifierKey();
  if (!key) return 1;
  std::string text;
  if (!Slurp(opt.file, &text)) return 1;
  Result<Document> doc = Read(text);
  if (!doc.ok()) {
    std::cerr << opt.file << ":" << doc.error().ToString() << "\n";
    return 1;
  }
  sig::VerifyOptions vo;
  vo.now = opt.at;
  if (opt.max_age >= 0) vo.max_age = opt.max_age;
  vo.min_rsa_bits = opt.min_rsa_bits;
  if (!opt.secret_file.empty()) vo.allowed = vo.allowed.With(sig::Alg::kHmacSha256);
  const Key& public_key = *key;
  int bad = 0;
  std::string out;
  for (const Node& root : doc->roots()) {
    SigResult<std::vector<sig::Verified>> v =
        sig::Verify(root, [&](std::string_view) -> SigResult<Key> { return public_key; }, vo);
    Position p = doc->position(root);
    if (!v.ok()) {
      std::cerr << opt.file << ":" << p.line << ":" << p.column << ": " << v.error().ToString() << "\n";
      ++bad;
      continue;
    }
    for (const sig::Verified& s : *v)
      out += "valid " + s.key_id + " " + std::string(sig::AlgName(s.alg)) + " " +
             std::to_string(s.created) + "\n";
  }
  std::cout << out;
  return bad == 0 ? 0 : 1;
}

int RunHttpSign() {
  std::optional<Key> key = opt.secret_file.empty() ? LoadKey(opt.key_file) : LoadSecret(opt.secret_file);
  if (!key) return 1;
  std::string raw;
  if (!Slurp(opt.file, &raw)) return 1;
  SigResult<sig::HttpMessage> m = sig::ParseHttp1(raw, opt.url_scheme);
  if (!m.ok()) return Fail(opt.file, m.error());
  sig::HttpSignOptions so;
  so.scheme = opt.scheme == "cavage" ? sig::Scheme::kCavage : sig::Scheme::kRfc9421;
  so.key_id = opt.key_id;
  so.alg = AlgOption();
  if (!opt.alg.empty() && !so.alg) return 2;
  so.components = opt.components;
  so.created = opt.at;
  so.label = opt.label;
  SigResult<sig::HeaderList> added = sig::SignMessage(*m, *key, so);
  if (!added.ok()) return Fail(opt.file, added.error());
  for (auto& h : *added) m->headers.push_back(h);
  std::cout << sig::WriteHttp1(*m);
  return 0;
}

int RunHttpVerify() {
  std::optional<Key> key = VerifierKey();
  if (!key) return 1;
  std::string raw;
  if (!Slurp(opt.file, &raw)) return 1;
  SigResult<sig::HttpMessage> m = sig::ParseHttp1(raw, opt.url_scheme);
  if (!m.ok()) return Fail(opt.file, m.error());
  sig::HttpVerifyOptions vo;
  vo.now = opt.at;
  if (opt.max_age >= 0) vo.max_age = opt.max_age;
  vo.min_rsa_bits = opt.min_rsa_bits;
  vo.require_target = !opt.no_require_target;
  vo.require_digest = !opt.no_require_digest;
  if (!opt.secret_file.empty()) vo.allowed = vo.allowed.With(sig::Alg::kHmacSha256);
  const Key& public_key = *key;
  SigResult<sig::HttpVerified> v =
      sig::VerifyMessage(*m, [&](std::string_view) -> SigResult<Key> { return public_key; }, vo);
  if (!v.ok()) return Fail(opt.file, v.error());
  std::cout << "valid " << sig::SchemeName(v->scheme) << " " << v->key_id << " "
            << sig::AlgName(v->alg) << (v->label.empty() ? "" : " " + v->label) << "\n";
  return 0;
}

}  // namespace

void AddSigCommands(CLI::App& app) {
  keygen_cmd = app.add_subcommand("keygen", "generate a key pair; print the public key (PEM, and Multikey for Ed25519)");
  keygen_cmd->add_option("--alg", opt.key_type, "ed25519, rsa or p256")
      ->check(CLI::IsMember({"ed25519", "rsa", "p256"}))->capture_default_str();
  keygen_cmd->add_option("--bits", opt.bits, "RSA modulus size (2048 at least)")->capture_default_str();
  keygen_cmd->add_option("-o,--out", opt.out_file, "write the private key here (PKCS#8 PEM, mode 0600)")->required();

  sign_cmd = app.add_subcommand("sign", "print each expression of FILE as its canonical (signed …) envelope");
  sign_cmd->add_option("FILE", opt.file, "input file, or - for stdin")->required();
  sign_cmd->add_option("--key", opt.key_file, "private key (PEM)")->required();
  sign_cmd->add_option("--key-id", opt.key_id, "the key id to name (e.g. https://…#main-key)")->required();
  sign_cmd->add_option("--alg", opt.alg, "algorithm (default: the key's)");
  sign_cmd->add_option("--created", opt.created, "Unix time to sign as (default: now)");

  verify_cmd = app.add_subcommand("verify", "check every (signed …) expression of FILE; exit 1 with the reasons if any fails");
  verify_cmd->add_option("FILE", opt.file, "input file, or - for stdin")->required();
  auto* pub = verify_cmd->add_option("--pub", opt.pub_file, "public key (PEM, or a file holding a Multikey)");
  auto* secret = verify_cmd->add_option("--secret", opt.secret_file, "HMAC secret (a file of base64); allows hmac-sha256");
  pub->excludes(secret);
  verify_cmd->add_option("--at", opt.at, "check times as of this Unix time (default: now)");
  verify_cmd->add_option("--max-age", opt.max_age, "refuse signatures older than this many seconds");
  verify_cmd->add_option("--min-rsa-bits", opt.min_rsa_bits, "smallest RSA key accepted")->capture_default_str();
  verify_cmd->callback([pub, secret] {
    if (pub->count() + secret->count() == 0) throw CLI::ValidationError("--pub or --secret is required");
  });

  CLI::App* http = app.add_subcommand("httpsig", "sign or verify raw HTTP/1.1 messages (RFC 9421, cavage-12)");
  http->require_subcommand(1);
  http_sign_cmd = http->add_subcommand("sign", "print MESSAGE_FILE with its signature fields added");
  http_sign_cmd->add_option("MESSAGE_FILE", opt.file, "an HTTP/1.1 request or response, or -")->required();
  auto* hkey = http_sign_cmd->add_option("--key", opt.key_file, "private key (PEM)");
  auto* hsecret = http_sign_cmd->add_option("--secret", opt.secret_file, "HMAC secret (a file of base64)");
  hkey->excludes(hsecret);
  http_sign_cmd->add_option("--key-id", opt.key_id, "the key id")->required();
  http_sign_cmd->add_option("--scheme", opt.scheme, "rfc9421 or cavage")
      ->check(CLI::IsMember({"rfc9421", "cavage"}))->capture_default_str();
  http_sign_cmd->add_option("--component", opt.components, "a covered component (repeatable; default per scheme)");
  http_sign_cmd->add_option("--label", opt.label, "RFC 9421 signature label")->capture_default_str();
  http_sign_cmd->add_option("--alg", opt.alg, "algorithm (default: the key's)");
  http_sign_cmd->add_option("--at", opt.at, "sign as of this Unix time (created; default now)");
  http_sign_cmd->add_option("--url-scheme", opt.url_scheme, "scheme of the request's target URI")->capture_default_str();
  http_sign_cmd->callback([hkey, hsecret] {
    if (hkey->count() + hsecret->count() == 0) throw CLI::ValidationError("--key or --secret is required");
  });

  http_verify_cmd = http->add_subcommand("verify", "verify MESSAGE_FILE's signature (RFC 9421 if Signature-Input, else cavage)");
  http_verify_cmd->add_option("MESSAGE_FILE", opt.file, "an HTTP/1.1 request or response, or -")->required();
  auto* vpub = http_verify_cmd->add_option("--pub", opt.pub_file, "public key (PEM or Multikey file)");
  auto* vsecret = http_verify_cmd->add_option("--secret", opt.secret_file, "HMAC secret (a file of base64); allows hmac-sha256");
  vpub->excludes(vsecret);
  http_verify_cmd->add_option("--at", opt.at, "check times as of this Unix time (default: now)");
  http_verify_cmd->add_option("--max-age", opt.max_age, "oldest created/Date accepted, in seconds (default 43200)");
  http_verify_cmd->add_option("--min-rsa-bits", opt.min_rsa_bits, "smallest RSA key accepted")->capture_default_str();
  http_verify_cmd->add_flag("--no-require-target", opt.no_require_target,
                            "accept signatures that do not cover the method, target and a time");
  http_verify_cmd->add_flag("--no-require-digest", opt.no_require_digest,
                            "accept signatures that do not cover the body's digest");
  http_verify_cmd->add_option("--url-scheme", opt.url_scheme, "scheme of the request's target URI")->capture_default_str();
  http_verify_cmd->callback([vpub, vsecret] {
    if (vpub->count() + vsecret->count() == 0) throw CLI::ValidationError("--pub or --secret is required");
  });
}

int RunSigCommand() {
  if (keygen_cmd->parsed()) return RunKeygen();
  if (sign_cmd->parsed()) return RunSign();
  if (verify_cmd->parsed()) return RunVerify();
  if (http_sign_cmd->parsed()) return RunHttpSign();
  if (http_verify_cmd->parsed()) return RunHttpVerify();
  return -1;
}

}  // namespace sexp::cli
