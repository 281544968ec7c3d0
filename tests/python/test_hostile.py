"""Hostile input through the Python API: each gets a clear exception and the
module keeps working."""
import pytest

import sexp
from sexp import Keyword


@pytest.mark.parametrize("text", ["(", "(a (b", '"abc', "{:a", "#b64\"!!\"", ")", "(a :b}",
                                  "\x00", "(a \ud800)".encode("utf-8", "surrogatepass"),
                                  b"(a \xc3\x28)", "1e999999", "#q", "[" * 100000])
def test_bad_text_raises_read_error(text):
    with pytest.raises(sexp.ReadError) as e:
        sexp.parse_all(text)
    assert e.value.message and e.value.code
    assert sexp.parse("(still works)")


def test_truncations_of_a_document_never_crash():
    text = sexp.fmt('(feed :id 1 (item :title "a \\"quoted\\" \\u00e9" :n -2.5e3 :b #b64"aGk=") '
                    '{:k [1 2 3] "s" nil})')
    for i in range(len(text)):
        try:
            sexp.parse_all(text[:i])
        except sexp.ReadError:
            pass


def test_cyclic_python_data_is_refused():
    a = []
    a.append(a)
    with pytest.raises(ValueError):
        sexp.canonical(a)
    d = {}
    d[Keyword("self")] = d
    with pytest.raises(ValueError):
        sexp.hash(d)
    env = sexp.Env()
    env.eval("(defcomp ~c (&key x) (p (str x)))")
    with pytest.raises(ValueError):
        env.render("~c", x=a)


def test_large_inputs():
    big = "(" + " ".join('"%s"' % ("x" * 1000) for _ in range(5000)) + ")"  # ~5 MB
    assert len(sexp.parse(big)) == 5000
    assert sexp.hash(big).startswith("sha3-")
    huge_string = "\"" + "y" * (8 << 20) + "\""
    assert len(sexp.parse(huge_string)) == 8 << 20


def test_renderer_limits_hold_from_python():
    env = sexp.Env(limits={"max_depth": 50})
    env.eval("(define (deep n) (if (= n 0) \"x\" (div (deep (- n 1)))))")
    with pytest.raises(sexp.EvalError) as e:
        env.render_html("(deep 100)")
    assert e.value.code == "depth-limit"
    assert env.render_html("(deep 3)") == "<div><div><div>x</div></div></div>"


def test_reader_limits_are_settable_and_bounded():
    deep = "(" * 2000 + ")" * 2000
    with pytest.raises(sexp.ReadError) as e:
        sexp.parse(deep)
    assert e.value.code == "depth-limit"
    assert sexp.parse(deep, max_depth=2000) is not None
    with pytest.raises(ValueError):
        sexp.parse(deep, max_depth=100000)  # Python objects are built by recursion
    with pytest.raises(sexp.ReadError) as e:
        sexp.parse_all('"%s"' % ("x" * 100), max_size=50)
    assert e.value.code == "size-limit"
    big = '"' + "y" * (70 << 20) + '"'  # over the default 64 MiB
    with pytest.raises(sexp.ReadError):
        sexp.parse(big)
    assert len(sexp.parse(big, max_size=80 << 20)) == 70 << 20
