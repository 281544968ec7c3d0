#!/usr/bin/python3
"""Independent checker for the published HTTP-signature test vectors.

Checks every file under tests/sig/vectors/ against the published keys with
python3-cryptography (Debian's /usr/bin/python3; tested with 38.0.4) and
hashlib only -- it shares no code with the C++ implementation:

  rfc9421/   RFC 9421 Appendix B: each published signature verifies over
             base.txt with the published key or secret; the "@signature-params"
             line of base.txt equals the Signature-Input member value; ed25519
             and hmac-sha256 re-sign to the exact published bytes; base.txt is
             rebuilt from the published message with a small, independent
             signature-base builder; each private key matches its public key;
             the Content-Digest of test-request/test-response matches the body.
  rfc9530/   RFC 9530: every digest in examples.json is recomputed.
  cavage12/  draft-cavage-http-signatures-12 Appendix C: each RSA PKCS#1 v1.5
             SHA-256 signature verifies over signing-string.txt (and re-signs
             to the same bytes), the signing string is rebuilt from
             request.http and the headers parameter, and the Digest header of
             request.http matches its body.

Prints one line per check, "ok <name>" or "MISMATCH <name>: <why>", and exits
0 only if every check that vectors/README.md does not list under "Known-wrong
published values" is ok (and every listed one is still reported, so a stale
entry is noticed).

Usage: /usr/bin/python3 tests/sig/check_published_vectors.py [--verbose]
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import sys
import urllib.parse

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature, encode_dss_signature)

HERE = os.path.dirname(os.path.abspath(__file__))
VEC = os.path.join(HERE, 'vectors')
VERBOSE = '--verbose' in sys.argv[1:]

RESULTS = []  # (name, ok: bool, why)


def report(name, good, why=''):
    RESULTS.append((name, good, why))


def check(name, fn):
    """Run fn(); it returns None/'' (ok), a string (mismatch reason)."""
    try:
        why = fn()
    except Exception as e:  # a crash in one check is a mismatch, not a stop
        why = 'exception: %s: %s' % (type(e).__name__, e)
    report(name, not why, why or '')


def read_bytes(*p):
    with open(os.path.join(VEC, *p), 'rb') as f:
        return f.read()


def read_text(*p):
    b = read_bytes(*p)
    if b'\r' in b:
        raise ValueError('%s contains CR; vectors are stored with LF' % '/'.join(p))
    return b.decode('utf-8')


def b64strict(s):
    """Strict base64 (RFC 4648 section 4, padded, canonical)."""
    raw = base64.b64decode(s, validate=True)
    if base64.b64encode(raw).decode() != s:
        raise ValueError('not canonical base64: %r' % s)
    return raw


def known_wrong():
    """Names listed as `name` bullets under '## Known-wrong published values'."""
    names = set()
    section = False
    with open(os.path.join(VEC, 'README.md'), encoding='utf-8') as f:
        for line in f:
            if line.startswith('## '):
                section = line.strip().lower().startswith('## known-wrong published values')
                continue
            if section:
                m = re.match(r'^[-*] `([^`]+)`', line)
                if m:
                    names.add(m.group(1))
    return names


# ---------------------------------------------------------------- HTTP files

def parse_http(text):
    """Parse a stored message: start line, field lines, empty line, body.

    Lines are LF-separated (CRLF is accepted too).  Returns a dict with
    'start', 'fields' (list of (name, value) in order) and 'body' (bytes).
    """
    text = text.replace('\r\n', '\n')
    head, sep, body = text.partition('\n\n')
    if not sep:
        raise ValueError('no empty line ending the header section')
    lines = head.split('\n')
    fields = []
    for l in lines[1:]:
        if l[:1] in (' ', '\t'):
            raise ValueError('obsolete line folding in %r' % l)
        name, colon, value = l.partition(':')
        if not colon or name != name.strip():
            raise ValueError('bad field line %r' % l)
        fields.append((name, value.strip(' \t')))
    return {'start': lines[0], 'fields': fields, 'body': body.encode('utf-8')}


def field_values(msg, name):
    return [v for n, v in msg['fields'] if n.lower() == name.lower()]


# ------------------------------------------------- RFC 9421 structured bits

ITEM_RE = re.compile(r'\s*("(?:[^"\\]|\\.)*")((?:;[a-z*][a-z0-9_.*-]*(?:=(?:"(?:[^"\\]|\\.)*"|[^;\s)]+))?)*)')


def split_member(text):
    """'label=value' -> (label, value) for one Dictionary member."""
    m = re.match(r'^([a-z*][a-z0-9_.*-]*)=(.*)$', text, re.S)
    if not m:
        raise ValueError('not a single dictionary member: %r' % text)
    return m.group(1), m.group(2)


def parse_inner_list(value):
    """'("a" "b";k="v");p=1' -> ([raw component ids], raw params text)."""
    if not value.startswith('('):
        raise ValueError('Signature-Input value is not an inner list: %r' % value)
    close = value.index(')')
    inner, params = value[1:close], value[close + 1:]
    items = []
    pos = 0
    while pos < len(inner):
        if inner[pos] == ' ':
            pos += 1
            continue
        m = ITEM_RE.match(inner, pos)
        if not m or m.start(1) != pos:
            raise ValueError('cannot parse component list at %r' % inner[pos:])
        items.append(m.group(1) + m.group(2))
        pos = m.end()
    return items, params


def sf_params(raw):
    """';a="x";b=1' -> {'a': 'x', 'b': '1'} (enough for these vectors)."""
    out = {}
    for m in re.finditer(r';([a-z*][a-z0-9_.*-]*)(?:=("(?:[^"\\]|\\.)*"|[^;]+))?', raw):
        v = m.group(2)
        if v is None:
            v = True
        elif v.startswith('"'):
            v = re.sub(r'\\(.)', r'\1', v[1:-1])
        out[m.group(1)] = v
    return out


def component_value(msg, comp_raw, is_request):
    """Value of one covered component, per RFC 9421 section 2 (subset)."""
    m = re.match(r'^"([^"]*)"(.*)$', comp_raw)
    name, params = m.group(1), sf_params(m.group(2))
    if name.startswith('@'):
        start = msg['start']
        if name == '@status':
            if is_request:
                raise ValueError('@status on a request')
            return start.split(' ')[1]
        if not is_request:
            raise ValueError('%s on a response' % name)
        method, target, _ = start.split(' ')
        path, q, query = target.partition('?')
        if name == '@method':
            return method
        if name == '@path':
            return path or '/'
        if name == '@query':
            return '?' + query
        if name == '@authority':
            hosts = field_values(msg, 'host')
            if len(hosts) != 1:
                raise ValueError('need exactly one Host field for @authority')
            return hosts[0].lower()
        if name == '@query-param':
            want = params['name']
            vals = [urllib.parse.quote(v, safe='')
                    for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True)
                    if urllib.parse.quote(k, safe='') == want]
            if len(vals) != 1:
                raise ValueError('@query-param %r occurs %d times' % (want, len(vals)))
            return vals[0]
        raise ValueError('derived component %s not supported by this checker' % name)
    if params:
        raise ValueError('field parameters %r not supported by this checker' % params)
    vals = field_values(msg, name)
    if not vals:
        raise ValueError('field %r absent from the message' % name)
    return ', '.join(vals)


def build_base(msg, sig_input_value, is_request):
    comps, _ = parse_inner_list(sig_input_value)
    lines = ['%s: %s' % (c, component_value(msg, c, is_request)) for c in comps]
    lines.append('"@signature-params": ' + sig_input_value)
    return '\n'.join(lines)


# --------------------------------------------------------------- RFC 9421

RFC9421_KEYS = ['test-key-rsa', 'test-key-rsa-pss', 'test-key-ecc-p256', 'test-key-ed25519']


def load_pub(name):
    return serialization.load_pem_public_key(read_bytes('rfc9421', 'keys', name + '.pub.pem'))


def load_priv(name):
    return serialization.load_pem_private_key(read_bytes('rfc9421', 'keys', name + '.pem'), None)


def shared_secret():
    return b64strict(read_text('rfc9421', 'keys', 'test-shared-secret.b64'))


def pub_bytes(k):
    return k.public_bytes(serialization.Encoding.DER,
                          serialization.PublicFormat.SubjectPublicKeyInfo)


def rfc9421_verify(alg, keyname, base, sig):
    """Returns '' if sig verifies over base, else the reason."""
    if alg == 'hmac-sha256':
        mac = hmac.new(shared_secret(), base, hashlib.sha256).digest()
        return '' if hmac.compare_digest(mac, sig) else 'HMAC differs'
    pub = load_pub(keyname)
    try:
        if alg == 'rsa-pss-sha512':
            if not isinstance(pub, rsa.RSAPublicKey):
                return 'key is not RSA'
            pub.verify(sig, base, padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64),
                       hashes.SHA512())
        elif alg == 'rsa-v1_5-sha256':
            pub.verify(sig, base, padding.PKCS1v15(), hashes.SHA256())
        elif alg == 'ecdsa-p256-sha256':
            if len(sig) != 64:
                return 'ECDSA P-256 signature is %d bytes, want 64 (r||s)' % len(sig)
            der = encode_dss_signature(int.from_bytes(sig[:32], 'big'),
                                       int.from_bytes(sig[32:], 'big'))
            pub.verify(der, base, ec.ECDSA(hashes.SHA256()))
        elif alg == 'ed25519':
            pub.verify(sig, base)
        else:
            return 'unknown alg %r' % alg
    except InvalidSignature:
        return 'signature does not verify'
    return ''


def rfc9421_sign(alg, keyname, base):
    if alg == 'hmac-sha256':
        return hmac.new(shared_secret(), base, hashlib.sha256).digest()
    if alg == 'ed25519':
        return load_priv(keyname).sign(base)
    raise ValueError('%s is not deterministic' % alg)


def check_rfc9421_keys():
    for name in RFC9421_KEYS:
        def f(name=name):
            priv, pub = load_priv(name), load_pub(name)
            if pub_bytes(priv.public_key()) != pub_bytes(pub):
                return 'private key does not match the public key'
            bits = {'test-key-rsa': 2048, 'test-key-rsa-pss': 2048}.get(name)
            if bits and pub.key_size != bits:
                return 'RSA key is %d bits, published as %d' % (pub.key_size, bits)
            return ''
        check('rfc9421/keys/%s' % name, f)

    def f():
        s = shared_secret()
        return '' if len(s) == 64 else 'secret is %d bytes, published as 64' % len(s)
    check('rfc9421/keys/test-shared-secret', f)

    # Sign-then-verify with every private key, so a public key that merely
    # parses is not mistaken for a working one.
    def f():
        probe = b'probe'
        for alg, key in [('rsa-pss-sha512', 'test-key-rsa-pss'), ('rsa-v1_5-sha256', 'test-key-rsa')]:
            priv = load_priv(key)
            if alg == 'rsa-pss-sha512':
                sig = priv.sign(probe, padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64),
                                hashes.SHA512())
            else:
                sig = priv.sign(probe, padding.PKCS1v15(), hashes.SHA256())
            why = rfc9421_verify(alg, key, probe, sig)
            if why:
                return '%s round trip: %s' % (key, why)
        r, s = decode_dss_signature(load_priv('test-key-ecc-p256').sign(probe, ec.ECDSA(hashes.SHA256())))
        why = rfc9421_verify('ecdsa-p256-sha256', 'test-key-ecc-p256', probe,
                             r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))
        return why and 'test-key-ecc-p256 round trip: ' + why
    check('rfc9421/keys/round-trip', f)


def digest_field_check(msg, field):
    vals = field_values(msg, field)
    if len(vals) != 1:
        return 'expected one %s field' % field
    for member in vals[0].split(','):
        alg, _, v = member.strip().partition('=')
        h = {'sha-256': hashlib.sha256, 'sha-512': hashlib.sha512}[alg]
        want = ':' + base64.b64encode(h(msg['body']).digest()).decode() + ':'
        if v != want:
            return '%s %s is %s, body hashes to %s' % (field, alg, v, want)
    return ''


def check_rfc9421_messages():
    for fname in ['test-request.http', 'test-response.http', 'b3/request.http', 'b3/signed-request.http',
                  'b3/client-request.http']:
        def f(fname=fname):
            msg = parse_http(read_text('rfc9421', *fname.split('/')))
            cl = field_values(msg, 'content-length')
            if cl and int(cl[0]) != len(msg['body']):
                return 'Content-Length %s but body is %d bytes' % (cl[0], len(msg['body']))
            if field_values(msg, 'content-digest'):
                return digest_field_check(msg, 'Content-Digest')
            return ''
        check('rfc9421/%s' % fname, f)


def check_rfc9421_vector(d):
    meta = json.loads(read_text('rfc9421', d, 'meta.json'))
    name = 'rfc9421/' + d
    base_text = read_text('rfc9421', d, 'base.txt')
    base = base_text.encode('utf-8')
    si_label, si_value = split_member(read_text('rfc9421', d, 'signature-input.txt'))
    sg_label, sg_value = split_member(read_text('rfc9421', d, 'signature.txt'))

    def f():
        if si_label != meta['label'] or sg_label != meta['label']:
            return 'labels %r/%r, meta says %r' % (si_label, sg_label, meta['label'])
        if base_text.endswith('\n'):
            return 'base.txt ends with LF'
        last = base_text.split('\n')[-1]
        prefix = '"@signature-params": '
        if not last.startswith(prefix):
            return 'last line of base.txt is not "@signature-params"'
        if last[len(prefix):] != si_value:
            return '@signature-params line %r != Signature-Input member %r' % (last[len(prefix):], si_value)
        params = sf_params(parse_inner_list(si_value)[1])
        if params.get('keyid') != meta['key']:
            return 'keyid %r, meta key %r' % (params.get('keyid'), meta['key'])
        return ''
    check(name + '/signature-params', f)

    def sig_bytes():
        if not (sg_value.startswith(':') and sg_value.endswith(':')):
            raise ValueError('Signature member is not a byte sequence')
        return b64strict(sg_value[1:-1])

    check(name + '/verify', lambda: rfc9421_verify(meta['alg'], meta['key'], base, sig_bytes()))

    if meta['deterministic']:
        def f():
            again = rfc9421_sign(meta['alg'], meta['key'], base)
            return '' if again == sig_bytes() else 're-signing gives %s' % base64.b64encode(again).decode()
        check(name + '/resign', f)

    def f():
        msg = parse_http(read_text('rfc9421', *meta['message'].split('/')))
        built = build_base(msg, si_value, meta['signs'] == 'request')
        if built != base_text:
            return 'base rebuilt from %s differs:\n%s' % (meta['message'], built)
        return ''
    check(name + '/base-from-message', f)

    for v in meta.get('variants', []):
        def f(v=v):
            msg = parse_http(read_text('rfc9421', *v['file'].split('/')))
            built = build_base(msg, si_value, True)
            good = not rfc9421_verify(meta['alg'], meta['key'], built.encode(), sig_bytes())
            if good != v['valid']:
                return 'signature %s over the rebuilt base, expected %s' % (
                    'verifies' if good else 'fails', 'valid' if v['valid'] else 'invalid')
            if (built == base_text) != v['valid']:
                return 'rebuilt base %s base.txt' % ('equals' if built == base_text else 'differs from')
            return ''
        check('%s/%s' % (name, os.path.basename(v['file'])), f)


# --------------------------------------------------------------- RFC 9530

def check_rfc9530():
    examples = json.loads(read_text('rfc9530', 'examples.json'))
    algs = {'sha-256': hashlib.sha256, 'sha-512': hashlib.sha512}
    seen = set()
    for e in examples:
        name = 'rfc9530/' + e['id']
        if e['id'] in seen:
            report(name, False, 'duplicate id')
            continue
        seen.add(e['id'])

        def body_of(spec):
            if 'body_hex' in spec:
                return binascii.unhexlify(spec['body_hex'])
            return spec['body'].encode('utf-8')

        def f(e=e):
            why = []
            for member in e['header'].split(','):
                alg, eq, val = member.strip(' ').partition('=')
                if not eq or alg not in algs:
                    return 'cannot parse member %r' % member
                spec = e['member_bodies'][alg] if 'member_bodies' in e else e
                want = base64.b64encode(algs[alg](body_of(spec)).digest()).decode()
                if not (val.startswith(':') and val.endswith(':')):
                    return '%s value is not a byte sequence' % alg
                pub = val[1:-1]
                if pub == want:
                    continue
                try:
                    b64strict(pub)
                    why.append('%s is :%s:, body hashes to :%s:' % (alg, pub, want))
                except (ValueError, binascii.Error):
                    fixed = pub.rstrip('=') + '=' * (-len(pub.rstrip('=')) % 4)
                    same = ' (with the padding corrected it matches)' if fixed == want else ''
                    why.append('%s value %r is not valid base64 (%d chars), strict byte-sequence '
                               'parsing rejects it%s' % (alg, pub, len(pub), same))
            return '; '.join(why)
        check(name, f)


# --------------------------------------------------------------- cavage-12

def cavage_params(header_text):
    """Parse a published (folded) Signature / Authorization value."""
    text = header_text
    if text.startswith('Signature '):
        text = text[len('Signature '):]
    # Undo the presentation folding: a line break plus indentation.
    flat = re.sub(r'\n[ \t]*', '\n', text)
    params = {}
    for m in re.finditer(r'([A-Za-z]+)=(?:"([^"]*)"|([0-9.]+))', flat):
        params[m.group(1)] = m.group(2) if m.group(2) is not None else m.group(3)
    if 'signature' in params:
        params['signature'] = re.sub(r'\s', '', params['signature'])
    if 'headers' in params:
        params['headers'] = params['headers'].split()
    return params


def cavage_signing_string(msg, headers, params):
    method, target, _ = msg['start'].split(' ')
    out = []
    for h in headers:
        if h == '(request-target)':
            out.append('(request-target): %s %s' % (method.lower(), target))
        elif h in ('(created)', '(expires)'):
            out.append('%s: %s' % (h, params[h[1:-1]]))
        else:
            vals = field_values(msg, h)
            if not vals:
                raise ValueError('header %r not in request' % h)
            out.append('%s: %s' % (h.lower(), ', '.join(vals)))
    return '\n'.join(out)


def check_cavage():
    pub = serialization.load_pem_public_key(read_bytes('cavage12', 'keys', 'public.pem'))
    priv = serialization.load_pem_private_key(read_bytes('cavage12', 'keys', 'private.pem'), None)

    def f():
        if pub_bytes(priv.public_key()) != pub_bytes(pub):
            return 'private key does not match the public key'
        if pub.key_size != 1024:
            return 'key is %d bits (expected the 1024-bit key)' % pub.key_size
        return ''
    check('cavage12/keys', f)

    msg = parse_http(read_text('cavage12', 'request.http'))

    def f():
        if int(field_values(msg, 'content-length')[0]) != len(msg['body']):
            return 'Content-Length does not match the body'
        dig = field_values(msg, 'digest')[0]
        alg, _, val = dig.partition('=')
        want = base64.b64encode(hashlib.sha256(msg['body']).digest()).decode()
        if alg != 'SHA-256' or val != want:
            return 'Digest %s, body hashes to SHA-256=%s' % (dig, want)
        return ''
    check('cavage12/request-digest', f)

    for d in ['c1', 'c2', 'c3']:
        meta = json.loads(read_text('cavage12', d, 'meta.json'))
        ss = read_text('cavage12', d, 'signing-string.txt')
        files = ['signature-header.txt']
        if os.path.exists(os.path.join(VEC, 'cavage12', d, 'authorization-header.txt')):
            files.append('authorization-header.txt')
        for fn in files:
            kind = 'authorization' if (fn == 'authorization-header.txt'
                                       or meta['field'] == 'Authorization') else 'signature'
            name = 'cavage12/%s/%s' % (d, kind)
            text = read_text('cavage12', d, fn)
            params = cavage_params(text)

            def f(params=params, text=text, kind=kind):
                if kind == 'authorization':
                    if not text.startswith('Signature '):
                        return 'Authorization value does not use the Signature scheme'
                if params.get('keyId') != meta['keyId'] or params.get('algorithm') != meta['algorithm']:
                    return 'keyId/algorithm %r/%r' % (params.get('keyId'), params.get('algorithm'))
                if params.get('headers', ['date']) != meta['headers']:
                    return 'headers %r, meta %r' % (params.get('headers'), meta['headers'])
                sig = b64strict(params['signature'])
                try:
                    pub.verify(sig, ss.encode(), padding.PKCS1v15(), hashes.SHA256())
                except InvalidSignature:
                    return 'signature does not verify over signing-string.txt'
                again = priv.sign(ss.encode(), padding.PKCS1v15(), hashes.SHA256())
                if again != sig:
                    return 're-signing gives different bytes'
                return ''
            check(name, f)

        def f(d=d, meta=meta, ss=ss):
            params = cavage_params(read_text('cavage12', d, 'signature-header.txt'))
            built = cavage_signing_string(msg, meta['headers'], params)
            if built != ss:
                sig = b64strict(params['signature'])
                try:
                    pub.verify(sig, built.encode(), padding.PKCS1v15(), hashes.SHA256())
                    verifies = 'verifies'
                except InvalidSignature:
                    verifies = 'does not verify'
                return ('signing string built from request.http and headers=%r differs from the published '
                        'one (%d vs %d lines); the published signature %s over the built string'
                        % (meta['headers'], built.count('\n') + 1, ss.count('\n') + 1, verifies))
            return ''
        check('cavage12/%s/signing-string-from-request' % d, f)


# --------------------------------------------------------------- layout

def check_layout():
    """Stored-file conventions: UTF-8, LF only, no trailing LF except PEM/JSON/README."""
    def f():
        bad = []
        for root, _, files in os.walk(VEC):
            for fn in files:
                p = os.path.join(root, fn)
                rel = os.path.relpath(p, VEC)
                b = open(p, 'rb').read()
                if b'\r' in b:
                    bad.append(rel + ' has CR')
                if fn.endswith(('.pem', '.json', '.md')):
                    if not b.endswith(b'\n') or b.endswith(b'\n\n'):
                        bad.append(rel + ' should end with exactly one LF')
                elif fn.endswith(('.txt', '.b64')) and b.endswith(b'\n'):
                    bad.append(rel + ' ends with LF')
                if any(l != l.rstrip(' \t') for l in b.decode('utf-8').split('\n')):
                    bad.append(rel + ' has trailing whitespace')
        return '; '.join(bad)
    check('layout', f)


def main():
    check_layout()
    check_rfc9421_keys()
    check_rfc9421_messages()
    for d in sorted(os.listdir(os.path.join(VEC, 'rfc9421'))):
        if os.path.exists(os.path.join(VEC, 'rfc9421', d, 'meta.json')):
            check_rfc9421_vector(d)
    check_rfc9530()
    check_cavage()

    expected_wrong = known_wrong()
    failed = []
    for name, good, why in RESULTS:
        if good:
            print('ok %s' % name)
        else:
            print('MISMATCH %s: %s%s' % (name, why, ' [known-wrong, see README.md]'
                                         if name in expected_wrong else ''))
            if name not in expected_wrong:
                failed.append(name)
    names = {n for n, _, _ in RESULTS}
    stale = sorted(n for n in expected_wrong if n not in names or dict(
        (n2, g) for n2, g, _ in RESULTS)[n])
    for n in stale:
        print('MISMATCH %s: listed as known-wrong in README.md but %s' % (
            n, 'no such check' if n not in names else 'it now verifies'))
    total = len(RESULTS)
    nok = sum(1 for _, g, _ in RESULTS if g)
    print('# %d checks: %d ok, %d known-wrong, %d unexpected mismatches, %d stale known-wrong entries'
          % (total, nok, total - nok - len(failed), len(failed), len(stale)))
    return 1 if failed or stale else 0


if __name__ == '__main__':
    sys.exit(main())
