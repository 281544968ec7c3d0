"""Signatures from Python (issue 23): sexp.keys, sexp.sign/verify and
sexp.httpsig, checked against independent implementations — Debian's
python3-cryptography signs and verifies the same bytes both ways, `sexp canon`
(the CLI) writes the signed bytes, npm multiformats encodes Multikeys — plus
a Quart inbox that refuses forged and unsigned deliveries and a sender that
knocks twice."""
import asyncio
import base64
import json
import os
import random
import shutil
import subprocess

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (decode_dss_signature,
                                                             encode_dss_signature)

import sexp
from sexp import httpsig, keys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SEXP_BIN = os.environ.get("SEXP_BIN")
NOW = 1733500000


def canon(text: str) -> bytes:
    """Canonical bytes by the CLI, a separate program from the module."""
    if not SEXP_BIN:
        pytest.skip("SEXP_BIN not set")
    r = subprocess.run([SEXP_BIN, "canon", "-"], input=text.encode(), capture_output=True,
                       check=True)
    return r.stdout.rstrip(b"\n")


def random_doc(rng: random.Random, depth: int = 0):
    pick = rng.randrange(8 if depth < 3 else 4)
    if pick == 0:
        return rng.randrange(-10**12, 10**12)
    if pick == 1:
        return "".join(rng.choice("ab \"\\\nçé😀<") for _ in range(rng.randrange(8)))
    if pick == 2:
        return sexp.Symbol(rng.choice(["Note", "Create", "p", "~card"]))
    if pick == 3:
        return rng.choice([True, False, None])
    if pick in (4, 5):
        return [sexp.Symbol("f")] + [random_doc(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {f"k{i}": random_doc(rng, depth + 1) for i in range(rng.randrange(4))}


def signed_bytes(alg: str, created: int, key_id: str, inner_text: str) -> bytes:
    # Written in a non-canonical order on purpose: the CLI puts it right.
    return canon(f'(sx-signature-v1 :key-id {json.dumps(key_id)} :created {created} '
                 f':alg "{alg}" {inner_text})')


# cryptography's key, its sexp twin, and how cryptography signs/verifies.
def _pairs():
    ed = ed25519.Ed25519PrivateKey.generate()
    rs = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    p2 = ec.generate_private_key(ec.SECP256R1())
    pkcs8 = dict(encoding=serialization.Encoding.PEM, format=serialization.PrivateFormat.PKCS8,
                 encryption_algorithm=serialization.NoEncryption())

    def ecdsa_sign(data):
        r, s = decode_dss_signature(p2.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def ecdsa_verify(sig, data):
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        p2.public_key().verify(der, data, ec.ECDSA(hashes.SHA256()))

    return [
        ("ed25519", ed, ed.sign, lambda sig, d: ed.public_key().verify(sig, d)),
        ("rsa-v1_5-sha256", rs, lambda d: rs.sign(d, padding.PKCS1v15(), hashes.SHA256()),
         lambda sig, d: rs.public_key().verify(sig, d, padding.PKCS1v15(), hashes.SHA256())),
        ("ecdsa-p256-sha256", p2, ecdsa_sign, ecdsa_verify),
    ], pkcs8


def test_envelopes_agree_with_cryptography_both_ways():
    rng = random.Random(23)
    pairs, pkcs8 = _pairs()
    for alg, priv, crypto_sign, crypto_verify in pairs:
        key = keys.load_pem(priv.private_bytes(**pkcs8))
        assert key.alg == alg
        for i in range(8):
            inner = random_doc(rng)
            key_id = f"https://rose-ash.com/ap/users/u{i}#main-key"
            # sexp signs; cryptography checks the signature over the CLI's bytes.
            env = sexp.sign(inner, key, key_id=key_id, created=NOW + i)
            env_text = sexp.dumps(env)
            inner_text = sexp.dumps(inner)
            sig = base64.b64decode(env[env.index(sexp.Keyword("sig")) + 1])
            crypto_verify(sig, signed_bytes(alg, NOW + i, key_id, inner_text))
            # cryptography signs the same bytes; sexp verifies the envelope.
            theirs = base64.b64encode(crypto_sign(signed_bytes(alg, NOW + i, key_id, inner_text)))
            text = (f'(signed :sig "{theirs.decode()}" :key-id {json.dumps(key_id)} '
                    f':alg "{alg}" :created {NOW + i} {inner_text})')
            v = sexp.verify(text, keys={key_id: key.public()}, now=NOW)
            assert (v.key_id, v.alg, v.created) == (key_id, alg, NOW + i)
            assert sexp.dumps(v.value) == inner_text
            # The envelope sexp made is canonical text already.
            assert canon(env_text).decode() == env_text


def test_pem_keys_interoperate_with_cryptography():
    pairs, pkcs8 = _pairs()
    for alg, priv, crypto_sign, crypto_verify in pairs:
        ours = keys.load_pem(priv.private_bytes(**pkcs8))
        theirs_pub = serialization.load_pem_public_key(ours.public_pem().encode())
        assert theirs_pub.public_bytes(serialization.Encoding.DER,
                                       serialization.PublicFormat.SubjectPublicKeyInfo) == \
            priv.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
        crypto_verify(ours.sign_bytes(b"raw"), b"raw")
        ours.public().verify_bytes(b"raw", crypto_sign(b"raw"))
        with pytest.raises(sexp.SignatureError) as e:
            ours.public().verify_bytes(b"raw!", crypto_sign(b"raw"))
        assert e.value.code == "bad-signature"
    for kind in ("ed25519", "rsa", "p256"):
        generated = keys.generate(kind)
        loaded = serialization.load_pem_private_key(generated.private_pem().encode(), None)
        assert loaded.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode() == generated.public_pem()


def test_multikey_matches_multiformats():
    node = shutil.which("node")
    mods = os.path.join(ROOT, "tests", "oracles", "node_modules", "multiformats")
    if not node or not os.path.isdir(mods):
        pytest.skip("node or multiformats missing (scripts/deps.sh installs them)")
    raws, ours = [], []
    for _ in range(20):
        k = ed25519.Ed25519PrivateKey.generate()
        pem = k.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
        raws.append(k.public_key().public_bytes(serialization.Encoding.Raw,
                                                serialization.PublicFormat.Raw).hex())
        ours.append(keys.load_pem(pem).multikey())
    script = ("import { base58btc } from 'multiformats/bases/base58';"
              "const raws = JSON.parse(process.argv[1]);"
              "console.log(JSON.stringify(raws.map(h => base58btc.encode("
              "Uint8Array.from([0xed, 0x01, ...Buffer.from(h, 'hex')])))));")
    r = subprocess.run([node, "--input-type=module", "-e", script, json.dumps(raws)],
                       cwd=os.path.join(ROOT, "tests", "oracles"), capture_output=True, text=True,
                       check=True)
    assert json.loads(r.stdout) == ours
    for text, raw in zip(ours, raws):
        assert text.startswith("z6Mk")
        back = keys.from_multikey(text)
        assert serialization.load_pem_public_key(back.public_pem().encode()).public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex() == raw


def test_errors_have_codes():
    k = keys.generate()
    env = sexp.sign(["x"], k, key_id="k", created=NOW)
    with pytest.raises(sexp.SignatureError) as e:
        sexp.verify(env, keys={}, now=NOW)
    assert e.value.code == "unknown-key"
    with pytest.raises(sexp.SignatureError) as e:
        sexp.verify(env, keys={"k": k}, now=NOW - 1000)
    assert e.value.code == "not-yet-valid"
    with pytest.raises(sexp.SignatureError) as e:
        sexp.verify(env, keys={"k": k}, now=NOW + 7200, max_age=3600)
    assert e.value.code == "expired"
    with pytest.raises(sexp.SignatureError) as e:
        sexp.verify("(signed :alg \"none\" :created 1 :key-id \"k\" :sig \"AA==\" (x))",
                    keys={"k": k})
    assert e.value.code == "alg-not-allowed"
    with pytest.raises(sexp.SignatureError) as e:
        sexp.verify(["not", "signed"], keys={"k": k})
    assert e.value.code == "malformed"
    secret = keys.generate("hmac")
    hm = sexp.sign(["x"], secret, key_id="s", created=NOW)
    with pytest.raises(sexp.SignatureError) as e:
        sexp.verify(hm, keys={"s": secret}, now=NOW)
    assert e.value.code == "alg-not-allowed"
    assert sexp.verify(hm, keys={"s": secret}, now=NOW, allowed=["hmac-sha256"]).alg == "hmac-sha256"
    with pytest.raises(TypeError):
        async def fetch(key_id):
            return k
        sexp.verify(env, keys=fetch, now=NOW)


def test_cosigning_and_async_resolver():
    a, b = keys.generate(), keys.generate("p256")
    env = sexp.cosign(sexp.sign({"n": 1}, a, key_id="a", created=NOW), b, key_id="b",
                      created=NOW)
    v = sexp.verify(env, keys={"a": a, "b": b}, now=NOW)
    assert [s[0] for s in v.signatures] == ["a", "b"]
    each = sexp.verify_each(env, keys={"a": a}, now=NOW)
    assert each[0] == ("a", "ed25519", NOW)
    assert isinstance(each[1], sexp.SignatureError) and each[1].code == "unknown-key"

    fetched = []

    async def fetch(key_id):
        await asyncio.sleep(0)
        fetched.append(key_id)
        return {"a": a, "b": b}.get(key_id)

    v = asyncio.run(sexp.verify_async(env, keys=fetch, now=NOW))
    assert v.value == {"n": 1} and fetched == ["a", "b"]


# --- HTTP -------------------------------------------------------------------

def test_http_signatures_checked_by_cryptography():
    """A sexp-signed RFC 9421 request: cryptography verifies the signature
    over the signature base the RFC defines, rebuilt here by hand."""
    priv = ed25519.Ed25519PrivateKey.generate()
    pem = priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    key = keys.load_pem(pem)
    body = b'{"type": "Follow"}'
    added = httpsig.sign_request("POST", "https://b.example/users/bob/inbox?x=1",
                                 {"Host": "b.example", "Date": "Sat, 07 Dec 2024 00:00:00 GMT"},
                                 body, key=key, key_id="https://a.example/alice#k", created=NOW)
    digest = "sha-256=:" + base64.b64encode(__import__("hashlib").sha256(body).digest()).decode() + ":"
    assert added["Content-Digest"] == digest
    params = added["Signature-Input"].split("=", 1)[1]
    base = "\n".join([
        '"@method": POST', '"@target-uri": https://b.example/users/bob/inbox?x=1',
        '"@authority": b.example', f'"content-digest": {digest}',
        '"date": Sat, 07 Dec 2024 00:00:00 GMT', f'"@signature-params": {params}'])
    assert params == ('("@method" "@target-uri" "@authority" "content-digest" "date");'
                      f'created={NOW};keyid="https://a.example/alice#k"')
    sig = base64.b64decode(added["Signature"].split("=:", 1)[1].rstrip(":"))
    priv.public_key().verify(sig, base.encode())
    # And the other way: cryptography's RSA signature in cavage form.
    rs = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    text = "\n".join(["(request-target): post /inbox", "host: b.example",
                      "date: Sat, 07 Dec 2024 00:00:00 GMT",
                      "digest: SHA-256=" + base64.b64encode(__import__("hashlib").sha256(body).digest()).decode()])
    s = base64.b64encode(rs.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    headers = [("Host", "b.example"), ("Date", "Sat, 07 Dec 2024 00:00:00 GMT"),
               ("Digest", text.rsplit("digest: ", 1)[1]),
               ("Signature", f'keyId="rs",algorithm="hs2019",headers="(request-target) host date digest",signature="{s}"')]
    pub = keys.load_pem(rs.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    v = httpsig.verify_request("POST", "https://b.example/inbox", headers, body, keys={"rs": pub},
                               now=1733529600)
    assert (v.scheme, v.alg) == ("cavage", "rsa-v1_5-sha256")
    with pytest.raises(sexp.SignatureError) as e:
        httpsig.verify_request("POST", "https://b.example/inbox", headers, body + b" ",
                               keys={"rs": pub}, now=1733529600)
    assert e.value.code == "digest-mismatch"


def _inbox_app(accept_schemes):
    quart = pytest.importorskip("quart")
    app = quart.Quart("inbox")
    known = {}
    received = []

    @app.post("/inbox")
    async def inbox():
        try:
            who = await httpsig.verify_quart(quart.request, keys=lambda k: known.get(k))
        except sexp.SignatureError as e:
            return e.code, 403
        if who.scheme not in accept_schemes:
            return "scheme", 401
        received.append((who.key_id, who.scheme, await quart.request.get_data()))
        return "", 202

    return app, known, received


def test_quart_inbox_refuses_forged_and_unsigned():
    app, known, received = _inbox_app({"rfc9421", "cavage"})
    alice, mallory = keys.generate("rsa"), keys.generate("rsa")
    known["https://a.example/alice#main-key"] = alice.public()
    url = "http://localhost/inbox"
    body = b'{"type": "Create"}'

    async def run():
        client = app.test_client()
        out = []
        for scheme in ("rfc9421", "cavage"):
            h = {"Content-Type": "application/activity+json", "Host": "localhost"}
            h.update(httpsig.sign_request("POST", url, h, body, key=alice,
                                          key_id="https://a.example/alice#main-key",
                                          scheme=scheme))
            out.append((await client.post("/inbox", data=body, headers=h)).status_code)
            forged = {"Content-Type": "application/activity+json", "Host": "localhost"}
            forged.update(httpsig.sign_request("POST", url, forged, body, key=mallory,
                                               key_id="https://a.example/alice#main-key",
                                               scheme=scheme))
            out.append((await client.post("/inbox", data=body, headers=forged)).status_code)
            tampered = dict(h)
            out.append((await client.post("/inbox", data=body + b"!", headers=tampered)).status_code)
        out.append((await client.post("/inbox", data=body, headers={"Host": "localhost"})).status_code)
        return out

    assert asyncio.run(run()) == [202, 403, 403, 202, 403, 403, 403]
    assert [r[1] for r in received] == ["rfc9421", "cavage"]


def test_deliver_knocks_twice_and_remembers():
    app, known, received = _inbox_app({"cavage"})  # a peer that speaks only cavage
    key = keys.generate()
    known["https://a.example/alice#k"] = key.public()
    peers = httpsig.PeerSchemes()
    sent = []

    async def run():
        client = app.test_client()

        async def send(method, url, headers, body):
            sent.append("Signature-Input" in headers and "rfc9421" or "cavage")
            return await client.post("/inbox", data=body, headers=headers)

        for _ in range(2):
            r = await httpsig.deliver(send, "POST", "http://localhost/inbox",
                                      {"Host": "localhost"}, b"{}", key=key,
                                      key_id="https://a.example/alice#k", peers=peers)
            assert r.status_code == 202

    asyncio.run(run())
    assert sent == ["rfc9421", "cavage", "cavage"]  # second delivery goes straight to cavage
    assert peers.scheme_for("localhost") == "cavage" and len(peers) == 1


def test_keys_save_and_load(tmp_path):
    k = keys.generate()
    keys.save(k, tmp_path / "k.pem")
    assert oct(os.stat(tmp_path / "k.pem").st_mode & 0o777) == "0o600"
    keys.save(k, tmp_path / "pub.pem", private=False)
    assert keys.load(tmp_path / "k.pem").has_private
    assert not keys.load(tmp_path / "pub.pem").has_private
    assert keys.load(k.public_pem()).multikey() == k.multikey()
    with pytest.raises(sexp.SignatureError) as e:
        keys.load_pem("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    assert e.value.code == "malformed"
    with pytest.raises(ValueError):
        keys.generate("dsa")
