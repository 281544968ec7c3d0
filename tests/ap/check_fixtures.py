#!/usr/bin/python3
"""Check the ActivityPub fixtures under tests/ap/fixtures.

Every fixture is parsed with json (UTF-8, strict).  If pyld is importable
(Debian: python3-pyld), every fixture is also expanded with
pyld.jsonld.expand and converted to N-Quads with pyld.jsonld.to_rdf, using a
document loader that serves only the files in tests/ap/contexts (mapped by
tests/ap/contexts/index.json).  Any other URL is an error that names it; the
network is never used.

Known issues are listed in the ```known block of tests/ap/fixtures/README.md:

    missing-context <url> <reason...>
        the context cannot be had; fixtures that reference it are reported
        as "known", not as failures.
    expand-context <fixture> <url> [<url>...]
        the fixture has no @context of its own; it is expanded with these
        contexts as pyld's expandContext (what the sending server adds).
    known-fail <fixture> <reason...>
        the fixture is kept as found although it does not expand; a failure
        is reported as "known".  If it expands after all, it is reported "ok".

Prints one line per fixture:
    ok <path> <n> triples, expanded <m> bytes
    known <path>: <why>
    FAIL <path>: <why>
then a summary line "N passed, N failed" (known ones are counted apart).

Exit status: 0 if nothing failed; 1 if something failed; 2 if --require-pyld
was given and pyld cannot be imported.
"""

import argparse
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
CONTEXTS = os.path.join(HERE, "contexts")
README = os.path.join(FIXTURES, "README.md")


class ContextNotVendored(Exception):
    def __init__(self, url):
        super().__init__("context not vendored in tests/ap/contexts: %s" % url)
        self.url = url


def load_json(path):
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")  # strict: invalid UTF-8 is an error

    def no_dup(pairs):
        d = {}
        for k, v in pairs:
            if k in d:
                raise ValueError("duplicate key %r" % k)
            d[k] = v
        return d

    return json.loads(text, object_pairs_hook=no_dup)


def read_known():
    missing, expand_ctx, known_fail = {}, {}, {}
    try:
        with open(README, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return missing, expand_ctx, known_fail
    inside = False
    for line in lines:
        s = line.strip()
        if not inside:
            inside = s == "```known"
            continue
        if s.startswith("```"):
            inside = False
            continue
        if not s or s.startswith("#"):
            continue
        parts = s.split()
        kind, rest = parts[0], parts[1:]
        if kind == "missing-context" and rest:
            missing[rest[0]] = " ".join(rest[1:]) or "listed in README"
        elif kind == "expand-context" and len(rest) >= 2:
            expand_ctx[rest[0]] = rest[1:]
        elif kind == "known-fail" and rest:
            known_fail[rest[0]] = " ".join(rest[1:]) or "listed in README"
        else:
            raise SystemExit("bad line in README known block: %r" % line)
    return missing, expand_ctx, known_fail


def context_urls(node, out):
    """Collect every remote context URL named anywhere in a JSON document."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "@context":
                collect_ctx(v, out)
            context_urls(v, out)
    elif isinstance(node, list):
        for v in node:
            context_urls(v, out)


def collect_ctx(ctx, out):
    if isinstance(ctx, str):
        out.add(ctx)
    elif isinstance(ctx, list):
        for c in ctx:
            collect_ctx(c, out)
    elif isinstance(ctx, dict):
        context_urls(ctx, out)  # scoped contexts inside term definitions


def vendored_contexts():
    """{url: document} of tests/ap/contexts, by its index.json."""
    with open(os.path.join(CONTEXTS, "index.json"), encoding="utf-8") as f:
        index = json.load(f)
    return {url: load_json(os.path.join(CONTEXTS, name)) for url, name in index.items()}


def install_loader(jsonld, docs):
    """Makes pyld load only `docs` (never the network, even by default) and
    returns that document loader."""
    def loader(url, options=None):
        if url not in docs:
            raise jsonld.JsonLdError(
                "context not vendored in tests/ap/contexts: %s" % url,
                "jsonld.LoadDocumentError", {"url": url},
                code="loading remote context failed")
        return {"contentType": "application/ld+json", "contextUrl": None,
                "documentUrl": url,
                "document": json.loads(json.dumps(docs[url]))}
    jsonld.set_document_loader(loader)
    return loader


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--require-pyld", action="store_true",
                    help="exit 2 if pyld cannot be imported")
    args = ap.parse_args()

    docs = vendored_contexts()

    missing, expand_ctx, known_fail = read_known()

    # Every context the vendored contexts name must itself be vendored.
    for url, doc in sorted(docs.items()):
        refs = set()
        context_urls(doc, refs)
        for r in sorted(refs - set(docs)):
            if r not in missing:
                print("FAIL context %s: names context %s, which is not vendored" % (url, r))
                return 1

    try:
        from pyld import jsonld
        have_pyld = True
    except ImportError as e:
        have_pyld = False
        print("note: pyld not importable (%s); JSON checks only, no expansion"
              " (Debian: apt-get install python3-pyld)" % e)
        if args.require_pyld:
            return 2

    if have_pyld:
        loader = install_loader(jsonld, docs)

    passed = failed = known = 0
    paths = sorted(glob.glob(os.path.join(FIXTURES, "**", "*.json"), recursive=True))
    for path in paths:
        rel = os.path.relpath(path, HERE)
        key = os.path.relpath(path, os.path.dirname(FIXTURES))  # fixtures/x/y.json
        try:
            doc = load_json(path)
        except Exception as e:  # noqa: BLE001 - report any parse error
            print("FAIL %s: invalid JSON or UTF-8: %s" % (rel, e))
            failed += 1
            continue
        refs = set()
        context_urls(doc, refs)
        extra = expand_ctx.get(key)
        if extra:
            refs.update(extra)
        unknown_missing = sorted(r for r in refs if r in missing)
        not_vendored = sorted(r for r in refs if r not in docs and r not in missing)
        if unknown_missing:
            print("known %s: context %s cannot be had (%s)"
                  % (rel, unknown_missing[0], missing[unknown_missing[0]]))
            known += 1
            continue
        if not have_pyld:
            if not_vendored:
                print("FAIL %s: context not vendored: %s" % (rel, ", ".join(not_vendored)))
                failed += 1
            elif not isinstance(doc, dict) or ("@context" not in doc and not extra):
                print("FAIL %s: no @context and no expand-context in README" % rel)
                failed += 1
            else:
                print("ok %s json only, %d contexts resolvable" % (rel, len(refs)))
                passed += 1
            continue
        opts = {"documentLoader": loader}
        if extra:
            opts["expandContext"] = {"@context": extra}
        try:
            expanded = jsonld.expand(doc, dict(opts))
            if not expanded:
                raise ValueError("expands to nothing (no @context?)")
            nquads = jsonld.to_rdf(doc, dict(opts, format="application/n-quads"))
            n = len([ln for ln in nquads.splitlines() if ln.strip()])
            size = len(json.dumps(expanded, ensure_ascii=False).encode("utf-8"))
            note = " (expandContext from README)" if extra else ""
            print("ok %s %d triples, expanded %d bytes%s" % (rel, n, size, note))
            passed += 1
        except Exception as e:  # noqa: BLE001 - report any pyld error
            why = describe(e)
            if key in known_fail:
                print("known %s: %s (README: %s)" % (rel, why, known_fail[key]))
                known += 1
            else:
                print("FAIL %s: %s" % (rel, why))
                failed += 1

    print("%d passed, %d failed" % (passed, failed)
          + (", %d known" % known if known else "")
          + ("" if have_pyld else " (JSON only: pyld missing)"))
    return 1 if failed else 0


def describe(e):
    """One line for a pyld error: its innermost cause, the URL it names and
    the outermost pyld error code."""
    chain = []
    while e is not None and len(chain) < 8:
        details = getattr(e, "details", None)
        details = details if isinstance(details, dict) else {}
        msg = e.args[0] if e.args and isinstance(e.args[0], str) else str(e)
        chain.append((msg.splitlines()[0] if msg else type(e).__name__,
                      getattr(e, "code", None), details.get("url")))
        e = getattr(e, "cause", None) or details.get("cause") or e.__cause__
    msg = chain[-1][0]
    urls = [u for _, _, u in chain if u]
    if urls and urls[0] not in msg:
        msg += " [url %s]" % urls[0]
    codes = [c for _, c, _ in chain if c]
    if codes:
        msg += " (pyld: %s)" % codes[0]
    return msg


if __name__ == "__main__":
    sys.exit(main())
