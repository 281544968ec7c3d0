"""Values and text, as the json module does it (issue 22, item 5):
loads/loads_all read text, dumps/hash/cid take values (a str is a string),
hash_text/cid_text take text; the older names keep working, with a
DeprecationWarning where a str meant text."""
import hashlib
import json
import pathlib
import warnings

import pytest

import sexp
from sexp import Keyword, Symbol

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "spec" / "vectors" / "canonical.jsonl"


def vectors():
    return [json.loads(line) for line in VECTORS.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("v", vectors(), ids=lambda v: v["name"])
def test_dumps_of_loads_is_the_canonical_text(v):
    value = sexp.loads(v["input"])
    assert sexp.dumps(value) == v["canonical"]
    with warnings.catch_warnings():  # hash(str) warns that its meaning changed
        warnings.simplefilter("ignore", DeprecationWarning)
        assert sexp.hash(value) == v["sha3"] == sexp.hash_text(v["input"])
        assert sexp.cid(value) == v["cid"] == sexp.cid_text(v["input"])
    # The hash is SHA3-256 of the canonical bytes (hashlib, independently).
    assert v["sha3"] == "sha3-" + hashlib.sha3_256(v["canonical"].encode()).hexdigest()


def test_a_str_is_a_string_value():
    # Before: canonical(parse('"a b"')) raised trailing-input, and there was
    # no way to hash a lone Python string as a string value.
    assert sexp.loads('"a b"') == "a b"
    assert sexp.dumps("a b") == '"a b"'
    assert sexp.dumps(sexp.loads('"a b"')) == '"a b"'
    with pytest.warns(DeprecationWarning, match="hash_text"):
        assert sexp.hash("hello") == "sha3-" + hashlib.sha3_256(b'"hello"').hexdigest()
    with pytest.warns(DeprecationWarning, match="cid_text"):
        assert sexp.cid("hello") == sexp.cid_text('"hello"')
    # Text is hashed through hash_text (or loads first).
    assert sexp.hash_text("hello") == "sha3-" + hashlib.sha3_256(b"hello").hexdigest()
    assert sexp.hash_text("hello") == sexp.hash(Symbol("hello"))


def test_dumps_pretty_and_values():
    value = {Keyword("b"): [1, 2.5], Keyword("a"): "x"}
    assert sexp.dumps(value) == '{:a "x" :b (1 2.5)}'
    assert sexp.loads(sexp.dumps(value, pretty=True)) == value
    assert sexp.loads_all("1 (a) :k") == [1, [Symbol("a")], Keyword("k")]
    assert sexp.loads_all("") == []
    assert sexp.loads(b'(p "\xc3\xa9")') == [Symbol("p"), "é"]


@pytest.mark.parametrize("text, code, line, col", [
    ("", "empty-input", 0, 0),
    ("   ; only a comment\n", "empty-input", 0, 0),
    ("(a) (b)", "trailing-input", 1, 5),
    ("(a\n  ]", "unexpected-close", 2, 3),
])
def test_loads_errors_are_read_errors_with_positions(text, code, line, col):
    # Before: parse("") and parse("(a) (b)") raised a bare ValueError.
    for read in (sexp.loads, sexp.parse):
        with pytest.raises(sexp.ReadError) as e:
            read(text)
        assert e.value.code == code
        assert (e.value.line, e.value.col) == (line, col) or line == 0


def test_deprecated_names_warn_only_where_a_str_meant_text():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sexp.canonical([Symbol("a"), "b"]) == '(a "b")'  # a value: no warning
        assert sexp.parse("(a)") == [Symbol("a")]
        assert sexp.hash([1]) == sexp.hash_text("(1)")
    with pytest.warns(DeprecationWarning):
        assert sexp.canonical('"a b"') == '"a b"'
