#!/usr/bin/python3
"""Random, valid sx documents as text (stdlib only).

Used by the oracle scripts in this folder. Every document generated here is
valid under DESIGN.md "The language": it must read without error, so the
generator never emits a keyword twice among one list's elements after the
head, never repeats a dict key, never writes a number that overflows, and
never writes a token that the reader would take for something else.

    import random, gen_docs
    g = gen_docs.Generator(random.Random(7))
    text = g.document()            # one top-level expression (+ comments)
    docs = gen_docs.generate(seed=7, count=500)

As a program (so other oracles, e.g. the Node ones, can reuse it):

    /usr/bin/python3 gen_docs.py [--seed N] [--count N] [--json] [--max-depth N]

prints the documents one after another separated by newlines (or, with
--json, a JSON array of the documents' texts).
"""

import argparse
import base64
import json
import random
import sys

INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1

# Symbols that must read as symbols. None starts with a digit or with '-'
# and a digit, none contains a delimiter, '#', ':', '\' or starts with '@'
# (',@' would turn ',' + '@x' into unquote-splicing).
FIXED_SYMBOLS = [
    "p", "div", "span", "a", "x", "y", "f", "g", "map", "let", "fn", "if",
    "cond", "Create", "Note", "GET", "ok", "signed", "quote", "unquote",
    "~card", "~plans/x/card", "<>", "raw!", "nil?", "->", "&key", "&rest",
    "+", "-", "*", "/", "=", "<=", ">=", "!=", "a.b", "x1", "a-b-c",
    "snake_case", "CamelCase", "café", "東京", "λ", "Ωmega", "naïve",
    "🙂", "ж", "x²", "nil-or", "true?", "nilx", "falsey", "tru", "t",
    "e", "E", "e5", "Infinity", "NaN", "b64", "-x", "--", "...", "$", "%",
    "^", "|", "?", "!", "set!", "let*", "a/b/c", "τ→σ",
]

SYM_FIRST = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
             "~!$%&*<=>?^_/|+")
SYM_REST = SYM_FIRST + "0123456789-.@"
SYM_UNICODE = ["é", "ü", "ß", "東", "京", "λ", "π", "😀", "Ж", "ñ", "ø", "∑"]

FIXED_KEYWORDS = [
    "a", "b", "c", "id", "actor", "class", "hx-swap-oob", "href", "title",
    "Z", "A", "_", "a1", "a2", "aa", "ab", "a-b", "a_b", "z", "zz", "é",
    "東", "~x", "else", "key", "1", "nil", "true", "x:y", "ü", "😀",
    "data-x", "on-click", "B", "bb", "ba", "id2", "z9",
]

WORDS = ["hello", "world", "sx", "card", "Hello, World!", "a b", "x", "",
         "café", "東京", "naïve", "ёж", "λx.x", "(not a list)", "[x]",
         "{k}", "; not a comment", "#;no", "'q", "`q", ",q", ",@q",
         "#t", "nil", "1e5", "-0", "#b64\"AA==\"", ":kw"]

# Raw (unescaped) characters allowed inside a string literal.
RAW_CHARS = ["é", "東", "京", "😀", "🎉", "\u2028", "\u2029", "\u0085",
             "\ufeff", "\u007f", "\u00a0", "ß", "Ω", "\U0010ffff", "\ue000",
             "/", "'", "`", ",", ";", "(", ")", "[", "]", "{", "}", "#", ":"]


def _hex4(cp, rng):
    h = "%04x" % cp
    r = rng.random()
    if r < 0.2:
        h = h.upper()
    elif r < 0.3:
        h = "".join(c.upper() if rng.random() < 0.5 else c for c in h)
    return h


class Generator:
    def __init__(self, rng, max_depth=5, max_items=7, comments=True,
                 tight=True):
        self.rng = rng
        self.max_depth = max_depth
        self.max_items = max_items
        self.comments = comments
        self.tight = tight  # sometimes omit whitespace where delimiters allow

    # -- atoms ---------------------------------------------------------
    def symbol(self):
        rng = self.rng
        if rng.random() < 0.6:
            return rng.choice(FIXED_SYMBOLS)
        n = rng.randint(1, 8)
        out = [rng.choice(SYM_FIRST) if rng.random() < 0.85
               else rng.choice(SYM_UNICODE)]
        for _ in range(n - 1):
            out.append(rng.choice(SYM_REST) if rng.random() < 0.85
                       else rng.choice(SYM_UNICODE))
        s = "".join(out)
        if s in ("true", "false", "nil"):
            s += "_"
        return s

    def keyword_names(self, k):
        """k distinct keyword names (without ':')."""
        rng = self.rng
        names = []
        seen = set()
        while len(names) < k:
            if rng.random() < 0.7:
                n = rng.choice(FIXED_KEYWORDS)
            else:
                n = "".join(rng.choice(SYM_REST) if rng.random() < 0.9
                            else rng.choice(SYM_UNICODE)
                            for _ in range(rng.randint(1, 6)))
            if n not in seen:
                seen.add(n)
                names.append(n)
        return names

    def string(self):
        """Returns (source text of the literal, decoded text)."""
        rng = self.rng
        src = ['"']
        val = []
        for _ in range(rng.randint(0, 6)):
            r = rng.random()
            if r < 0.25:
                w = rng.choice(WORDS)
                src.append(w.replace("\\", "\\\\").replace('"', '\\"'))
                val.append(w)
            elif r < 0.45:
                e, v = rng.choice([('\\"', '"'), ("\\\\", "\\"),
                                   ("\\n", "\n"), ("\\t", "\t"),
                                   ("\\r", "\r")])
                src.append(e)
                val.append(v)
            elif r < 0.55:
                # \uXXXX of a BMP non-surrogate code point
                cp = rng.choice([rng.randint(0, 0x1F), rng.randint(0x20, 0x7E),
                                 rng.randint(0x80, 0x7FF),
                                 rng.randint(0x800, 0xD7FF),
                                 rng.randint(0xE000, 0xFFFF)])
                src.append("\\u" + _hex4(cp, rng))
                val.append(chr(cp))
            elif r < 0.62:
                # surrogate pair
                cp = rng.randint(0x10000, 0x10FFFF)
                v = cp - 0x10000
                hi, lo = 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF)
                src.append("\\u" + _hex4(hi, rng) + "\\u" + _hex4(lo, rng))
                val.append(chr(cp))
            elif r < 0.78:
                c = rng.choice(RAW_CHARS)
                src.append(c)
                val.append(c)
            elif r < 0.84:
                c = rng.choice(["\n", "\t", "\n\n", "\t\t"])  # raw
                src.append(c)
                val.append(c)
            else:
                w = "".join(chr(rng.randint(0x20, 0x7E)) for _ in
                            range(rng.randint(1, 10)))
                src.append(w.replace("\\", "\\\\").replace('"', '\\"'))
                val.append(w)
        src.append('"')
        return "".join(src), "".join(val)

    def integer(self):
        rng = self.rng
        r = rng.random()
        if r < 0.1:
            v = rng.choice([INT64_MIN, INT64_MAX, INT64_MIN + 1, INT64_MAX - 1,
                            0, 1, -1, 2 ** 53, 2 ** 53 + 1, -(2 ** 53) - 1,
                            2 ** 31, -(2 ** 31), 2 ** 32])
        elif r < 0.15:
            return "-0"
        elif r < 0.6:
            v = rng.randint(-1000, 1000)
        elif r < 0.8:
            v = 10 ** rng.randint(0, 18) * rng.choice([1, -1])
        else:
            v = rng.randint(INT64_MIN, INT64_MAX)
        return str(v)

    def floating(self):
        """A float literal in one of many valid JSON-number spellings."""
        rng = self.rng
        r = rng.random()
        sign = "-" if rng.random() < 0.3 else ""

        def digits(lo, hi, lead_ok_zero=False):
            n = rng.randint(lo, hi)
            if n == 0:
                return ""
            first = rng.choice("0123456789" if lead_ok_zero else "123456789")
            return first + "".join(rng.choice("0123456789")
                                   for _ in range(n - 1))

        def intpart():
            return "0" if rng.random() < 0.3 else digits(1, 6)

        def exp():
            e = rng.choice("eE") + rng.choice(["", "+", "-"])
            n = rng.choice([rng.randint(0, 9), rng.randint(0, 30),
                            rng.randint(0, 290)])
            pad = "0" * rng.choice([0, 0, 0, 1, 2])
            return e + pad + str(n)

        if r < 0.25:
            return sign + intpart() + "." + digits(1, 8, True)
        if r < 0.4:
            return sign + intpart() + exp()
        if r < 0.55:
            return sign + intpart() + "." + digits(1, 6, True) + exp()
        if r < 0.65:
            return sign + rng.choice(["0.0", "0.5", "1.0", "0.1", "100.000",
                                      "1e21", "1e-7", "1e+21", "1.5e300",
                                      "1E-6", "0.000001", "1e-5",
                                      "123456789012345678901234567890.0",
                                      "0e0", "0.0e-0", "9007199254740993.0",
                                      "1.7976931348623157e308",
                                      "2.2250738585072014e-308",
                                      "4.9406564584124654e-324", "5e-324",
                                      "0.30000000000000004", "1e+0"])
        # repr of a random finite double
        while True:
            if rng.random() < 0.5:
                x = rng.uniform(-1e6, 1e6) * 10.0 ** rng.randint(-30, 30)
            else:
                bits = rng.getrandbits(64)
                x = _bits_to_float(bits)
            if x == x and x not in (float("inf"), float("-inf")):
                break
        s = repr(x)
        if "." not in s and "e" not in s:
            s += ".0"
        return s

    def bytes_literal(self):
        rng = self.rng
        n = rng.choice([0, 1, 2, 3, 4, 5, rng.randint(0, 40)])
        b = bytes(rng.getrandbits(8) for _ in range(n))
        return '#b64"' + base64.b64encode(b).decode("ascii") + '"'

    def atom(self):
        rng = self.rng
        r = rng.random()
        if r < 0.25:
            return self.symbol()
        if r < 0.45:
            return self.string()[0]
        if r < 0.6:
            return self.integer()
        if r < 0.75:
            return self.floating()
        if r < 0.85:
            return rng.choice(["true", "false", "nil", "#t", "#f"])
        if r < 0.92:
            return ":" + self.keyword_names(1)[0]   # lone keyword as an atom
        return self.bytes_literal()

    # -- layout --------------------------------------------------------
    def comment(self, depth):
        rng = self.rng
        if rng.random() < 0.6:
            text = rng.choice(["", " note", " (unbalanced ( [ {", ' "quote',
                               "; double", " 東京 café", " #;x", " ' ` ,@",
                               "\t tab"])
            return ";" + text + "\n"
        sp = rng.choice(["", "", " ", "\n"])
        d = min(depth + 1, self.max_depth)
        if rng.random() < 0.1:  # '#; #; a b' skips two datums
            return "#; #;" + sp + self.datum(d) + " " + self.datum(d)
        return "#;" + sp + self.datum(d)

    def sugar(self, depth):
        """' ` , ,@ and a datum, rarely with atmosphere in between."""
        rng = self.rng
        s = rng.choice(["'", "`", ",", ",@"])
        if rng.random() < 0.08:
            s += rng.choice([" ", "\n", "\t", " ; c\n", " #;x ", "#;(y) "])
        return s + self.datum(depth)

    def ws(self, prev, nxt, depth, required=True):
        """Whitespace/comments to put between two pieces of text."""
        rng = self.rng
        r = rng.random()
        out = ""
        if self.comments and r < 0.06:
            out = " " + self.comment(depth) + rng.choice(["", " ", "\n  "])
            # '#;datum' must be separated from a following atom
            if not out.endswith((" ", "\n")):
                out += " "
            return out
        if self.tight and r < 0.14 and (not required or _can_touch(prev, nxt)):
            return ""
        if not required and r < 0.75:
            return ""
        return rng.choice([" ", " ", " ", " ", "  ", "\t", "\n", "\r\n",
                           " \n\t ", "\n\n"])

    def join(self, opener, parts, closer, depth):
        out = [opener]
        prev = opener
        for i, p in enumerate(parts):
            out.append(self.ws(prev, p, depth, required=(i > 0)))
            out.append(p)
            prev = p
        tail = self.ws(prev, closer, depth, required=False)
        if ";" in tail and not tail.endswith(("\n", " ")):
            tail += "\n"
        out.append(tail)
        out.append(closer)
        return "".join(out)

    # -- compound ------------------------------------------------------
    def datum(self, depth=0):
        rng = self.rng
        if depth >= self.max_depth:
            return self.atom()
        r = rng.random()
        if r < 0.35:
            return self.atom()
        if r < 0.45:
            return self.sugar(depth + 1)
        if r < 0.58:
            return self.dict(depth)
        return self.list(depth)

    def _n_items(self, depth):
        hi = max(1, self.max_items - depth)
        return self.rng.randint(0, hi)

    def list(self, depth):
        rng = self.rng
        if rng.random() < 0.05:
            return rng.choice(["()", "[]", "( )", "[ ]"])
        n_pos = self._n_items(depth)
        n_pairs = rng.choice([0, 0, 1, 2, 3, rng.randint(0, 6)])
        # one pool of distinct keyword names for everything in key position,
        # keyword values and a trailing lone keyword
        names = self.keyword_names(n_pairs * 2 + 2)
        name_it = iter(names)

        head = self.symbol() if rng.random() < 0.85 else self.datum(depth + 1)
        if head.startswith(":"):
            head = self.symbol()
        items = [[self.datum_not_keyword(depth + 1)] for _ in range(n_pos)]
        for _ in range(n_pairs):
            k = ":" + next(name_it)
            if rng.random() < 0.15:
                v = ":" + next(name_it)  # a keyword as the value
            else:
                v = self.datum_not_keyword(depth + 1)
            items.insert(rng.randint(0, len(items)), [k, v])
        parts = [head] + [x for it in items for x in it]
        if rng.random() < 0.08:
            parts.append(":" + next(name_it))  # keyword with nothing after
        opener, closer = ("[", "]") if rng.random() < 0.2 else ("(", ")")
        return self.join(opener, parts, closer, depth)

    def datum_not_keyword(self, depth):
        while True:
            d = self.datum(depth)
            if not d.startswith(":"):
                return d

    def dict(self, depth):
        rng = self.rng
        n = self._n_items(depth)
        names = self.keyword_names(n)
        used_text = set(names)
        parts = []
        for name in names:
            if rng.random() < 0.25:
                # a string key whose text differs from every other key
                for _ in range(20):
                    src, val = self.string()
                    if val not in used_text:
                        break
                else:
                    src = val = None
                if src is not None:
                    used_text.add(val)
                    parts.append(src)
                else:
                    parts.append(":" + name)
            else:
                parts.append(":" + name)
            parts.append(self.datum(depth + 1))
        return self.join("{", parts, "}", depth)

    def document(self):
        """One top-level expression, maybe with comments around it."""
        rng = self.rng
        pre = ""
        if self.comments and rng.random() < 0.1:
            pre = self.comment(0)
            if not pre.endswith("\n"):
                pre += rng.choice([" ", "\n"])
        if rng.random() < 0.1:
            pre = rng.choice([" ", "\t", "\n", "\r\n"]) + pre
        r = rng.random()
        if r < 0.8:
            body = self.list(0)
        elif r < 0.88:
            body = self.dict(0)
        elif r < 0.94:
            body = self.sugar(1)
        else:
            body = self.atom()
        post = ""
        if self.comments and rng.random() < 0.1:
            post = rng.choice(["", " ", "\t"]) + "; trailing comment"
        return pre + body + post


def _can_touch(prev, nxt):
    """True if `prev` immediately followed by `nxt` still reads as two."""
    if prev.endswith((")", "]", "}", '"')) and prev not in ("(", "[", "{"):
        return True
    if nxt.startswith(("(", "[", "{", '"', "'", "`", ",")):
        return True
    return False


def _bits_to_float(bits):
    import struct
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def generate(seed=1, count=500, max_depth=5, **kw):
    """count documents; each gets its own depth limit in 1..max_depth, so
    there are small ones (easy to read in a failure report) and big ones."""
    rng = random.Random(seed)
    g = Generator(rng, max_depth=max_depth, **kw)
    docs = []
    for _ in range(count):
        g.max_depth = rng.randint(1, max_depth)
        docs.append(g.document())
    return docs


def write_file(path, docs):
    """Writes docs one after another, each followed by a newline."""
    with open(path, "wb") as f:
        for d in docs:
            f.write(d.encode("utf-8"))
            f.write(b"\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--max-depth", type=int, default=5)
    ap.add_argument("--json", action="store_true",
                    help="print a JSON array of the documents' texts")
    a = ap.parse_args(argv)
    docs = generate(a.seed, a.count, a.max_depth)
    out = sys.stdout.buffer
    if a.json:
        out.write(json.dumps(docs, ensure_ascii=True).encode("ascii"))
        out.write(b"\n")
    else:
        for d in docs:
            out.write(d.encode("utf-8") + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
