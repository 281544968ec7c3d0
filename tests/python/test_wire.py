"""sexp.wire: builders of the vocabulary, frames end to end."""
import pytest

import sexp
from sexp import Keyword, Symbol, wire

H = sexp.hash_text("(p)")


def test_builders_make_valid_canonical_messages():
    assert sexp.canonical(wire.get("/a", have=H)) == '(GET "/a" :have "%s")' % H
    assert sexp.canonical(wire.ok([Symbol("p"), "hi"], hash=H)) == '(ok :hash "%s" (p "hi"))' % H
    assert wire.not_modified(hash=H) == [Symbol("not-modified"), Keyword("hash"), H]
    assert sexp.check_message(wire.error("bad-request", "GET needs a path")) == "response"
    op = wire.swap("#feed", "prepend", [Symbol("article"), "new"])
    assert sexp.check_message(wire.push(op, wire.batch(wire.set_class("#b", add="on")))) == "push"
    assert sexp.check_message(wire.component_update("~card", H)) == "push"
    assert wire.post("/like/", {Keyword("id"): 3})[0] == Symbol("POST")


def test_bad_arguments_fail_where_the_message_is_built():
    for build in (lambda: wire.get("no-slash"), lambda: wire.get("/", have="sha3-nope"),
                  lambda: wire.swap("#a", "sideways"), lambda: wire.component_update("card", H),
                  lambda: wire.push(wire.get("/"))):
        with pytest.raises(sexp.ReadError) as e:
            build()
        assert e.value.code == "bad-message"


def test_messages_through_frames():
    msgs = [wire.get("/"), wire.ok([Symbol("p"), "x" * 500], hash=H), wire.not_found("gone")]
    stream = b"".join(sexp.frame(m) for m in msgs)
    dec = sexp.FrameDecoder()
    got = [sexp.parse(f.decode()) for i in range(0, len(stream), 5) for f in dec.feed(stream[i:i + 5])]
    dec.finish()
    assert got == msgs and [sexp.check_message(m) for m in got] == ["request", "response",
                                                                    "response"]
