#!/usr/bin/env bash
# Installs whatever the build and the tests need and this machine lacks:
# Debian packages (apt) and the JavaScript test oracles (npm ci, from the
# lock file). Does nothing when everything is already there. Safe to run
# repeatedly, non-interactively (CI=true, no stdin).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git
  libabsl-dev libmimalloc-dev libssl-dev libcli11-dev libsimdjson-dev
  libgumbo-dev                        # HTML5 parser behind HtmlToSx (pkg-config gumbo)
  libhiredis-dev redis-server         # the cache's Redis tier; its tests start a redis-server
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev            # libFuzzer, ASan, UBSan
  python3 python3-pytest              # CLI tests, hashlib oracle, gen_feed.py
  python3-html5lib                    # independent HTML5 parser: the HTML oracles
  lua5.4                              # peer of the evaluator benchmark
  python3-jinja2                      # renderer: peer page of the render benchmark
  python3-dev pybind11-dev            # the Python module (bindings/)
  python3-setuptools python3-pip      # pip install --no-build-isolation . (no PyPI)
  python3-venv                        # the install test installs into a venv
  python3-quart                       # Quart helpers and the example service
  python3-sexpdata                    # peer of the Python parse benchmark
  libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev  # QUIC transport (sexp::quic)
  libnghttp3-dev                      # HTTP/3 framing and QPACK of sexp host (over sexp::quic)
  golang-go golang-github-lucas-clemente-quic-go-dev  # independent QUIC peer (tests/interop)
  python3-hypercorn                   # HTTP/1.1 peer of the wire benchmark
  wrk                                 # HTTP load generator of the host benchmark (bench/bench_host.py)
  nginx-light                         # static-file peer of the host benchmark (its own nginx.conf)
  mypy                                # the Python stubs type-check a user program (--strict)
  libhttp-parser-dev                  # raw HTTP/1.1 messages (sexp httpsig, tests/sig)
  node-llhttp                         # sexp host's HTTP/1.1 parser (its C sources, strict)
  python3-cryptography                # independent signer/verifier: tests/sig oracles
  python3-pyld                        # independent JSON-LD processor: tests/ap round trips
  libsqlite3-dev                      # the federation store (sexp::fed)
)
# Node and npm for the JavaScript oracles; any node >= 18 on PATH will do.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  had_nginx=0
  dpkg-query -W -f='${Status}' nginx 2>/dev/null | grep -q "install ok installed" && had_nginx=1
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" </dev/null
  # Under systemd, nginx's postinst starts a system nginx on port 80; the host
  # benchmark runs its own on a free port, so stop one this install started.
  if ((!had_nginx)) && [[ " ${missing[*]} " == *" nginx-light "* ]]; then
    $sudo service nginx stop >/dev/null 2>&1 || true
  fi
fi

# npm packages for tests/oracles (exact versions from package-lock.json).
lock=tests/oracles/package-lock.json
stamp=tests/oracles/node_modules/.sexp-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s "$lock" "$stamp"; then
  echo "deps: npm ci in tests/oracles"
  (cd tests/oracles && npm ci --no-audit --no-fund --loglevel=error </dev/null)
  cp "$lock" "$stamp"
fi
