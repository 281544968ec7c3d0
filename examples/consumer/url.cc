// The QUIC transport's target from an installed libsexp: sexp::quic.
//   consumer-build/sx_url sexpr://example.org/feed   ->  example.org 4433 /feed
#include <cstdio>

#include "sexp/net/quic.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  absl::StatusOr<sexp::quic::Url> url = sexp::quic::ParseUrl(argv[1]);
  if (!url.ok()) {
    std::fprintf(stderr, "%s\n", std::string(url.status().message()).c_str());
    return 1;
  }
  std::printf("%s %u %s\n", url->host.c_str(), url->port, url->path.c_str());
  return 0;
}
