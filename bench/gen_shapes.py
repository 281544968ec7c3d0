#!/usr/bin/env python3
"""Writes the two further benchmark shapes next to the federated feed.

  gen_shapes.py OUT_PREFIX [MEGABYTES]

OUT_PREFIX-page.sx   a component-heavy page: deep nesting (up to ~40 levels),
                     many short strings, keywords and symbols, the way page
                     templates and rendered component trees look.
OUT_PREFIX-table.sx  a numeric table: rows of integers and floats with a few
                     keywords, the way metrics and ledgers look.

Both are deterministic (fixed seed) and about MEGABYTES each (default 16).
"""
import random
import sys

WORDS = ("co-op rose ash market stall vendor night gig organic sourdough café "
         "member ticket calendar post blog federated peer über naïve мир 東京").split()
TAGS = ("div", "span", "section", "article", "header", "footer", "ul", "li", "p",
        "a", "h2", "h3", "nav", "button", "form", "label", "input", "img")
COMPONENTS = ("~card", "~avatar", "~badge", "~menu", "~price", "~stall-row", "~gig-list")
KEYS = ("class", "id", "href", "role", "aria-label", "data-id", "key", "style", "title")


def words(rng, lo, hi):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))


def element(rng, depth, out):
    """Appends one element subtree to `out` (a list of strings)."""
    head = rng.choice(COMPONENTS) if rng.random() < 0.2 else rng.choice(TAGS)
    out.append("(" + head)
    for key in rng.sample(KEYS, rng.randint(0, 3)):
        value = rng.random()
        if value < 0.6:
            out.append(' :%s "%s"' % (key, rng.choice(WORDS)))
        elif value < 0.8:
            out.append(" :%s %d" % (key, rng.randint(0, 999)))
        else:
            out.append(" :%s %s" % (key, rng.choice(("true", "false", "nil", "x", "item"))))
    children = rng.randint(1, 4) if depth < 40 else 0
    for _ in range(children):
        if depth > 3 and rng.random() < 0.45:
            out.append(' "%s"' % words(rng, 1, 4))
        else:
            out.append(" ")
            element(rng, depth + rng.randint(1, 3), out)
    out.append(")")


def page(rng, target):
    out, size, n = [], 0, 0
    while size < target:
        chunk = []
        element(rng, 0, chunk)
        text = "(defcomp ~section-%d (&key title items)\n  %s)\n" % (n, "".join(chunk))
        out.append(text)
        size += len(text.encode())
        n += 1
    return "".join(out)


def table(rng, target):
    out = ['(table :name "ledger" :columns (list "id" "qty" "price" "tax" "delta" '
           '"lat" "lon" "score" "balance" "t")\n']
    size, i = len(out[0]), 0
    while size < target:
        cells = [str(i), str(rng.randint(0, 500)), repr(round(rng.uniform(0, 1000), 2)),
                 repr(round(rng.uniform(0, 1), 4)), str(rng.randint(-10**6, 10**6)),
                 repr(rng.uniform(-90, 90)), repr(rng.uniform(-180, 180)),
                 repr(round(rng.gauss(50, 15), 3)), str(rng.randint(-2**40, 2**40)),
                 str(1700000000 + i * 37)]
        row = "  (row %s)\n" % " ".join(cells)
        out.append(row)
        size += len(row)
        i += 1
    out.append(")\n")
    return "".join(out)


def main():
    prefix = sys.argv[1]
    target = int(float(sys.argv[2]) * 1e6) if len(sys.argv) > 2 else 16_000_000
    with open(prefix + "-page.sx", "w", encoding="utf-8") as f:
        f.write(page(random.Random(7), target))
    with open(prefix + "-table.sx", "w", encoding="utf-8") as f:
        f.write(table(random.Random(11), target))


if __name__ == "__main__":
    main()
