"""Builds the quic-go peer (tests/net/interop/quicgo) offline from Debian's
Go packages under /usr/share/gocode, for the interop tests
(tests/net/interop/test_quic_interop.py, tests/host/test_h3_interop.py)."""
import os
import pathlib
import shutil
import subprocess

SOURCE = pathlib.Path(__file__).resolve().parent / "quicgo"


def build_quicgo(build_dir: str, name: str) -> str:
    """The peer's binary at BUILD_DIR/NAME (each test its own name, so that
    two may build at once; Go's cache in BUILD_DIR/cache is shared)."""
    go = shutil.which("go")
    assert go, "golang-go is installed by scripts/deps.sh"
    os.makedirs(build_dir, exist_ok=True)
    out = os.path.join(build_dir, name)
    env = dict(os.environ, GOPATH="/usr/share/gocode", GO111MODULE="off",
               GOCACHE=os.path.join(build_dir, "cache"), GOFLAGS="", CGO_ENABLED="0")
    subprocess.run([go, "build", "-o", out, "."], cwd=SOURCE, env=env, check=True, timeout=600)
    return out
