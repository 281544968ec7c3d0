#!/usr/bin/env python3
"""Python module benchmark: the `sexp` package against its Python peers, in
one process, medians of REPEATS runs.

  bench_python.py FEED_PREFIX JINJA_PAGE_PY [REPEATS] [SEXPDATA_ACTIVITIES]
                  [RENDER_SECONDS]

Run with PYTHONPATH at the built package (build/python) and Debian's
/usr/bin/python3 (python3-jinja2, python3-sexpdata, python3-html5lib).

Parse: FEED_PREFIX.sx and FEED_PREFIX.json are the same feed from
bench/gen_feed.py. sexp.parse reads the sx into Python objects,
json.loads the JSON twin, each from a fresh str (decoded outside the timing,
so sexp pays for UTF-8 encoding the str every run) and from bytes; MB/s is of
each one's own input. sexpdata.loads (pure Python) is timed on the first
SEXPDATA_ACTIVITIES activities only (default 4000, about 2.7 MB), with
sexp.parse timed on the same slice: that ratio is of per-MB rates. A timed run
is the call plus the young-generation collection it leaves behind
(gc.collect(0)), so garbage-collector work a parser defers is counted; each
is run once untimed first. Before timing, the sx result is checked against
the JSON twin (same activities).

Render: the feed page of JINJA_PAGE_PY (50 cards) from the same Python data:
Jinja2 renders the module's template from data(50); sexp renders ~feed-page
of bench/html/feed_page.sx with that data as dicts with sexp.Keyword keys
(env.render, which converts the Python data on every call). The two pages
must have the same DOM (html5lib, as tests/oracles/render_dom_oracle.py) or
the script fails. Renders/s are medians of REPEATS runs of RENDER_SECONDS
(default 1) each. The same render with the page data already in sx
(render_html of (~feed-page :data *feed*)) shows what the conversion costs."""
import gc
import importlib.util
import json
import os
import statistics
import sys
import time

import sexpdata

import sexp
from sexp import Keyword, Symbol

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = os.path.join(HERE, "..", "tests", "oracles", "render_dom_oracle.py")
PAGE_SX = os.path.join(HERE, "html", "feed_page.sx")
CARDS = 50


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fail(message):
    sys.exit("bench_python.py: " + message)


# --------------------------------------------------------------------------
# Parse


def timed_parse(make_input, parse, repeats):
    """Median seconds of parse(input) + gc.collect(0), input made untimed,
    after one untimed run."""
    times = []
    for run in range(repeats + 1):
        data = make_input()
        start = time.perf_counter()
        result = parse(data)
        gc.collect(0)
        if run:
            times.append(time.perf_counter() - start)
        del result, data
    return statistics.median(times)


def sx_to_json(v):
    """gen_feed.py's sx mapping undone: (Type :k v …) → dict with "type",
    (list …) → list, (section …)/(p …) → ["section", …]."""
    if isinstance(v, list):
        head = v[0]
        if not isinstance(head, Symbol):
            fail("a list without a head symbol in the sx feed")
        if head.name == "list":
            return [sx_to_json(x) for x in v[1:]]
        if head.name in ("section", "p"):
            return [head.name] + [sx_to_json(x) for x in v[1:]]
        out = {"type": head.name}
        for k, x in zip(v[1::2], v[2::2]):
            if not isinstance(k, Keyword):
                fail("a non-keyword key in the sx feed")
            out[k.name] = sx_to_json(x)
        return out
    return v


def bench_parse(prefix, repeats, slice_activities):
    with open(prefix + ".sx", "rb") as f:
        sx_raw = f.read()
    with open(prefix + ".json", "rb") as f:
        json_raw = f.read()
    activities = json.loads(json_raw)["orderedItems"]
    if sx_to_json(sexp.parse(sx_raw))["ordered-items"] != activities:
        fail("sexp.parse of the sx feed is not the JSON twin's data")
    count = len(activities)
    del activities
    gc.collect()

    sx_mb, json_mb = len(sx_raw) / 1e6, len(json_raw) / 1e6
    rows = [
        ("sexp.parse(str)", sx_mb, timed_parse(sx_raw.decode, sexp.parse, repeats)),
        ("json.loads(str)", json_mb, timed_parse(json_raw.decode, json.loads, repeats)),
        ("sexp.parse(bytes)", sx_mb, timed_parse(lambda: sx_raw, sexp.parse, repeats)),
        ("json.loads(bytes)", json_mb, timed_parse(lambda: json_raw, json.loads, repeats)),
    ]
    print("parse: feed of %d activities, %.1f MB of sx, %.1f MB of JSON twin (medians of %d)" %
          (count, sx_mb, json_mb, repeats))
    rate = {}
    for name, mb, seconds in rows:
        rate[name] = mb / seconds
        print("  %-20s %8.1f MB/s  %8.1f ms" % (name, mb / seconds, seconds * 1e3))
    print("  sexp / json.loads = %.2fx MB/s from str, %.2fx from bytes   (target >= 1x)" %
          (rate["sexp.parse(str)"] / rate["json.loads(str)"],
           rate["sexp.parse(bytes)"] / rate["json.loads(bytes)"]))

    # The same envelope around the first activities (one per line in the sx).
    lines = sx_raw.decode().split("\n")
    n = min(slice_activities, count)
    piece = lines[0] + "\n" + "\n".join(lines[1:1 + n]) + "))\n"
    got = sexpdata.loads(piece)
    if len(got[2]) - 1 != n or len(sexp.parse(piece)[2]) - 1 != n:
        fail("the sexpdata slice does not hold %d activities" % n)
    del got
    gc.collect()
    mb = len(piece.encode()) / 1e6
    ours = mb / timed_parse(lambda: piece.encode().decode(), sexp.parse, repeats)
    theirs = mb / timed_parse(lambda: piece.encode().decode(), sexpdata.loads, repeats)
    print("parse: first %d activities, %.2f MB of sx (medians of %d)" % (n, mb, repeats))
    print("  %-20s %8.1f MB/s" % ("sexp.parse(str)", ours))
    print("  %-20s %8.1f MB/s" % ("sexpdata.loads(str)", theirs))
    print("  sexp / sexpdata = %.1fx MB/s   (target >= 20x)" % (ours / theirs))


# --------------------------------------------------------------------------
# Render


def to_sx_data(v):
    """The Jinja page's data in the shape ~feed-page reads: Keyword keys."""
    if isinstance(v, dict):
        return {Keyword(k): to_sx_data(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_sx_data(x) for x in v]
    return v


def renders_per_second(render, seconds, repeats):
    rates = []
    for _ in range(repeats):
        runs, start = 0, time.perf_counter()
        while True:
            render()
            runs += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        rates.append(runs / elapsed)
    return statistics.median(rates)


def bench_render(jinja_py, repeats, seconds):
    import jinja2

    page = load_module("jinja_page", jinja_py)
    oracle = load_module("render_dom_oracle", ORACLE)

    jenv = jinja2.Environment(loader=jinja2.DictLoader({"card.html": page.CARD,
                                                        "page.html": page.PAGE}),
                              autoescape=True)
    template, ctx = jenv.get_template("page.html"), page.data(CARDS)
    env = sexp.Env()
    env.load(PAGE_SX)
    data = to_sx_data(ctx)

    ours, theirs = env.render("~feed-page", data=data), template.render(**ctx)
    if not ours.startswith("<!DOCTYPE html>"):
        fail("the sx page does not start with <!DOCTYPE html>")
    if ours.count("<article") != CARDS:
        fail("expected %d cards in the sx page, got %d" % (CARDS, ours.count("<article")))
    d = oracle.first_difference(oracle.tree(ours), oracle.tree(theirs))
    if d:
        fail("the sx and Jinja2 pages differ in DOM: " + d)
    in_sx = env.render_html("(~feed-page :data *feed*)")
    if in_sx != ours:
        fail("the page from Python data differs from the page from sx data")

    sx_rps = renders_per_second(lambda: env.render("~feed-page", data=data), seconds, repeats)
    sx_only = renders_per_second(lambda: env.render_html("(~feed-page :data *feed*)"),
                                 seconds, repeats)
    j_rps = renders_per_second(lambda: template.render(**ctx), seconds, repeats)
    print("render: feed page, %d cards, same DOM as Jinja2 (medians of %d)" % (CARDS, repeats))
    print("  %-34s %9.0f renders/s  %7.1f us/render  %6.1f MB/s of HTML  (%d bytes)" %
          ("sexp env.render (Python data)", sx_rps, 1e6 / sx_rps, sx_rps * len(ours) / 1e6,
           len(ours)))
    print("  %-34s %9.0f renders/s  %7.1f us/render" %
          ("sexp render_html (data in sx)", sx_only, 1e6 / sx_only))
    print("  %-34s %9.0f renders/s  %7.1f us/render  %6.1f MB/s of HTML  (%d bytes)" %
          ("jinja2 template.render", j_rps, 1e6 / j_rps, j_rps * len(theirs) / 1e6,
           len(theirs)))
    print("  converting the Python data: %.1f us of each env.render" %
          max(0.0, 1e6 / sx_rps - 1e6 / sx_only))
    print("  sexp / jinja2 = %.1fx renders/s   (target >= 20x)" % (sx_rps / j_rps))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    prefix, jinja_py = sys.argv[1:3]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    slice_activities = int(sys.argv[4]) if len(sys.argv) > 4 else 4000
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
    bench_parse(prefix, repeats, slice_activities)
    gc.collect()
    print()
    bench_render(jinja_py, repeats, seconds)


if __name__ == "__main__":
    main()
