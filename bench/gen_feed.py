#!/usr/bin/env python3
"""Writes the benchmark feed: one federated feed, once as sx and once as JSON.

  gen_feed.py N OUT_PREFIX      -> OUT_PREFIX.sx and OUT_PREFIX.json

This is the project's own feed generator. The feed is an
OrderedCollectionPage of N ActivityPub-style activities (Create, Announce or
Like), each wrapping a Note: URLs, an ISO timestamp, a short summary, a
boolean, a float, an int, HTML-ish content (a section of paragraphs), hashtags
and sometimes an image attachment; the text mixes ASCII with accented Latin,
Cyrillic, CJK and emoji. The output is deterministic (fixed seed).

Both files hold the same data. In the JSON an object is a dict with a "type"
field and the content is nested lists (["section", ["p", "…"], …]). In the sx
an object is (Type :key value …), a plain array is (list …), the content is
(section (p "…") …), and the booleans are true/false. The sx puts the
envelope on its first line, then one activity per line, then "))":
bench/bench_python.py relies on that to cut a slice of the first activities.
"""
import json
import random
import sys

SEED = 20260214
SITE = "https://rose-ash.com"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
VOCABULARY = tuple("""
    bread cider orchard harvest pickup rota lantern zine kiln pottery bakery
    apple volunteer swap radio jam fair dinner crème façade jalapeño хлеб 日曜
    🍎 mill hive
""".split())
# Weighted verbs: most activities create a post, the rest boost or like one.
VERBS = ("Create",) * 3 + ("Announce", "Like")
CONTENT_TAGS = frozenset(("section", "p"))


class Element:
    """An HTML-ish node of a Note's content: a tag and its children."""

    __slots__ = ("tag", "children")

    def __init__(self, tag, children):
        self.tag, self.children = tag, children


class Feed:
    """Random activities from one seeded generator."""

    def __init__(self, seed=SEED):
        self.rng = random.Random(seed)

    def phrase(self, count):
        pick = self.rng.choice
        return " ".join(pick(VOCABULARY) for _ in range(count))

    def user(self):
        return "%s/ap/users/u%d" % (SITE, self.rng.randint(1, 500))

    def timestamp(self):
        rng = self.rng
        day, hour, minute = rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59)
        return "2026-02-%02dT%02d:%02d:00Z" % (day, hour, minute)

    def content(self):
        rng = self.rng
        paragraphs = [Element("p", [self.phrase(rng.randint(3, 15))])
                      for _ in range(rng.randint(1, 4))]
        return Element("section", paragraphs)

    def hashtags(self):
        return [{"type": "Hashtag", "name": "#" + self.rng.choice(VOCABULARY)}
                for _ in range(self.rng.randint(0, 3))]

    def attachments(self, n):
        if self.rng.random() >= 0.3:
            return []
        return [{"type": "Image", "url": "%s/media/%d.jpg" % (SITE, n),
                 "width": 1200, "height": 800, "name": self.phrase(3)}]

    def note(self, n):
        rng = self.rng
        note = {"type": "Note", "id": "%s/ap/posts/%d" % (SITE, n)}
        note["attributed-to"] = self.user()
        note["published"] = self.timestamp()
        note["summary"] = self.phrase(5)
        note["sensitive"] = rng.random() < 0.1
        note["score"] = round(rng.uniform(0, 100), 3)
        note["likes"] = rng.randint(0, 100000)
        note["content"] = self.content()
        note["tag"] = self.hashtags()
        note["attachment"] = self.attachments(n)
        return note

    def activity(self, n):
        verb = self.rng.choice(VERBS)
        return {"type": verb, "id": "%s/ap/activities/%d" % (SITE, n),
                "actor": self.user(), "to": [PUBLIC], "object": self.note(n)}


# --------------------------------------------------------------------------
# JSON

def json_default(value):
    if isinstance(value, Element):
        return [value.tag] + value.children
    raise TypeError("cannot write %r as JSON" % (value,))


def write_json(path, activities):
    page = {"type": "OrderedCollectionPage", "orderedItems": activities}
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps(page, ensure_ascii=False, default=json_default))


# --------------------------------------------------------------------------
# sx

SX_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def sx_string(text):
    out = []
    for ch in text:
        if ch in SX_ESCAPES:
            out.append(SX_ESCAPES[ch])
        elif ch < " " or ch == "\x7f":
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def sx(value, out):
    """Appends the sx text of `value` to the list of strings `out`."""
    if isinstance(value, bool):  # before int: bool is an int subclass
        out.append("true" if value else "false")
    elif isinstance(value, str):
        out.append(sx_string(value))
    elif isinstance(value, (int, float)):
        out.append(repr(value))
    elif isinstance(value, Element):
        if value.tag not in CONTENT_TAGS:
            raise ValueError("unexpected content tag %r" % value.tag)
        out.append("(" + value.tag)
        for child in value.children:
            out.append(" ")
            sx(child, out)
        out.append(")")
    elif isinstance(value, list):
        out.append("(list")
        for item in value:
            out.append(" ")
            sx(item, out)
        out.append(")")
    elif isinstance(value, dict):
        out.append("(" + value["type"])
        for key, item in value.items():
            if key != "type":
                out.append(" :" + key + " ")
                sx(item, out)
        out.append(")")
    else:
        raise TypeError("cannot write %r as sx" % (value,))


def write_sx(path, activities):
    with open(path, "w", encoding="utf-8") as out:
        out.write("(OrderedCollectionPage :ordered-items (list\n")
        for activity in activities:
            parts = ["  "]
            sx(activity, parts)
            parts.append("\n")
            out.write("".join(parts))
        out.write("))\n")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen_feed.py N OUT_PREFIX")
    count, prefix = int(sys.argv[1]), sys.argv[2]
    feed = Feed()
    activities = [feed.activity(n) for n in range(count)]
    write_json(prefix + ".json", activities)
    write_sx(prefix + ".sx", activities)


if __name__ == "__main__":
    main()
