// CID oracle for `sexp hash --cid`.
//
//   node cid_oracle.mjs BIN [--seed N] [--count N] [--keep]
//
// Writes --count (default 300) random valid documents into one file -- half
// from a small generator below, half from gen_docs.py when a python3 is
// there -- runs `BIN canon`, `BIN hash --cid` and `BIN hash` once each, and
// checks every CID line against one computed independently: SHA3-256 of the
// canonical line's UTF-8 bytes (node:crypto), multihash create(0x16, digest)
// and CID.createV1(0x55 raw, mh).toString() (base32) from `multiformats`.
// Also checks `sha3-<hex>` agrees with the CID's digest, and the DESIGN.md
// example: canonical `(p "hello")` has CID
// bafkrmidwcvtmu5jpuqc2yesf263ca6achethqsbam5w7cuqdbucahqxde4.
// Needs `npm ci` in this folder first. Prints `N passed, M failed` last.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  parseArgs, requireBinary, Tally, makeTmp, finish, run, splitLines,
  writeDocs, findRejected, clip, Rng,
} from './lib.mjs';

const NAME = 'cid_oracle.mjs';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE_TEXT = '(p "hello")';
const EXAMPLE_CID = 'bafkrmidwcvtmu5jpuqc2yesf263ca6achethqsbam5w7cuqdbucahqxde4';
const RAW = 0x55;
const SHA3_256 = 0x16;

const opts = parseArgs(process.argv.slice(2), NAME, { seed: 20240611, count: 300 });
requireBinary(NAME, opts.bin);

let CID, Digest;
try {
  ({ CID } = await import('multiformats/cid'));
  Digest = await import('multiformats/hashes/digest');
} catch (e) {
  console.log(`${NAME}: cannot load multiformats (${e.message}); run \`npm ci\` in ${HERE}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

function cidOf(bytes) {
  const digest = createHash('sha3-256').update(bytes).digest();
  const mh = Digest.create(SHA3_256, new Uint8Array(digest));
  return { cid: CID.createV1(RAW, mh).toString(), hex: digest.toString('hex') };
}

// ---- a small generator of valid documents ------------------------------
const SYMS = ['p', 'div', 'a', 'x', '~card', '~plans/x/card', '<>', 'raw!', 'nil?', '->',
  '&key', '+', '-', 'café', '東京', 'λ', '🙂', 'Create', 'Note', 'set!', 'nilx', 'ж'];
const KWS = ['a', 'b', 'id', 'actor', 'class', 'hx-swap-oob', 'Z', '_', 'aa', 'é', '東', 'z', 'a1', '~x'];

function jsString(rng) {
  let s = '"';
  const n = rng.int(0, 6);
  for (let i = 0; i < n; i++) {
    switch (rng.int(0, 7)) {
      case 0: s += rng.pick(['hello', 'world', 'a b', 'café', '東京', '(', ';', "'"]); break;
      case 1: s += rng.pick(['\\"', '\\\\', '\\n', '\\t', '\\r']); break;
      case 2: s += '\\u' + rng.int(0, 0x1f).toString(16).padStart(4, '0'); break;
      case 3: s += '\\u' + rng.int(0x20, 0xd7ff).toString(16).padStart(4, '0'); break;
      case 4: { // surrogate pair
        const v = rng.int(0, 0xfffff);
        s += '\\u' + (0xd800 + (v >> 10)).toString(16) + '\\u' + (0xdc00 + (v & 0x3ff)).toString(16);
        break;
      }
      case 5: s += rng.pick(['😀', 'é', '\u2028', '\u0085', '\ufeff', '\u007f']); break;
      case 6: s += rng.pick(['\n', '\t']); break;
      default: s += String.fromCharCode(rng.int(0x23, 0x5b)); // no " or \
    }
  }
  return s + '"';
}

function jsAtom(rng) {
  switch (rng.int(0, 9)) {
    case 0: case 1: return rng.pick(SYMS);
    case 2: case 3: return jsString(rng);
    case 4: return String(rng.pick([0, 1, -1, 42, 9007199254740993n, -9223372036854775808n,
      9223372036854775807n, rng.int(-1e6, 1e6)]));
    case 5: {
      const x = (rng.random() - 0.5) * 10 ** rng.int(-30, 30);
      return rng.pick([x.toPrecision(17), x.toExponential(), '1.0', '-0.0', '1e21', '1E-7', '0.5e+3']);
    }
    case 6: return rng.pick(['true', 'false', 'nil', '#t', '#f']);
    case 7: return '#b64"' + Buffer.from(Array.from({ length: rng.int(0, 9) }, () => rng.int(0, 255))).toString('base64') + '"';
    case 8: return ':' + rng.pick(KWS);
    default: return rng.pick(["'x", '`(a ,b ,@c)', "'(1 2)"]);
  }
}

function jsDatum(rng, depth) {
  if (depth <= 0 || rng.chance(0.4)) {
    let a = jsAtom(rng);
    while (a.startsWith(':')) a = jsAtom(rng);
    return a;
  }
  if (rng.chance(0.2)) {
    // dict with distinct keyword keys and maybe a string key
    const keys = [...KWS].sort(() => 0).filter(() => rng.chance(0.3));
    const parts = keys.map((k) => `:${k} ${jsDatum(rng, depth - 1)}`);
    if (rng.chance(0.3)) parts.push(`"k\\u00e9y" ${jsDatum(rng, depth - 1)}`);
    return '{' + shuffle(rng, parts).join(rng.pick([' ', '\n', '\t'])) + '}';
  }
  const parts = [];
  const n = rng.int(0, 4);
  for (let i = 0; i < n; i++) parts.push(jsDatum(rng, depth - 1));
  // keyword pairs with distinct keywords, spread among the positional items
  const names = shuffle(rng, [...KWS]).slice(0, rng.int(0, 5));
  for (const k of names) {
    parts.splice(rng.int(0, parts.length), 0, `:${k} ${jsDatum(rng, depth - 1)}`);
  }
  const [o, c] = rng.chance(0.2) ? ['[', ']'] : ['(', ')'];
  const sep = () => rng.pick([' ', ' ', '  ', '\n', '\t', ' ; c\n', ' #;(skip me) ']);
  return o + [rng.pick(SYMS), ...parts].join(sep()) + c;
}

function shuffle(rng, arr) {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [arr[i], arr[j]] = [arr[j], arr[i]];
  }
  return arr;
}

function pythonDocs(seed, count) {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, [path.join(HERE, 'gen_docs.py'), '--json', '--seed', String(seed),
      '--count', String(count)], { maxBuffer: 256 * 1024 * 1024 });
    if (!r.error && r.status === 0) return JSON.parse(r.stdout.toString('utf8'));
  }
  return null;
}

// ---- checks ------------------------------------------------------------
const t = new Tally();
const tmp = makeTmp('sexp-cid-oracle-');

// 1. The DESIGN.md example, computed by multiformats alone.
t.ok(cidOf(Buffer.from(EXAMPLE_TEXT, 'utf8')).cid === EXAMPLE_CID,
  'multiformats gives the DESIGN.md CID for (p "hello")',
  `  got ${cidOf(Buffer.from(EXAMPLE_TEXT, 'utf8')).cid}`);

// 2. ... and by the CLI, from a file and from stdin.
{
  const f = path.join(tmp, 'example.sx');
  fs.writeFileSync(f, EXAMPLE_TEXT);
  const c = run(opts.bin, ['canon', f]);
  t.ok(c.status === 0 && c.stdout.toString('utf8') === EXAMPLE_TEXT + '\n',
    'canon of (p "hello") is itself', `  exit ${c.status}, stdout ${JSON.stringify(c.stdout.toString('utf8'))}, stderr ${c.stderr}`);
  const h = run(opts.bin, ['hash', '--cid', f]);
  t.ok(h.status === 0 && h.stdout.toString('utf8') === EXAMPLE_CID + '\n',
    'hash --cid of (p "hello") is the DESIGN.md CID', `  exit ${h.status}, stdout ${JSON.stringify(h.stdout.toString('utf8'))}, stderr ${h.stderr}`);
  const s = run(opts.bin, ['hash', '--cid', '-'], Buffer.from('  [p\n"hello" ] ; same\n'));
  t.ok(s.status === 0 && s.stdout.toString('utf8') === EXAMPLE_CID + '\n',
    'hash --cid - of [p "hello"] on stdin is the DESIGN.md CID', `  exit ${s.status}, stdout ${JSON.stringify(s.stdout.toString('utf8'))}, stderr ${s.stderr}`);
}

// 3. Random documents.
const rng = new Rng(opts.seed);
const nPy = Math.floor(opts.count / 2);
let docs = pythonDocs(opts.seed, nPy);
if (docs === null) {
  console.log(`${NAME}: no python3 for gen_docs.py; using the built-in generator only`);
  docs = [];
}
while (docs.length < opts.count) docs.push(jsDatum(rng, rng.int(1, 4)));

const src = path.join(tmp, 'docs.sx');
writeDocs(src, docs);
console.log(`${NAME}: seed ${opts.seed}, ${docs.length} documents (${nPy && docs.length ? 'gen_docs.py + built-in' : 'built-in'}), ${fs.statSync(src).size} bytes, in ${tmp}`);

let canon = run(opts.bin, ['canon', src]);
if (!t.ok(canon.status === 0, 'canon accepts the batch of valid documents', `  exit ${canon.status}: ${clip(canon.stderr.trim(), 500)}`)) {
  const { bad, complete } = findRejected(opts.bin, docs, tmp);
  for (const [i, err] of [...bad].sort((a, b) => a[0] - b[0])) {
    t.ok(false, `canon rejects valid document #${i}`, `  input: ${clip(JSON.stringify(docs[i]), 600)}\n  ${err}`);
  }
  if (!complete) t.ok(false, 'locating rejected documents (gave up: budget)');
  if (bad.size === 0) t.ok(false, 'batch rejected but no single document is');
  docs = docs.filter((_, i) => !bad.has(i));
  writeDocs(src, docs);
  canon = run(opts.bin, ['canon', src]);
  if (!t.ok(canon.status === 0, 'canon accepts the remaining documents', `  exit ${canon.status}: ${clip(canon.stderr.trim(), 500)}`)) {
    finish(NAME, t, tmp, true);
  }
}
const lines = splitLines(canon.stdout);
t.ok(lines.length === docs.length, 'canon prints one line per expression',
  `  ${lines.length} lines for ${docs.length} expressions`);

const cids = run(opts.bin, ['hash', '--cid', src]);
t.ok(cids.status === 0, 'hash --cid exits 0', `  exit ${cids.status}: ${clip(cids.stderr.trim(), 500)}`);
const cidLines = splitLines(cids.stdout).map((b) => b.toString('utf8'));
t.ok(cidLines.length === docs.length, 'hash --cid prints one line per expression',
  `  ${cidLines.length} lines for ${docs.length} expressions`);

const hexes = run(opts.bin, ['hash', src]);
t.ok(hexes.status === 0, 'hash exits 0', `  exit ${hexes.status}: ${clip(hexes.stderr.trim(), 500)}`);
const hexLines = splitLines(hexes.stdout).map((b) => b.toString('utf8'));

const n = Math.min(lines.length, cidLines.length, docs.length);
for (let i = 0; i < n; i++) {
  const want = cidOf(lines[i]);
  const got = cidLines[i];
  let parsed = '';
  try {
    const c = CID.parse(got);
    parsed = `  (CLI CID parses as v${c.version}, codec 0x${c.code.toString(16)}, multihash 0x${c.multihash.code.toString(16)}/${c.multihash.size} bytes)`;
  } catch (e) {
    parsed = `  (CLI CID does not parse: ${e.message})`;
  }
  t.ok(got === want.cid, 'CID of canonical line matches hash --cid line',
    `  #${i} canonical: ${clip(JSON.stringify(lines[i].toString('utf8')))}\n  expected ${want.cid}\n  got      ${got}\n${parsed}\n  input: ${clip(JSON.stringify(docs[i]))}`);
  if (i < hexLines.length) {
    t.ok(hexLines[i] === 'sha3-' + want.hex, 'sha3-<hex> line matches the digest in the CID',
      `  #${i} expected sha3-${want.hex}\n  got      ${hexLines[i]}`);
  }
}

finish(NAME, t, tmp, opts.keep);
