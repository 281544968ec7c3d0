"""The sexp module's data API: parse, the Python mapping, errors, canonical
form, formatting, hashes and CIDs (byte-identical to the CLI and checked
against hashlib), and Document views."""
import gc
import hashlib
import math
import subprocess
import warnings

import pytest

import sexp
from sexp import Keyword, Symbol


def test_mapping_of_every_kind():
    v = sexp.parse('(p :class "x" 1 -2 2.5 true false nil #b64"aGk=" [a b] {:k 1 "s" 2})')
    assert v == [Symbol("p"), Keyword("class"), "x", 1, -2, 2.5, True, False, None, b"hi",
                 [Symbol("a"), Symbol("b")], {Keyword("k"): 1, "s": 2}]
    assert type(v[3]) is int and type(v[5]) is float and v[9].__class__ is bytes


def test_symbols_and_keywords_compare_by_name_within_their_kind():
    assert Symbol("a") == Symbol("a") and hash(Symbol("a")) == hash(Symbol("a"))
    assert Symbol("a") != Keyword("a") and Symbol("a") != "a" and Keyword("a") != "a"
    assert len({Symbol("a"), Keyword("a"), "a"}) == 3
    assert repr(Symbol("~card")) == "Symbol('~card')" and repr(Keyword("id")) == "Keyword('id')"
    assert str(Keyword("id")) == ":id" and str(Symbol("x")) == "x"
    with pytest.raises(AttributeError):
        Symbol("a").name = "b"
    import pickle
    assert pickle.loads(pickle.dumps(Keyword("k"))) == Keyword("k")


def test_parse_all_and_parse_expect_their_counts():
    assert sexp.parse_all("1 (a) :k") == [1, [Symbol("a")], Keyword("k")]
    assert sexp.parse_all("") == []
    with pytest.raises(sexp.ReadError) as e:  # before: a bare ValueError
        sexp.parse("1 2")
    assert e.value.code == "trailing-input" and (e.value.line, e.value.col) == (1, 3)
    with pytest.raises(sexp.ReadError) as e:
        sexp.parse("")
    assert e.value.code == "empty-input"
    assert sexp.parse(b"(a)") == [Symbol("a")]  # text as bytes (UTF-8)
    assert sexp.dumps(b"(a)") == '#b64"KGEp"'  # elsewhere bytes are a value


@pytest.mark.parametrize("text, line, col, code", [
    ('(a "b', 1, 6, "unexpected-eof"),
    ("(a\n  ))", 2, 4, None),
    ('"\\q"', 1, 2, None),
    ("99999999999999999999", 1, 1, None),
    ("(" * 2000, 1, None, "depth-limit"),
    (b"\xff", 1, 1, None),
])
def test_read_errors_carry_positions(text, line, col, code):
    with pytest.raises(sexp.ReadError) as e:
        sexp.parse(text)
    err = e.value
    assert isinstance(err, ValueError)
    assert err.line == line and err.message
    if col is not None:
        assert err.col == col
    if code is not None:
        assert err.code == code


def test_python_data_to_sx_and_back():
    data = {Keyword("id"): 7, Keyword("tags"): ("a", "b"), "title": "<x>",
            Keyword("score"): -0.5, Keyword("raw"): b"\x00\xff", Keyword("none"): None}
    text = sexp.dumps(data)
    assert sexp.parse(text) == {Keyword("id"): 7, Keyword("tags"): ["a", "b"], "title": "<x>",
                                Keyword("score"): -0.5, Keyword("raw"): b"\x00\xff",
                                Keyword("none"): None}
    for bad, exc in [(object(), TypeError), ({1: 2}, TypeError), (math.inf, ValueError),
                     (2 ** 64, ValueError), ([[[]]] * 1 + [set()], TypeError)]:
        with pytest.raises(exc):
            sexp.dumps(bad)
    deep = []
    for _ in range(2000):
        deep = [deep]
    with pytest.raises(ValueError):
        sexp.dumps(deep)


def test_deprecated_canonical_and_fmt_read_a_str_as_text():
    with pytest.warns(DeprecationWarning, match="dumps"):
        assert sexp.canonical("(b :z 1 :a 2)") == "(b :a 2 :z 1)"
    assert sexp.canonical(["(b :z 1 :a 2)"]) == '("(b :z 1 :a 2)")'
    with pytest.warns(DeprecationWarning), pytest.raises(sexp.ReadError):
        sexp.canonical("(unclosed")
    with pytest.warns(DeprecationWarning, match="pretty=True"):
        assert sexp.fmt("(a)").rstrip("\n") == "(a)"


CASES = ['(p :class "x" "hi")', "{:b 1 :a (1 2.50 -0)}", '(Note :id 1 :body "a\\nb" :tags [x y])',
         "#b64\"AAEC\"", "3.0", "(a (b (c (d))))"]


@pytest.mark.parametrize("text", CASES)
def test_canonical_fmt_hash_cid_match_the_cli(sexp_cli, text):
    def cli(*args):
        return subprocess.run([sexp_cli, *args, "-"], input=text.encode(), check=True,
                              capture_output=True).stdout.decode().rstrip("\n")
    value = sexp.loads(text)
    assert sexp.dumps(value) == cli("canon")
    # fmt keeps the text's brackets ([x y]); a value has none to keep.
    assert sexp.loads(sexp.dumps(value, pretty=True)) == value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert sexp.fmt(text).rstrip("\n") == cli("fmt")
    assert sexp.hash_text(text) == cli("hash")
    assert sexp.cid_text(text) == cli("hash", "--cid")
    # And against hashlib, over the canonical bytes.
    assert sexp.hash_text(text) == "sha3-" + hashlib.sha3_256(cli("canon").encode()).hexdigest()
    # Python data of the same value hashes the same.
    assert sexp.hash(value) == sexp.hash_text(text)
    assert sexp.cid(value) == sexp.cid_text(text)


def test_cid_format():
    c = sexp.cid_text("(a)")
    assert c.startswith("b") and c == c.lower() and len(c) > 50


def test_document_views_walk_without_python_objects():
    doc = sexp.Document('(feed (item :id 1 "a") (item :id 2 "b")) (tail)')
    assert len(doc) == 2
    feed = doc[0]
    assert feed.kind == "list" and len(feed) == 3 and feed[0].name == "feed"
    item = feed[2]
    assert [n.kind for n in (item[i] for i in range(len(item)))] == ["symbol", "keyword", "int",
                                                                      "string"]
    assert item[2].value == 2 and item[3].value == "b" and item[-1].value == "b"
    assert item.position == (1, 24)
    assert item.to_python() == [Symbol("item"), Keyword("id"), 2, "b"]
    assert item.canonical() == '(item :id 2 "b")'
    assert item.hash() == sexp.hash_text('(item :id 2 "b")')
    with pytest.raises(IndexError):
        feed[3]
    with pytest.raises(TypeError):
        item[2][0]
    assert doc.arena_bytes > 0


def test_a_view_keeps_its_document_alive():
    views = [sexp.Document("(x%d (deep (er \"s%d\")))" % (i, i))[0][1][1] for i in range(200)]
    gc.collect()
    # The Document objects are gone; the views still read their nodes.
    sexp.parse_all("(churn)" * 1000)
    for i, v in enumerate(views):
        assert v.to_python() == [Symbol("er"), "s%d" % i]
    roots = sexp.Document("(a b)").roots
    gc.collect()
    assert roots[0][1].name == "b"


def test_name_cache_does_not_confuse_kinds():
    assert sexp.parse("(a :a)") == [Symbol("a"), Keyword("a")]
    many = "(" + " ".join(":k%d" % i for i in range(70000)) + ")"
    parsed = sexp.parse(many)
    assert parsed[-1] == Keyword("k69999") and len(parsed) == 70000


def test_frames_round_trip_in_any_chunking():
    msgs = ['(GET "/" :have "sha3-00")', {Keyword("x"): "y" * 200}, [1, 2.5, None]]
    wire = b"".join(sexp.frame(m) for m in msgs)
    assert sexp.frame('(GET "/")') == b'\x09(GET "/")'
    for step in (1, 2, 3, 7, 64, len(wire)):
        dec = sexp.FrameDecoder()
        got = []
        for i in range(0, len(wire), step):
            got += dec.feed(wire[i:i + step])
        dec.finish()
        assert [sexp.parse(g.decode()) for g in got] == [
            sexp.loads(m) if isinstance(m, str) else sexp.loads(sexp.dumps(m)) for m in msgs]
        assert dec.offset == len(wire)


def test_frame_errors():
    dec = sexp.FrameDecoder(max_frame_size=10)
    with pytest.raises(sexp.ReadError) as e:
        dec.feed(sexp.frame("y" * 20))
    assert e.value.code == "frame-too-large" and e.value.offset == 0
    with pytest.raises(sexp.ReadError) as e:
        sexp.FrameDecoder().feed(b"\x40\x05abcde")
    assert e.value.code == "bad-varint"
    dec = sexp.FrameDecoder()
    dec.feed(sexp.frame("(a b c)")[:-2])
    with pytest.raises(sexp.ReadError) as e:
        dec.finish()
    assert e.value.code == "frame-truncated"
def test_parsed_lists_are_ordinary_tracked_lists():
    # parse builds its lists untracked by the garbage collector and tracks
    # them once the result is whole: every list handed back is tracked, so a
    # cycle made through one later is collected.
    def lists(v):
        if isinstance(v, list):
            yield v
            for x in v:
                yield from lists(x)
        elif isinstance(v, dict):
            for x in v.values():
                yield from lists(x)

    for value in (sexp.parse('(a (b [c "d"]) {:k (e (f))} ())'),
                  sexp.parse_all('(a (b)) (c) 1 ((()))')):
        found = list(lists(value))
        assert found and all(gc.is_tracked(x) for x in found)
    import weakref

    class Box:
        pass

    v = sexp.parse("(a (b))")
    box = Box()
    v[1].append(box)
    box.cycle = v
    ref = weakref.ref(box)
    del v, box
    gc.collect()
    assert ref() is None


def test_parse_reads_str_and_bytes_in_place():
    # parse and parse_all read the argument's own bytes (no copy): strings
    # with and without escapes, non-ASCII text, both kinds of input.
    text = '(p "plain" "esc\\"aped\\n" "naïve 東京 🌹" :k sym)'
    want = [Symbol("p"), "plain", 'esc"aped\n', "naïve 東京 🌹", Keyword("k"), Symbol("sym")]
    assert sexp.parse(text) == want
    assert sexp.parse(text.encode()) == want
    assert sexp.parse_all(text + " " + text) == [want, want]
    v = sexp.parse("(x :y x :y)")
    assert v[0] is v[2] and v[1] is v[3]  # one object per name


def test_python_data_errors_name_where():
    with pytest.raises(TypeError, match=r"\[:a\]\[1\]\[\"s\"\]"):
        sexp.canonical({Keyword("a"): [1, {"s": object()}]})
    with pytest.raises(ValueError, match=r"int beyond 64 bits in \[0\]\[:n\]"):
        sexp.canonical([{Keyword("n"): 2 ** 70}])
    with pytest.raises(TypeError, match="the value"):
        sexp.canonical(object())

    class MyKeyword(Keyword):  # subclasses convert through their `name`
        __slots__ = ()

    assert sexp.canonical({MyKeyword("b"): (True, None, 1.5)}) == "{:b (true nil 1.5)}"


@pytest.mark.parametrize("text", ["café naïve", "東京 мир", "🌹 rose",
                                  "a\u00ff\u0100\uffff\U00010000"])
def test_str_text_of_every_width_reads_as_its_utf8(text):
    # A str is encoded to UTF-8 by the module (latin-1, 2- and 4-byte
    # kinds), small or big (big ones with the GIL released).
    sx = '(p "%s" :k "%s")' % (text, text)
    want = [Symbol("p"), text, Keyword("k"), text]
    assert sexp.parse(sx) == want == sexp.parse(sx.encode())
    assert sexp.Document(sx)[0].to_python() == want
    assert sexp.dumps(sexp.loads(sx)) == sexp.dumps(sexp.loads(sx.encode()))
    big = "(" + " ".join(['"%s %d"' % (text, i) for i in range(20000)]) + ")"
    assert sexp.parse(big) == ["%s %d" % (text, i) for i in range(20000)]
    for surrogate in ('("%s \ud800")' % text, big[:-1] + ' "\udfff")'):
        with pytest.raises(UnicodeEncodeError):  # a lone surrogate has no UTF-8
            sexp.parse(surrogate)


def test_check_message_names_the_family_or_the_rule_broken():
    assert sexp.check_message('(GET "/posts/1")') == "request"
    assert sexp.check_message([Symbol("not-modified")]) == "response"
    with pytest.raises(sexp.ReadError) as e:
        sexp.check_message('(GET 42)')
    assert e.value.code == "bad-message" and e.value.col == 6
    assert "string starting with '/'" in e.value.message
    with pytest.raises(sexp.ReadError) as e:
        sexp.check_message([Symbol("push!"), [Symbol("p")]])
    assert e.value.code == "bad-message" and e.value.line == 0  # built from data: no position
