"""One exception hierarchy with positions (issue 22, item 6): sexp.Error →
ReadError (also a ValueError), EvalError → RenderError; a missing file is
FileNotFoundError; paths may be os.PathLike; every public function has a
docstring. (Positions and traces of EvalErrors: test_env.py.)"""
import inspect
import pathlib

import pytest

import sexp


def test_the_hierarchy():
    assert issubclass(sexp.ReadError, sexp.Error) and issubclass(sexp.ReadError, ValueError)
    assert issubclass(sexp.EvalError, sexp.Error)
    assert issubclass(sexp.RenderError, sexp.EvalError)


def test_an_unknown_component_is_an_sexp_error():
    env = sexp.Env()
    env.eval("(defcomp ~list (&key n) (ul (li n)))")
    with pytest.raises(sexp.EvalError) as e:  # before: KeyError
        env.render("~lsit")
    assert e.value.code == "unbound" and "~lsit" in e.value.message
    with pytest.raises(sexp.EvalError, match=r"did you mean the component '~list'"):
        env.render("list", n=1)


def test_load_reports_files_as_python_does(tmp_path):
    env = sexp.Env()
    with pytest.raises(FileNotFoundError):  # before: EvalError "cannot open"
        env.load(tmp_path / "nope.sx")
    with pytest.raises(IsADirectoryError):
        env.load(tmp_path)
    good = tmp_path / "good.sx"
    good.write_text("(define x 41) (+ x 1)")
    assert env.load(good) == 42  # os.PathLike: before, pybind's signature error
    assert env.load(str(good)) == 42
    bad = tmp_path / "bad.sx"
    bad.write_text('(define y 1)\n(p "unclosed')
    with pytest.raises(sexp.ReadError) as e:  # before: EvalError(code="read")
        env.load(bad)
    err = e.value
    assert err.code == "unexpected-eof" and err.file == str(bad)
    assert (err.line, err.col) == (2, 13)
    assert str(err).startswith("%s:2:13: unexpected-eof: " % bad)


def test_read_errors_are_the_same_class_everywhere():
    for read in (lambda: sexp.loads("(a"), lambda: sexp.Env().eval("(a"),
                 lambda: sexp.Env().render_html("(p")):
        with pytest.raises(sexp.ReadError) as e:
            read()
        assert e.value.code == "unexpected-eof" and e.value.line == 1


def test_render_errors_are_render_errors():
    env = sexp.Env()
    with pytest.raises(sexp.RenderError) as e:
        env.render_data([sexp.Symbol("not-an-element!"), "x"])
    assert e.value.code == "render"


@pytest.mark.parametrize("name", [n for n in sexp.__all__
                                  if callable(getattr(sexp, n))])
def test_every_public_function_has_a_docstring(name):
    obj = getattr(sexp, name)
    assert inspect.getdoc(obj), name
    if inspect.isclass(obj):
        for attr, member in vars(obj).items():
            if not attr.startswith("_") and callable(member):
                assert inspect.getdoc(member), "%s.%s" % (name, attr)


def test_a_host_call_has_no_empty_site_in_its_trace():
    env = sexp.Env()
    env.eval("(defcomp ~c (&key a) (p a))")
    with pytest.raises(sexp.EvalError) as e:
        env.render("~c", b=1)
    # Before: ['~c ()'] — a frame with an empty place.
    assert e.value.code == "unknown-key" and e.value.trace == ["~c"]
    assert "it takes :a" in e.value.message


def test_a_trace_keeps_the_function_that_made_a_tail_call(tmp_path):
    lib = tmp_path / "lib.sx"
    lib.write_text('(define (g x) (+ x "a"))\n(define (f xs)\n  (map (fn (x)\n         (g x))\n'
                   '       xs))\n')
    env = sexp.Env()
    env.load(lib)
    with pytest.raises(sexp.EvalError) as e:
        env.eval("(f (list 1))", "page.sx")
    # Before: ['g (lib.sx:3:3)', 'f (page.sx:1:1)'] — g at map's place, the fn gone
    # (the fn's call of g is a tail call, which replaced its frame).
    assert e.value.trace == ["g (%s:4:10)" % lib, "fn (%s:3:3)" % lib, "f (page.sx:1:1)"]
