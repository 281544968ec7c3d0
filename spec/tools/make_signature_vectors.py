#!/usr/bin/python3
"""Writes spec/vectors/signatures.jsonl (spec/signatures.md, "Vectors").

Run with Debian's interpreter:  /usr/bin/python3 spec/tools/make_signature_vectors.py
(it needs python3-cryptography and nothing else outside this directory).

The keys are the RFC 8032 section 7.1 test keys TEST 1 and TEST 2, and
Ed25519 is deterministic, so every signature below is reproducible byte for
byte. Every INNER is written by hand in canonical form (spec/canonical.md);
the script
  * checks each hand-written INNER, signed-bytes text and envelope with the
    canonical-text checker of make_vectors.py (which reads canonical text only),
  * builds the signed bytes and the envelope by the rules of signatures.md
    section 2 (the text is fixed: the field names are already in sorted order),
  * signs with `cryptography` and verifies every signature again,
  * derives the tampered texts from the canonical envelopes by replacements
    that must each match exactly once, and for every `bad-signature`
    expectation checks that the signature indeed fails over the bytes the
    tampered text claims to sign,
  * computes the Multikey (base58btc) and SPKI PEM forms of the public keys.
It exits non-zero, writing nothing, if any check fails.
"""

import base64
import json
import os
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                               Ed25519PublicKey)

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(os.path.dirname(HERE), "vectors")
sys.path.insert(0, HERE)
from make_vectors import CanonicalChecker, NotCanonical, dump  # noqa: E402

# ---------------------------------------------------------------------------
# Keys: RFC 8032 section 7.1, TEST 1 and TEST 2.
# ---------------------------------------------------------------------------

ALICE = "https://rose-ash.com/ap/users/alice#main-key"
BOB = "https://blog.example/ap/users/bob#main-key"

KEYS = {
    "test1": {
        "key_id": ALICE,
        "seed": "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "public": "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        # RFC 8032 TEST 1: the signature of the empty message.
        "rfc_message": b"",
        "rfc_signature": "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                         "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    },
    "test2": {
        "key_id": BOB,
        "seed": "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "public": "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        # RFC 8032 TEST 2: the signature of the one byte 0x72.
        "rfc_message": b"\x72",
        "rfc_signature": "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                         "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    },
}

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58btc(data):
    """Bitcoin-alphabet base58 (no multibase prefix)."""
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + out


def base58btc_decode(text):
    n = 0
    for c in text:
        n = n * 58 + B58.index(c)
    ones = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * ones + body


def multikey(public_raw):
    """FEP-521a Multikey of an Ed25519 public key: 'z' + base58btc(0xed 0x01 + key)."""
    return "z" + base58btc(b"\xed\x01" + public_raw)


class TestKey:
    def __init__(self, name, spec):
        self.name = name
        self.key_id = spec["key_id"]
        self.private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(spec["seed"]))
        self.public = self.private.public_key()
        raw = self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        assert raw.hex() == spec["public"], name + ": the seed does not give RFC 8032's public key"
        sig = self.private.sign(spec["rfc_message"])
        assert sig.hex() == spec["rfc_signature"], name + ": RFC 8032's signature not reproduced"
        self.seed_hex = spec["seed"]
        self.public_hex = spec["public"]
        self.multikey = multikey(raw)
        assert self.multikey.startswith("z6Mk") and len(self.multikey) == 48, self.multikey
        assert base58btc_decode(self.multikey[1:]) == b"\xed\x01" + raw
        self.pem = self.public.public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
        assert self.pem.startswith("-----BEGIN PUBLIC KEY-----\n") and self.pem.endswith("-----END PUBLIC KEY-----\n")
        # The PEM and the Multikey name the same key.
        again = serialization.load_pem_public_key(self.pem.encode("ascii"))
        assert isinstance(again, Ed25519PublicKey)
        assert again.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == raw

    def sign(self, data):
        return self.private.sign(data)

    def verifies(self, signature, data):
        try:
            self.public.verify(signature, data)
            return True
        except InvalidSignature:
            return False


# ---------------------------------------------------------------------------
# Canonical text pieces (spec/canonical.md).
# ---------------------------------------------------------------------------

def quote(s):
    """A string literal in canonical form (canonical.md section 4)."""
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def fields(alg, created, key_id):
    """` :alg "A" :created T :key-id "K"` — alg < created < key-id bytewise."""
    assert isinstance(created, int) and created >= 0
    return " :alg %s :created %d :key-id %s" % (quote(alg), created, quote(key_id))


def signed_bytes(alg, created, key_id, inner):
    return "(sx-signature-v1" + fields(alg, created, key_id) + " " + inner + ")"


def sig_form(alg, created, key_id, sig_b64):
    return "(sig" + fields(alg, created, key_id) + " :sig " + quote(sig_b64) + ")"


def check_canonical(what, text):
    try:
        CanonicalChecker(text).parse()
    except NotCanonical as e:
        raise AssertionError("%s: %r is not canonical: %s" % (what, text, e))


def b64(data):
    return base64.b64encode(data).decode("ascii")


# ---------------------------------------------------------------------------
# Signing vectors: (name, INNER (canonical, by hand), [(key, created, key_id)]).
# One signer gives the flat envelope; two give the co-signed form, signed in
# the order listed.
# ---------------------------------------------------------------------------

T0 = 1733500000  # 2024-12-06T15:46:40Z

NOTE = '(Create :actor "https://rose-ash.com/ap/users/alice" :id 1 (Note :content "hello"))'
DICT = '{:name "alice" :roles ("admin" "editor") "x-custom" 7}'
ESCAPED = r'(Note :content "she said \"hi\" \\o/")'
INTEGERS = "(point :x -17 :y 0 :z 9223372036854775807)"
ATOMS = '(blob :data #b64"aGVsbG8=" :kind :image :none nil :ok true)'
SMALL = "(x)"

KEYS_OBJ = {name: TestKey(name, spec) for name, spec in KEYS.items()}
DID_KEY = "did:key:%s#%s" % (KEYS_OBJ["test1"].multikey, KEYS_OBJ["test1"].multikey)
LONG_KEY_ID = "https://rose-ash.com/keys/" + "k" * (2048 - len("https://rose-ash.com/keys/"))
assert len(LONG_KEY_ID.encode("utf-8")) == 2048

# Key records: (record name, RFC 8032 key, key id). A verifier's resolver
# (the `key` field of a verification vector) holds some of these records.
RECORDS = [
    ("test1", "test1", ALICE),
    ("test2", "test2", BOB),
    ("test1-did", "test1", DID_KEY),
    ("test1-long", "test1", LONG_KEY_ID),
]
RECORD = {r[0]: r for r in RECORDS}

# Signers: (record name, created); the key id is the record's.
SIGNING = [
    ("note", NOTE, [("test1", T0)]),
    ("dict", DICT, [("test1", T0)]),
    ("escaped-quote", ESCAPED, [("test2", T0)]),
    ("integers-did-key-created-0", INTEGERS, [("test1-did", 0)]),
    ("atoms", ATOMS, [("test2", T0 + 5)]),
    ("long-key-id-2048-bytes", SMALL, [("test1-long", T0)]),
    ("cosigned-note", NOTE, [("test1", T0), ("test2", T0 + 60)]),
]


def build_signing(name, inner, signers):
    check_canonical(name + " inner", inner)
    sigs = []
    for record, created in signers:
        _, key_name, key_id = RECORD[record]
        key = KEYS_OBJ[key_name]
        data = signed_bytes("ed25519", created, key_id, inner)
        check_canonical(name + " signed bytes", data)
        signature = key.sign(data.encode("utf-8"))
        assert len(signature) == 64
        assert key.verifies(signature, data.encode("utf-8")), name
        # One changed byte of the signed text fails (the binding is real).
        assert not key.verifies(signature, data.replace(")", " )", 1).encode("utf-8")), name
        sigs.append({"key": record, "alg": "ed25519", "created": created, "key_id": key_id,
                     "signed_bytes": data, "signature_b64": b64(signature),
                     "public_key_multikey": key.multikey, "public_key_pem": key.pem})
    if len(sigs) == 1:
        s = sigs[0]
        envelope = ("(signed" + fields(s["alg"], s["created"], s["key_id"]) +
                    " :sig " + quote(s["signature_b64"]) + " " + inner + ")")
    else:
        envelope = ("(signed :sigs (" +
                    " ".join(sig_form(s["alg"], s["created"], s["key_id"], s["signature_b64"])
                             for s in sigs) + ") " + inner + ")")
    check_canonical(name + " envelope", envelope)
    if len(sigs) == 1:
        s = sigs[0]
        rec = {"name": name, "key": s["key"], "inner": inner, "alg": s["alg"],
               "created": s["created"], "key_id": s["key_id"], "signed_bytes": s["signed_bytes"],
               "signature_b64": s["signature_b64"], "envelope": envelope,
               "public_key_multikey": s["public_key_multikey"], "public_key_pem": s["public_key_pem"]}
    else:
        rec = {"name": name, "inner": inner, "sigs": sigs, "envelope": envelope}
    return rec


SIGNED = {}
for _name, _inner, _signers in SIGNING:
    SIGNED[_name] = build_signing(_name, _inner, _signers)

NOTE_ENV = SIGNED["note"]["envelope"]
NOTE_SIG = SIGNED["note"]["signature_b64"]
CO = SIGNED["cosigned-note"]
CO_SIG1, CO_SIG2 = CO["sigs"][0]["signature_b64"], CO["sigs"][1]["signature_b64"]
assert NOTE_SIG == CO_SIG1  # same key, time, key id and INNER: Ed25519 gives the same bytes


def replace_once(text, old, new):
    assert text.count(old) == 1, "%r occurs %d times" % (old, text.count(old))
    return text.replace(old, new)


def note_with(*pairs):
    text = NOTE_ENV
    for old, new in pairs:
        text = replace_once(text, old, new)
    return text


# ---------------------------------------------------------------------------
# Verification vectors: a text, the verifier's keys and time, the outcome.
#   V(name, text, expect, key="test1", now=T0 + 10, max_age=None, each=None,
#     claims=None)
# `claims`, for a `bad-signature` expectation: (key, alg, created, key_id,
# canonical INNER, signature base64) as the tampered text states them; the
# script checks that the signature does not verify over those signed bytes.
# `sound`, for a `valid` expectation: the signing vector (and signature
# index) the text re-spells; the script checks its signature is the one in
# the text.
# ---------------------------------------------------------------------------

VERIFY = []


def V(name, text, expect, key="test1", now=T0 + 10, max_age=None, each=None, claims=None,
      sound=None):
    VERIFY.append((name, text, expect, key, now, max_age, each, claims, sound))


# --- re-spellings of valid envelopes: they verify
V("note-respelled",
  '; the "note" envelope, re-spelled\n'
  '[signed :sig "%s"\n'
  '        :key-id "https://rose-ash.com/ap/users/\\u0061lice#main-key" ; who signed\n'
  '        :created 1733500000\n'
  '        :alg "ed25519"\n'
  '  #;(an ignored datum)\n'
  '  (Create :id 1\n'
  '          :actor "https://rose-ash.com/ap/users/alice"\n'
  '          [Note :content "h\\u0065llo"])]\n' % NOTE_SIG,
  "valid", sound=("note", 0))
V("note-inner-first",
  '(signed (Create :id 1 :actor "https://rose-ash.com/ap/users/alice" (Note :content "hello"))'
  ' :sig "%s" :alg "ed25519" :key-id "%s" :created 1733500000)' % (NOTE_SIG, ALICE),
  "valid", sound=("note", 0))
V("note-as-sigs-form",
  '(signed :sigs ((sig :sig "%s" :alg "ed25519" :created 1733500000 :key-id "%s")) %s)'
  % (NOTE_SIG, ALICE, NOTE),
  "valid", sound=("note", 0))
V("dict-respelled",
  '(signed :alg "ed25519" :created 1733500000 :key-id "%s" :sig "%s"\n'
  '  {"x-custom" 7 :roles ["admin" "editor"] :name "alice"})'
  % (ALICE, SIGNED["dict"]["signature_b64"]),
  "valid", sound=("dict", 0))
V("escaped-quote-respelled",
  '(signed :key-id "%s" :created 1733500000 :alg "ed25519" :sig "%s"\n'
  '  (Note :content "she said \\u0022hi\\u0022 \\\\o/"))'
  % (BOB, SIGNED["escaped-quote"]["signature_b64"]),
  "valid", key="test2", sound=("escaped-quote", 0))
V("integers-respelled",
  '(signed :alg "ed25519" :created 0 :key-id "%s" :sig "%s"\n'
  '  (point :z 9223372036854775807 :x -17 :y -0))'
  % (DID_KEY, SIGNED["integers-did-key-created-0"]["signature_b64"]),
  "valid", key="test1-did", sound=("integers-did-key-created-0", 0))
V("atoms-respelled",
  '(signed :alg "ed25519" :created 1733500005 :key-id "%s" :sig "%s"\n'
  '  (blob :ok #t :none nil :kind :image :data #b64"aGVsbG8="))'
  % (BOB, SIGNED["atoms"]["signature_b64"]),
  "valid", key="test2", now=T0 + 15, sound=("atoms", 0))
V("cosigned-respelled-swapped",
  '(signed\n'
  '  :sigs [(sig :key-id "%s" :sig "%s" :created 1733500060 :alg "ed25519")\n'
  '         (sig :sig "%s" :alg "ed25519" :key-id "%s" :created 1733500000)]\n'
  '  (Create :id 1 :actor "https://rose-ash.com/ap/users/alice" (Note :content "hello")))'
  % (BOB, CO_SIG2, CO_SIG1, ALICE),
  "valid", key="test1 test2", now=T0 + 70, each=["valid", "valid"], sound=("cosigned-note", None))

# --- the time window (max_skew 300; max_age as given)
V("note-at-skew-limit", NOTE_ENV, "valid", now=T0 - 300, sound=("note", 0))
V("note-not-yet-valid", NOTE_ENV, "not-yet-valid", now=T0 - 301)
V("note-long-after-no-max-age", NOTE_ENV, "valid", now=T0 + 10 * 365 * 86400, sound=("note", 0))
V("note-inside-max-age", NOTE_ENV, "valid", now=T0 + 3600, max_age=3600, sound=("note", 0))
V("note-expired", NOTE_ENV, "expired", now=T0 + 3600 + 300 + 1, max_age=3600)

# --- changes of meaning: bad-signature
NOTE_CLAIM = ("test1", "ed25519", T0, ALICE)
V("note-inner-changed", note_with(('"hello"', '"hellO"')), "bad-signature",
  claims=NOTE_CLAIM + (NOTE.replace('"hello"', '"hellO"'), NOTE_SIG))
V("note-int-became-float", note_with((":id 1 ", ":id 1.0 ")), "bad-signature",
  claims=NOTE_CLAIM + (NOTE.replace(":id 1 ", ":id 1.0 "), NOTE_SIG))
V("note-inner-element-added", note_with(('(Note :content "hello")', '(Note :content "hello" :lang "en")')),
  "bad-signature",
  claims=NOTE_CLAIM + (NOTE.replace('(Note :content "hello")', '(Note :content "hello" :lang "en")'),
                       NOTE_SIG))
V("note-string-became-symbol", note_with(('"hello"', "hello")), "bad-signature",
  claims=NOTE_CLAIM + (NOTE.replace('"hello"', "hello"), NOTE_SIG))
V("note-created-changed", note_with((":created 1733500000", ":created 1733500001")), "bad-signature",
  claims=("test1", "ed25519", T0 + 1, ALICE, NOTE, NOTE_SIG))
V("note-key-id-of-another-key", note_with((quote(ALICE), quote(BOB))), "bad-signature",
  key="test1 test2", claims=("test2", "ed25519", T0, BOB, NOTE, NOTE_SIG))
FLIPPED = ("A" if NOTE_SIG[0] != "A" else "B") + NOTE_SIG[1:]
V("note-sig-first-char-changed", note_with((NOTE_SIG, FLIPPED)), "bad-signature",
  claims=NOTE_CLAIM + (NOTE, FLIPPED))
assert len(NOTE_SIG) == 88 and NOTE_SIG.endswith("==")
V("note-sig-truncated-to-63-bytes", note_with((NOTE_SIG, NOTE_SIG[:84])), "bad-signature",
  claims=NOTE_CLAIM + (NOTE, NOTE_SIG[:84]))
V("note-signed-by-the-other-key", note_with((NOTE_SIG, SIGNED["escaped-quote"]["signature_b64"])),
  "bad-signature", claims=NOTE_CLAIM + (NOTE, SIGNED["escaped-quote"]["signature_b64"]))

# --- the key id: unknown to the verifier
V("note-key-id-unknown", note_with((quote(ALICE), quote(BOB))), "unknown-key", key="test1")
V("note-no-keys", NOTE_ENV, "unknown-key", key="")

# --- algorithms: alg-not-allowed (checked before the key is looked up)
V("note-alg-none", note_with(('"ed25519"', '"none"')), "alg-not-allowed")
V("note-alg-empty", note_with(('"ed25519"', '""')), "alg-not-allowed")
V("note-alg-uppercase", note_with(('"ed25519"', '"ED25519"')), "alg-not-allowed")
V("note-alg-unknown", note_with(('"ed25519"', '"ed448"')), "alg-not-allowed")
V("note-alg-cavage-name", note_with(('"ed25519"', '"hs2019"')), "alg-not-allowed")
V("note-alg-hmac-not-allowed", note_with(('"ed25519"', '"hmac-sha256"')), "alg-not-allowed")
V("note-alg-does-not-fit-key", note_with(('"ed25519"', '"rsa-v1_5-sha256"')), "alg-not-allowed")
V("note-alg-ecdsa-does-not-fit-key", note_with(('"ed25519"', '"ecdsa-p256-sha256"')), "alg-not-allowed")

# --- malformed envelopes (refused before any key lookup or cryptography)
PAD_BITS = NOTE_SIG[:85] + next(c for c in "BCDEFGHIJKLMNOP" if c != NOTE_SIG[85]) + "=="
assert base64.b64decode(PAD_BITS) == base64.b64decode(NOTE_SIG[:85] + "A==")  # decodes, loosely
assert b64(base64.b64decode(PAD_BITS)) != PAD_BITS                              # but not canonical
V("note-sig-truncated-not-base64", note_with((NOTE_SIG, NOTE_SIG[:-1])), "malformed")
V("note-sig-unpadded", note_with((NOTE_SIG, NOTE_SIG[:-2])), "malformed")
V("note-sig-nonzero-pad-bits", note_with((NOTE_SIG, PAD_BITS)), "malformed")
V("note-sig-with-space", note_with((NOTE_SIG, NOTE_SIG[:44] + " " + NOTE_SIG[44:])), "malformed")
V("note-sig-url-safe-alphabet", note_with((NOTE_SIG, "-" + NOTE_SIG[1:])), "malformed")
V("note-sig-empty", note_with((quote(NOTE_SIG), '""')), "malformed")
V("note-sig-byte-string", note_with((quote(NOTE_SIG), '#b64"%s"' % NOTE_SIG)), "malformed")
V("note-sig-over-1-kib", note_with((NOTE_SIG, b64(b"\x01" * 1536))), "malformed")
V("note-missing-created", note_with((" :created 1733500000", "")), "malformed")
V("note-missing-sig", note_with((" :sig " + quote(NOTE_SIG), "")), "malformed")
V("note-repeated-alg", note_with((" (Create", ' :alg "ed25519" (Create')), "malformed")
V("note-unknown-field", note_with((" :sig ", ' :nonce "abc" :sig ')), "malformed")
V("note-two-inners", note_with((" (Create", " (x) (Create")), "malformed")
V("note-no-inner", note_with((" " + NOTE + ")", ")")), "malformed")
V("note-trailing-keyword-is-a-second-inner", note_with((NOTE + ")", NOTE + " :extra)")), "malformed")
V("note-created-negative", note_with((":created 1733500000", ":created -1")), "malformed")
V("note-created-float", note_with((":created 1733500000", ":created 1733500000.0")), "malformed")
V("note-created-string", note_with((":created 1733500000", ':created "1733500000"')), "malformed")
V("note-key-id-empty", note_with((quote(ALICE), '""')), "malformed")
V("note-key-id-symbol", note_with((quote(ALICE), "alice")), "malformed")
V("note-alg-symbol", note_with(('"ed25519"', "ed25519")), "malformed")
V("note-key-id-2049-bytes", note_with((quote(ALICE), quote(LONG_KEY_ID + "k"))), "malformed")
V("note-wrong-head", note_with(("(signed ", "(signature ")), "malformed")
V("note-head-string", note_with(("(signed ", '("signed" ')), "malformed")
V("not-a-list", quote(NOTE_ENV), "malformed")
V("note-sigs-and-flat-fields", note_with((" (Create", " :sigs (%s) (Create" % sig_form("ed25519", T0, ALICE, NOTE_SIG))),
  "malformed")
V("sigs-empty", "(signed :sigs () %s)" % NOTE, "malformed")
V("sigs-not-a-list", "(signed :sigs 1 %s)" % NOTE, "malformed")
V("sigs-entry-wrong-head", "(signed :sigs ((signature :alg \"ed25519\" :created %d :key-id %s :sig %s)) %s)"
  % (T0, quote(ALICE), quote(NOTE_SIG), NOTE), "malformed")
V("sigs-entry-extra-element", "(signed :sigs (%s) %s)"
  % (sig_form("ed25519", T0, ALICE, NOTE_SIG)[:-1] + " x)", NOTE), "malformed")
V("sigs-entry-missing-field", "(signed :sigs (%s) %s)"
  % (sig_form("ed25519", T0, ALICE, NOTE_SIG).replace(" :created %d" % T0, ""), NOTE), "malformed")
V("sigs-entry-nested-sigs", "(signed :sigs ((sig :sigs (%s))) %s)"
  % (sig_form("ed25519", T0, ALICE, NOTE_SIG), NOTE), "malformed")
V("note-inner-repeated-keyword",
  note_with((":id 1 (Note", ":id 1 :id 2 (Note")), "malformed")

# --- co-signatures: each checked on its own; all must verify
V("cosigned-one-key-unknown", CO["envelope"], "unknown-key", key="test1", now=T0 + 70,
  each=["valid", "unknown-key"])
V("cosigned-second-created-changed",
  replace_once(CO["envelope"], ":created 1733500060", ":created 1733500061"), "bad-signature",
  key="test1 test2", now=T0 + 70, each=["valid", "bad-signature"],
  claims=("test2", "ed25519", T0 + 61, BOB, NOTE, CO_SIG2))
V("cosigned-first-alg-none",
  replace_once(CO["envelope"], '(sig :alg "ed25519" :created 1733500000', '(sig :alg "none" :created 1733500000'),
  "alg-not-allowed", key="test1 test2", now=T0 + 70, each=["alg-not-allowed", "valid"])
V("cosigned-second-not-yet-valid", CO["envelope"], "not-yet-valid", key="test1 test2", now=T0 - 250,
  each=["valid", "not-yet-valid"])
SIXTEEN = "(signed :sigs (%s) %s)" % (" ".join([sig_form("ed25519", T0, ALICE, NOTE_SIG)] * 16), NOTE)
V("sigs-16-copies", SIXTEEN, "valid", sound=("note", 0))
V("sigs-17-copies", "(signed :sigs (%s) %s)" % (" ".join([sig_form("ed25519", T0, ALICE, NOTE_SIG)] * 17), NOTE),
  "malformed")

# --- the order of the checks
V("order-malformed-before-alg", note_with(('"ed25519"', '"none"'), (NOTE_SIG, NOTE_SIG[:-1])), "malformed")
V("order-alg-before-key", note_with(('"ed25519"', '"none"'), (quote(ALICE), quote(BOB))), "alg-not-allowed")
V("order-key-before-window", note_with((quote(ALICE), quote(BOB))), "unknown-key", now=T0 - 1000)
V("order-window-before-signature", note_with(('"hello"', '"hellO"')), "not-yet-valid", now=T0 - 1000)

CODES = {"bad-signature", "unknown-key", "expired", "not-yet-valid", "alg-not-allowed", "malformed"}


def resolver(key):
    """The verifier's keys for a `key` field: key id -> RFC 8032 key name."""
    held = key.split()
    assert len(set(held)) == len(held) and all(r in RECORD for r in held), key
    return {RECORD[r][2]: RECORD[r][1] for r in held}


def check_verify(name, text, expect, key, now, max_age, each, claims, sound):
    assert expect == "valid" or expect in CODES, name
    keys = resolver(key)
    if each is not None:
        assert all(e == "valid" or e in CODES for e in each), name
        firsts = [e for e in each if e != "valid"]
        assert expect == (firsts[0] if firsts else "valid"), name + ": expect is the first failure of each"
    if expect == "valid":
        assert sound is not None, name + ": a valid re-spelling names what it re-spells"
        base, index = sound
        rec = SIGNED[base]
        sigs = rec["sigs"] if "sigs" in rec else [rec]
        for s in (sigs if index is None else [sigs[index]]):
            assert s["signature_b64"] in text, name
            assert keys.get(s["key_id"]) == RECORD[s["key"]][1], name + ": the verifier lacks the key"
            assert KEYS_OBJ[RECORD[s["key"]][1]].verifies(base64.b64decode(s["signature_b64"]),
                                                          s["signed_bytes"].encode("utf-8")), name
            assert s["created"] <= now + 300, name
            assert max_age is None or s["created"] >= now - max_age, name
    if expect == "bad-signature":
        assert claims is not None, name + ": a bad-signature vector states what the text claims"
        kname, alg, created, key_id, inner, sig_b64 = claims
        check_canonical(name + " claimed inner", inner)
        assert keys.get(key_id) == kname, name
        raw = base64.b64decode(sig_b64, validate=True)
        assert b64(raw) == sig_b64, name + ": the claimed signature must be canonical base64"
        data = signed_bytes(alg, created, key_id, inner).encode("utf-8")
        assert not KEYS_OBJ[kname].verifies(raw, data), name + ": the tampered text still verifies"
    rec = {"name": name, "text": text, "expect": expect, "key": key, "now": now}
    if max_age is not None:
        rec["max_age"] = max_age
    if each is not None:
        rec["expect_each"] = each
    return rec


def key_record(record):
    name, key_name, key_id = record
    key = KEYS_OBJ[key_name]
    return {"name": "key-" + name, "key": name, "key_id": key_id, "seed_hex": key.seed_hex,
            "public_key_hex": key.public_hex, "public_key_multikey": key.multikey,
            "public_key_pem": key.pem}


def main():
    if not __debug__:
        sys.exit("make_signature_vectors.py: run without -O; its checks are assert statements")
    # base58btc against known values (the Bitcoin reference "hello world").
    assert base58btc(b"hello world") == "StV1DL6CwTryKyV"
    assert base58btc(b"\0\0\x01") == "112"
    assert base58btc_decode("StV1DL6CwTryKyV") == b"hello world"
    # The canonical checker agrees with the quoting used here.
    assert quote('a"b\\c\nd\x01') == r'"a\"b\\c\nd\u0001"'
    check_canonical("quote", quote('a"b\\c\nd\x01\x7f'))

    names = set()
    lines = []
    for record in RECORDS:
        rec = key_record(record)
        names.add(rec["name"])
        lines.append(dump(rec))
    n_signing = 0
    for name, _inner, _signers in SIGNING:
        assert name not in names, "duplicate vector name " + name
        names.add(name)
        lines.append(dump(SIGNED[name]))
        n_signing += 1
    counts = {}
    for v in VERIFY:
        name = v[0]
        assert name not in names, "duplicate vector name " + name
        names.add(name)
        lines.append(dump(check_verify(*v)))
        counts[v[2]] = counts.get(v[2], 0) + 1
    assert set(counts) == CODES | {"valid"}, sorted(counts)
    for line in lines:
        assert "\r" not in line and line.count("\n") == 1
        json.loads(line)

    os.makedirs(VECTORS, exist_ok=True)
    with open(os.path.join(VECTORS, "signatures.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        f.writelines(lines)
    print("signatures.jsonl: %d key records, %d signing vectors, %d verification vectors (%s)"
          % (len(RECORDS), n_signing, len(VERIFY),
             ", ".join("%s %d" % (k, counts[k]) for k in sorted(counts))))
    for k in KEYS_OBJ.values():
        print("  %s  %s" % (k.name, k.multikey))


if __name__ == "__main__":
    main()
