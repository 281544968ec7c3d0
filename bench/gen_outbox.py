#!/usr/bin/env python3
"""Writes a Mastodon-style outbox page for bench/bench_ap.cc.

  gen_outbox.py [-n N] [--seed S] OUT.json

One OrderedCollectionPage of one actor's N newest activities (default
10000), newest first, shaped as Mastodon 4.x serves them: about 80 %
Create{Note}, 15 % Announce of a status IRI, 5 % Like. A Note has the id,
url, atomUri, published, to/cc, sensitive, a summary (content warning)
sometimes, inReplyTo sometimes, HTML content as Mastodon renders it (<p>
paragraphs, <br />, h-card mention spans, hashtag links, shortened links
with "invisible" spans; &#39; and &amp; references), the same HTML again in
contentMap {"en": …}, a tag array of Mention and Hashtag, sometimes image
Documents with blurhash and alt text, and its replies Collection. Text is
mostly English with some accented Latin, Cyrillic, CJK and emoji. A
Create weighs 1.2-4.7 KB (median 2 KB), an Announce 0.5 KB, a Like 0.2 KB:
about 1.75 KB an activity, 17.5 MB for the default 10000.

The JSON is compact UTF-8 (no whitespace, non-ASCII unescaped, HTML as
is), as Mastodon writes it. The output is a function of N and the seed
only.
"""
import argparse
import datetime
import json
import random

SEED = 20261207
SITE = "https://social.example"
ACTOR = SITE + "/users/alice"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONTEXT = [
    "https://www.w3.org/ns/activitystreams",
    {
        "ostatus": "http://ostatus.org#",
        "atomUri": "ostatus:atomUri",
        "sensitive": "as:sensitive",
        "toot": "http://joinmastodon.org/ns#",
        "Hashtag": "as:Hashtag",
        "blurhash": "toot:blurhash",
    },
]
# The newest activity's time; older ones step back from it.
NEWEST = datetime.datetime(2026, 11, 30, 18, 4, 27, tzinfo=datetime.timezone.utc)

WORDS = tuple("""
    the a of to and in is it for on with that this at from by about just
    really today tomorrow morning evening week bread sourdough starter oven
    orchard cider harvest apples market stall volunteers rota kiln pottery
    glaze zine printing radio show playlist meeting notes release patch
    server instance federation timeline thread reply post photo garden
    tomatoes bees hive honey bike repair café crème façade naïve jalapeño
    über хлеб мир 日曜 東京 🍎 🐝 ✨ 🎉 it's don't we're can't Q&A R&D
    finally honestly anyway maybe new old little big quiet loud good
""".split())
SLUG_WORDS = tuple(w for w in WORDS if w.isascii() and w.isalpha() and len(w) > 3)
INSTANCES = ("mastodon.social", "hachyderm.io", "fosstodon.org", "floss.social",
             "chaos.social", "mas.to", "infosec.exchange", "tech.lgbt", "kolektiva.social",
             "social.coop", "mstdn.jp", "pixelfed.social", "lemmy.world", "misskey.io")
NAMES = ("bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
         "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor",
         "walter", "yuki", "zoë")
HASHTAGS = ("bread", "sourdough", "gardening", "bees", "pottery", "zine", "cider",
            "fediverse", "mastodon", "opensource", "linux", "cycling", "photography",
            "caturday", "introduction", "coop", "localfood", "music", "books", "art")
LINK_HOSTS = ("www.example.org", "blog.example.net", "news.example.com",
              "github.com", "en.wikipedia.org", "codeberg.org")
BLURHASH_CHARS = ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "#$%*+,-.:;=?@[]^_{|}~")
IMAGE_SIZES = ((1500, 1095), (1280, 960), (1920, 1080), (1080, 1350), (800, 600))
# Verb weights: an outbox is mostly posts, then boosts, then a few likes.
VERBS = ("Create",) * 16 + ("Announce",) * 3 + ("Like",)


def html_text(text):
    """Text as Mastodon's formatter escapes it."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def iso(when):
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class Outbox:
    """Activities of one actor from one seeded generator, newest first."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.when = NEWEST
        self.accounts = [(name, self.rng.choice(INSTANCES)) for name in NAMES * 6]

    def words(self, lo, hi):
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(lo, hi)))

    def status_id(self):
        """A Mastodon snowflake id: milliseconds since the epoch << 16, plus
        a sequence in the low 16 bits."""
        ms = int(self.when.timestamp() * 1000) + self.rng.randint(0, 999)
        return (ms << 16) | self.rng.randint(0, 0xFFFF)

    def remote_status(self, account=None):
        name, host = account or self.rng.choice(self.accounts)
        # Someone else's status from up to a week before.
        return "https://%s/users/%s/statuses/%d" % (
            host, name, self.status_id() - (self.rng.randint(0, 7 * 86400 * 1000) << 16))

    def mention(self, account):
        name, host = account
        return ('<span class="h-card" translate="no"><a href="https://%s/@%s" '
                'class="u-url mention">@<span>%s</span></a></span>' % (host, name, html_text(name)))

    def hashtag(self, tag):
        return ('<a href="%s/tags/%s" class="mention hashtag" rel="tag">#<span>%s</span></a>'
                % (SITE, tag, tag))

    def link(self):
        """A link as Mastodon shortens it: scheme and tail hidden."""
        rng = self.rng
        path = "/%s/%d-%s" % (rng.choice(("posts", "2026", "wiki", "issues")),
                              rng.randint(1, 99999), "-".join(rng.choice(SLUG_WORDS)
                                                             for _ in range(4)))
        host = rng.choice(LINK_HOSTS)
        shown, hidden = (host + path)[:30], (host + path)[30:]
        return ('<a href="https://%s%s" target="_blank" rel="nofollow noopener noreferrer" '
                'translate="no"><span class="invisible">https://</span><span class="%s">%s</span>'
                '<span class="invisible">%s</span></a>'
                % (host, html_text(path), "ellipsis" if hidden else "", html_text(shown),
                   html_text(hidden)))

    def content(self, mentions, tags):
        """Mastodon's HTML: mentions lead, hashtags and a link sometimes in
        the text, paragraphs of lines joined by <br />."""
        rng = self.rng
        paragraphs = []
        for i in range(rng.choice((1, 1, 1, 2, 2, 3))):
            lines = [html_text(self.words(3, 12)) for _ in range(rng.choice((1, 1, 1, 2)))]
            if i == 0 and mentions:
                lines[0] = " ".join(self.mention(m) for m in mentions) + " " + lines[0]
            if rng.random() < 0.1:
                lines[-1] += " " + self.link()
            paragraphs.append("<br />".join(lines))
        if tags:
            if rng.random() < 0.5:
                paragraphs[-1] += " " + " ".join(self.hashtag(t) for t in tags)
            else:
                paragraphs.append(" ".join(self.hashtag(t) for t in tags))
        return "".join("<p>%s</p>" % p for p in paragraphs)

    def attachment(self):
        rng = self.rng
        width, height = rng.choice(IMAGE_SIZES)
        digits = "%018d" % rng.randint(0, 10 ** 18 - 1)
        path = "/".join(digits[i:i + 3] for i in range(0, 18, 3))
        return {
            "type": "Document",
            "mediaType": "image/jpeg",
            "url": "https://files.social.example/media_attachments/files/%s/original/%016x.jpg"
                   % (path, rng.getrandbits(64)),
            "name": self.words(4, 16) if rng.random() < 0.7 else None,
            "blurhash": "".join(rng.choice(BLURHASH_CHARS) for _ in range(rng.choice((28, 36)))),
            "width": width,
            "height": height,
        }

    def create(self, sid):
        rng = self.rng
        status = "%s/statuses/%d" % (ACTOR, sid)
        in_reply_to = None
        mentions = []
        if rng.random() < 0.3:
            # A reply mentions the author of the status it answers.
            mentions.append(rng.choice(self.accounts))
            in_reply_to = self.remote_status(mentions[0])
        if rng.random() < 0.15:
            mentions.append(rng.choice(self.accounts))
        tags = rng.sample(HASHTAGS, rng.choice((0, 0, 0, 0, 1, 1, 2, 3)))
        summary = html_text(self.words(2, 5)) if rng.random() < 0.1 else None
        content = self.content(mentions, tags)
        cc = [ACTOR + "/followers"] + ["https://%s/users/%s" % (h, n) for n, h in mentions]
        tag = [{"type": "Mention", "href": "https://%s/users/%s" % (h, n),
                "name": "@%s@%s" % (n, h)} for n, h in mentions]
        tag += [{"type": "Hashtag", "href": "%s/tags/%s" % (SITE, t), "name": "#" + t}
                for t in tags]
        attachment = [self.attachment() for _ in range(rng.choice((0,) * 7 + (1, 1, 2)))]
        note = {
            "id": status,
            "type": "Note",
            "summary": summary,
            "inReplyTo": in_reply_to,
            "published": iso(self.when),
            "url": "%s/@alice/%d" % (SITE, sid),
            "attributedTo": ACTOR,
            "to": [PUBLIC],
            "cc": cc,
            "sensitive": summary is not None or rng.random() < 0.03,
            "atomUri": status,
            "content": content,
            "contentMap": {"en": content},
            "attachment": attachment,
            "tag": tag,
            "replies": {
                "id": status + "/replies",
                "type": "Collection",
                "first": {
                    "type": "CollectionPage",
                    "next": status + "/replies?only_other_accounts=true&page=true",
                    "partOf": status + "/replies",
                    "items": [],
                },
            },
        }
        return {"id": status + "/activity", "type": "Create", "actor": ACTOR,
                "published": iso(self.when), "to": [PUBLIC], "cc": cc, "object": note}

    def announce(self, sid):
        status = "%s/statuses/%d" % (ACTOR, sid)
        target = self.remote_status()
        author = target.split("/statuses/")[0]
        return {"id": status + "/activity", "type": "Announce", "actor": ACTOR,
                "published": iso(self.when), "to": [PUBLIC],
                "cc": [author, ACTOR + "/followers"], "object": target,
                "atomUri": status + "/activity"}

    def like(self, sid):
        return {"id": "%s#likes/%d" % (ACTOR, sid & 0xFFFFFF), "type": "Like",
                "actor": ACTOR, "object": self.remote_status()}

    def activity(self):
        """The next older activity and its snowflake id."""
        # Step back in time: two hours apart on average, at least 30 s.
        self.when -= datetime.timedelta(seconds=int(self.rng.expovariate(1 / 7200)) + 30)
        sid = self.status_id()
        verb = self.rng.choice(VERBS)
        return sid, {"Create": self.create, "Announce": self.announce, "Like": self.like}[verb](sid)


def page(count, seed):
    outbox = Outbox(seed)
    ids, items = zip(*(outbox.activity() for _ in range(count))) if count else ((0,), ())
    # Mastodon pages by id: next is older than the last item, prev newer
    # than the first.
    first, last = ids[0], ids[-1]
    return {
        "@context": CONTEXT,
        "id": ACTOR + "/outbox?page=true",
        "type": "OrderedCollectionPage",
        "next": "%s/outbox?max_id=%d&page=true" % (ACTOR, last),
        "prev": "%s/outbox?min_id=%d&page=true" % (ACTOR, first),
        "partOf": ACTOR + "/outbox",
        "orderedItems": list(items),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10000, help="activities (default 10000)")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed")
    parser.add_argument("out", help="output JSON file")
    args = parser.parse_args()
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(page(args.n, args.seed), out, ensure_ascii=False, separators=(",", ":"))


if __name__ == "__main__":
    main()
