import os
import shutil

import pytest


@pytest.fixture(scope="session")
def sexp_cli():
    """The sexp CLI of the same build (SEXP_BIN), for byte-for-byte checks."""
    path = os.environ.get("SEXP_BIN") or shutil.which("sexp")
    if not path:
        pytest.skip("SEXP_BIN not set")
    return path
