"""The .pyi stubs shipped next to sexp.jinja and sexp.quart describe the
modules as they are: same public names, same parameters (names, kinds,
defaults present or not), async where the code is async."""
import ast
import importlib
import inspect
import pathlib

import pytest

MODULES = ["sexp.jinja", "sexp.quart", "sexp.quic"]


def stub_of(module):
    path = pathlib.Path(module.__file__).with_suffix(".pyi")
    assert path.exists(), "no stub next to %s" % module.__file__
    return ast.parse(path.read_text(), str(path))


def stub_params(fn: ast.FunctionDef):
    a = fn.args
    out = []
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    for i, (arg, d) in enumerate(zip(positional, defaults)):
        kind = "POSITIONAL_ONLY" if i < len(a.posonlyargs) else "POSITIONAL_OR_KEYWORD"
        out.append((arg.arg, kind, d is not None))
    if a.vararg:
        out.append((a.vararg.arg, "VAR_POSITIONAL", False))
    for arg, d in zip(a.kwonlyargs, a.kw_defaults):
        out.append((arg.arg, "KEYWORD_ONLY", d is not None))
    if a.kwarg:
        out.append((a.kwarg.arg, "VAR_KEYWORD", False))
    return out


def runtime_params(fn):
    return [(p.name, p.kind.name, p.default is not inspect.Parameter.empty)
            for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("name", MODULES)
def test_stub_matches_module(name):
    module = importlib.import_module(name)
    tree = stub_of(module)
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    assigned = {n.target.id for n in tree.body if isinstance(n, ast.AnnAssign)}
    stub_all = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                    and any(getattr(t, "id", "") == "__all__" for t in n.targets))
    assert stub_all == module.__all__
    for public in module.__all__:
        assert public in functions or public in classes or public in assigned, public
    for fname, node in functions.items():
        fn = getattr(module, fname)
        assert stub_params(node) == runtime_params(fn), fname
        assert isinstance(node, ast.AsyncFunctionDef) == inspect.iscoroutinefunction(fn), fname
    for cname, node in classes.items():
        cls = getattr(module, cname)
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                params = stub_params(item)
                if isinstance(inspect.getattr_static(cls, item.name), property):
                    continue  # a property's stub is its getter
                if isinstance(inspect.getattr_static(cls, item.name), classmethod):
                    params = params[1:]  # `cls`, bound in the runtime's signature
                assert params == runtime_params(getattr(cls, item.name)), \
                    "%s.%s" % (cname, item.name)
