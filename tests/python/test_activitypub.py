"""The ActivityStreams bridge from Python (issue 24): sexp.ap.from_json /
to_json over the real servers' fixtures in tests/ap/fixtures (JSON back as
it came, checked with Python's own json), the value shapes Python code sees,
errors, limits and the sanitizing of content. The JSON-LD graph comparison
with pyld is tests/ap/check_round_trip.py (ctest oracle_ap_round_trip)."""
import glob
import json
import os

import pytest

import sexp
from sexp import Keyword, Symbol

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = sorted(glob.glob(os.path.join(HERE, "..", "ap", "fixtures", "*", "*.json")))


def without_content(value):
    """The JSON with every "content" string of a typed object taken out
    (re-rendered HTML is compared as a DOM by the ctest oracle)."""
    if isinstance(value, dict):
        return {k: without_content(v) for k, v in value.items()
                if not (k == "content" and isinstance(v, str) and "type" in value)}
    if isinstance(value, list):
        return [without_content(v) for v in value]
    return value


def test_there_are_fixtures():
    assert len(FIXTURES) >= 40


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: os.path.relpath(p, HERE))
def test_fixture_comes_back_as_sent(path):
    raw = open(path, "rb").read()
    value = sexp.ap.from_json(raw)
    assert value == sexp.ap.from_json(json.loads(raw))  # dict input is the same
    back = sexp.ap.to_json(value, sexpr=False, context=False)
    sent = json.loads(raw)
    # Public aliases are written as the IRI (spec/activitypub.md §7).
    text = json.dumps(sent).replace('"as:Public"', '"%s"' % sexp.ap.PUBLIC)
    assert without_content(back) == without_content(json.loads(text))


def test_shapes_python_sees():
    note = sexp.ap.from_json({
        "@context": "https://www.w3.org/ns/activitystreams", "type": "Create",
        "id": "https://a.example/1", "actor": "https://a.example/u", "to": ["as:Public"],
        "object": {"type": "Note", "attributedTo": "https://a.example/u",
                   "content": "<p>Hi <b>there</b></p>",
                   "tag": [{"type": "Hashtag", "name": "#sx", "href": "https://a.example/t/sx"}]}})
    # Members in the order they came (sexp.dumps writes them canonically sorted).
    assert note == [Symbol("Create"), Keyword("@context"), "https://www.w3.org/ns/activitystreams",
                    Keyword("id"), "https://a.example/1", Keyword("actor"), "https://a.example/u",
                    Keyword("to"), [Keyword("public")],
                    [Symbol("Note"), Keyword("attributed-to"), "https://a.example/u",
                     [Symbol("p"), "Hi ", [Symbol("b"), "there"]],
                     [Symbol("tag"), [Symbol("Hashtag"), Keyword("name"), "#sx",
                                      Keyword("href"), "https://a.example/t/sx"]]]]
    # And back: content rendered, its sx beside it, the public IRI written out.
    out = sexp.ap.to_json(note)
    assert out["to"] == [sexp.ap.PUBLIC]
    assert out["object"]["content"] == "<p>Hi <b>there</b></p>"
    assert out["object"]["rose:sexpr"] == '(p "Hi " (b "there"))'
    assert out["@context"] == ["https://www.w3.org/ns/activitystreams",
                               {"rose": "https://rose-ash.com/ns#"}]


def test_platform_activity_written_for_mastodon():
    text = ('(Create :id "https://rose-ash.com/a/1" :actor "https://rose-ash.com/u/alice" '
            ':to (:public) (Note :id "https://rose-ash.com/n/1" '
            ':attributed-to "https://rose-ash.com/u/alice" (section (p "Markets " (a :href '
            '"https://rose-ash.com/m" "up"))) (attachment (Image :url "https://rose-ash.com/c.jpg" '
            ':media-type "image/jpeg"))))')
    body = sexp.ap.to_json_text(text)
    assert json.loads(body) == sexp.ap.to_json(text)
    obj = json.loads(body)["object"]
    assert obj["content"] == ('<section><p>Markets <a href="https://rose-ash.com/m">up</a>'
                              '</p></section>')
    # An unsafe URL in the platform's own sx is neutralized in the HTML.
    assert sexp.ap.to_json('(Note (a :href "javascript:x()" "l"))')["content"] == \
        '<a href="about:invalid#unsafe-url">l</a>'
    assert obj["attachment"] == [{"type": "Image", "url": "https://rose-ash.com/c.jpg",
                                  "mediaType": "image/jpeg"}]
    # What a peer running libsexp reads back is the same sx (canonical).
    assert sexp.dumps(sexp.ap.from_json(body, verified=True)).replace(
        ' :@context ("https://www.w3.org/ns/activitystreams" {"rose" "https://rose-ash.com/ns#"})',
        "") == sexp.dumps(sexp.loads(text))


def test_content_sanitized_and_counted():
    stats = {}
    value = sexp.ap.from_json({"type": "Note", "content":
                               '<p onmouseover="x()">a<script>b</script><a href="javascript:c">d</a>'
                               '<img src="data:x"><marquee>e</marquee></p>'}, stats=stats)
    assert value == [Symbol("Note"), [Symbol("p"), "a", [Symbol("a"), "d"], [Symbol("img")], "e"]]
    assert stats["dropped_elements"] == 1
    assert stats["dropped_attributes"] == 1
    assert stats["unsafe_urls"] == 2
    assert stats["unwrapped_elements"] == 1


def test_rose_sexpr_only_when_verified():
    doc = {"type": "Note", "content": "<p>html</p>", "rose:sexpr": '(p "sx" (script "x"))'}
    assert sexp.ap.from_json(doc)[-1] == [Symbol("p"), "html"]
    assert sexp.ap.from_json(doc)[1:3] == [Keyword("rose:sexpr"), '(p "sx" (script "x"))']
    assert sexp.ap.from_json(doc, verified=True) == [Symbol("Note"), [Symbol("p"), "sx"]]


def test_errors_have_codes_and_positions():
    with pytest.raises(sexp.ReadError) as e:
        sexp.ap.from_json('{"type": "Note",\n "id": 1,\n "id": 2}')
    assert (e.value.code, e.value.line, e.value.col) == ("duplicate-key", 3, 2)
    with pytest.raises(sexp.ReadError) as e:
        sexp.ap.from_json(b'{"a": "\xff"}')
    assert e.value.code == "invalid-utf8"
    with pytest.raises(sexp.ReadError) as e:
        sexp.ap.from_json('{"a": "\\ud800"}')
    assert e.value.code == "invalid-surrogate"
    with pytest.raises(sexp.ReadError) as e:
        sexp.ap.from_json("[" * 10000 + "]" * 10000)
    assert e.value.code == "depth-limit"
    with pytest.raises(sexp.ReadError) as e:
        sexp.ap.from_json({"type": "Note", "content": "x" * 2000}, max_content_bytes=1000)
    assert e.value.code == "size-limit"
    with pytest.raises(ValueError, match="^unrepresentable: .*two contents"):
        sexp.ap.to_json('(Note "a" "b")')
    with pytest.raises(ValueError, match="^unrepresentable: the symbol x"):
        sexp.ap.to_json([Symbol("Note"), Keyword("a"), Symbol("x")])
    with pytest.raises(sexp.ReadError):
        sexp.ap.to_json("(Note")
    with pytest.raises(ValueError, match="^size-limit"):
        sexp.ap.to_json({Keyword("a"): "x" * 1000}, max_bytes=100)
