"""Python conventions (issue 22, item 9): Keyword and Symbol validated,
ordered and hashed consistently with equality; readable reprs; equal nodes
compare equal; last_resolve_stats defined before the first resolve; nothing
but the API in the package namespace; the stubs type-check a user program
under mypy --strict."""
import pathlib
import shutil
import subprocess
import sys

import pytest

import sexp
from sexp import Keyword, Symbol


def test_names_are_validated():
    with pytest.raises(ValueError, match="no colon"):  # before: ::class
        Keyword(":class")
    for bad in ["has space", "", "a(b", 'q"', "semi;colon", "tab\there"]:
        with pytest.raises(ValueError):
            Keyword(bad)
        with pytest.raises(ValueError):
            Symbol(bad)
    for bad in ["12", "-3x", "true", "nil", ":k"]:
        with pytest.raises(ValueError):
            Symbol(bad)
    # Names sx itself makes convert whatever they hold.
    assert sexp.loads("::a") == Keyword._of(":a")
    assert Symbol("a\u00a0b").name == "a\u00a0b"  # NBSP is no sx whitespace


def test_names_order_and_hash_with_equality():
    assert sorted([Keyword("b"), Keyword("a"), Keyword("c")]) == [Keyword(n) for n in "abc"]
    assert Symbol("a") < Symbol("b") and not Symbol("b") <= Symbol("a")
    with pytest.raises(TypeError):
        Keyword("a") < Symbol("b")
    assert {Keyword("a"), Keyword("a"), Symbol("a")} == {Keyword("a"), Symbol("a")}
    assert Keyword("a") != Symbol("a") and hash(Keyword("a")) == hash(Keyword("a"))


def test_reprs_and_node_equality():
    doc = sexp.Document('(p :class "x" "hi") (q)')
    assert repr(doc) == "<sexp.Document roots=2 arena_bytes=%d>" % doc.arena_bytes
    assert repr(doc[0]) == '<sexp.Node list (p :class "x" "hi")>'
    assert repr(sexp.Document('"' + "y" * 100 + '"')[0]).endswith('yyy...>')
    assert repr(sexp.Env()).startswith("<sexp.Env bytes_used=")
    assert doc[0] == sexp.Document('(p  :class "x"\n "hi")')[0]  # before: identity only
    assert doc[0] != doc[1]
    assert len({doc[0], sexp.Document('(p :class "x" "hi")')[0]}) == 1


def test_last_resolve_stats_is_defined_before_the_first_resolve():
    assert sexp.Env().last_resolve_stats is None  # before: AttributeError


def test_the_namespace_is_the_api():
    public = {n for n in dir(sexp) if not n.startswith("_")}
    assert public == set(sexp.__all__) | {"jinja", "quart", "wire", "quic"} & public
    for leaked in ("annotations", "builtins", "inspect"):
        assert leaked not in public


TYPED_PROGRAM = '''
import asyncio
import sexp
from sexp import Keyword, Symbol

env = sexp.Env(capabilities=["core", "string", "list", "dict", "io"])

@env.service
async def price(context: object, item: int) -> int:
    return item * 3

def page(n: int) -> list[sexp.Value]:
    return [Symbol("p"), Keyword("class"), "n", n]

html: str = env.render_html(page(3))
value: sexp.Value = sexp.loads("(a :b 1)")
text: str = sexp.dumps(value, pretty=True)
address: str = sexp.hash(value)
tree = sexp.html_to_sx("<p>x")
resolved = asyncio.run(env.resolve("(price 2)"))
keys: list[str] = env.parameters("~card")
try:
    env.load("missing.sx")
except sexp.ReadError as e:
    where: tuple[str, int, int] = (e.file, e.line, e.col)
except sexp.Error:
    pass

key: sexp.keys.Key = sexp.keys.generate("ed25519")
signed: sexp.Value = sexp.sign({"a": 1}, key, key_id="k", created=1733500000)
checked: sexp.Verified = sexp.verify(signed, keys={"k": key.public()})
who: str = checked.key_id
added: dict[str, str] = sexp.httpsig.sign_request("POST", "https://b.example/inbox",
                                                 {"Host": "b.example"}, b"{}", key=key, key_id="k")
try:
    sexp.httpsig.verify_request("POST", "https://b.example/inbox", added, b"{}",
                                keys=lambda key_id: key.public())
except sexp.SignatureError as err:
    code: str = err.code
'''


def test_the_stubs_type_check_a_user_program_under_mypy_strict(tmp_path):
    if shutil.which("mypy") is None and not pathlib.Path("/usr/bin/mypy").exists():
        pytest.fail("mypy is not installed (scripts/deps.sh installs Debian's mypy)")
    program = tmp_path / "user.py"
    program.write_text(TYPED_PROGRAM)
    package = pathlib.Path(sexp.__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                             "--cache-dir", str(tmp_path / "cache"), str(program)],
                            capture_output=True, text=True, cwd=tmp_path,
                            env={"MYPYPATH": str(package), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout + result.stderr
