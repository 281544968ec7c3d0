#!/usr/bin/python3
"""Cache-key oracle: the vectors of spec/cache.md ("Key"), with hashlib.

    /usr/bin/python3 cache_key_oracle.py SPEC_CACHE_MD

For each vector (subtree:, input:…, bytes:, key:, cid:), independently of
libsexp:

  * key == "sha3-" + sha3_256(bytes as UTF-8).hexdigest();
  * cid == "b" + base32lower(01 55 16 20 + digest), unpadded;
  * bytes has the documented shape: "(subtree-key-v1 " … " {" … "})", and
    the input names, sorted by their UTF-8 bytes, appear in the dict in
    that order, each as a quoted string followed by a space.

tests/cache/cache_test.cc checks the same vectors against sexp::SubtreeKey.
Prints `N passed, M failed`; exits 0 only when M == 0 and N > 0.
"""

import base64
import hashlib
import re
import sys


def vectors(text):
    out = []
    for line in text.splitlines():
        m = re.match(r"^    (subtree|input|bytes|key|cid):\s+(.*)$", line)
        if not m:
            continue
        tag, value = m.groups()
        if tag == "subtree":
            out.append({"subtree": value, "inputs": []})
        elif tag == "input":
            out[-1]["inputs"].append(value)
        else:
            out[-1][tag] = value
    return out


def cid_of(digest):
    raw = bytes([0x01, 0x55, 0x16, 0x20]) + digest
    return "b" + base64.b32encode(raw).decode("ascii").lower().rstrip("=")


def check(v):
    problems = []
    data = v["bytes"].encode("utf-8")
    digest = hashlib.sha3_256(data).digest()
    if v["key"] != "sha3-" + digest.hex():
        problems.append("key %s != sha3 of bytes %s" % (v["key"], digest.hex()))
    if v["cid"] != cid_of(digest):
        problems.append("cid %s != %s" % (v["cid"], cid_of(digest)))
    head, tail = "(subtree-key-v1 ", "})"
    if not (v["bytes"].startswith(head) and v["bytes"].endswith(tail)):
        problems.append("bytes do not have the shape (subtree-key-v1 … {…})")
    # Input lines start with the name as a plain string literal.
    names = [re.match(r'^"([^"\\]*)"', i).group(1) for i in v["inputs"]]
    names.sort(key=lambda n: n.encode("utf-8"))
    pos = v["bytes"].find(" {")
    for n in names:
        at = v["bytes"].find('"%s" ' % n, pos)
        if at < 0:
            problems.append("input %r missing or out of order" % n)
            break
        pos = at + len(n) + 3
    return problems


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    passed = failed = 0
    for v in vectors(text):
        problems = check(v)
        if problems:
            failed += 1
            print("FAIL %s: %s" % (v["subtree"], "; ".join(problems)))
        else:
            passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
