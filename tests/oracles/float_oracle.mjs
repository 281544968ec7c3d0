// Float-formatting oracle for `sexp canon`.
//
//   node float_oracle.mjs BIN [--seed N] [--count N] [--keep]
//
// Generates --count (default 20000) finite doubles -- random 64-bit patterns,
// subnormals, the ranges around 1e-7, 1e-6, 1e-5 and 1e21, integers as
// doubles, powers of ten and their neighbours, Number.MAX_VALUE / MIN_VALUE,
// -0, 0.1+0.2, short decimals -- with both signs, and writes them into one
// file as lists of float literals, ~100 per line. Every literal reads as a
// float and round-trips exactly (mostly x.toPrecision(17), with ".0" added
// where that has no '.' or 'e'; also the expected canonical text,
// x.toExponential(), x.toExponential(20) and an 'E' form; -0 as -0.0). One `BIN canon` call; each canonical float must equal the
// ECMAScript Number::toString form String(x), with ".0" appended when it has
// neither '.' nor 'e', and "0.0" for -0 and +0 (DESIGN.md "Canonical form").
// No dependencies. Prints `N passed, M failed` last.
import fs from 'node:fs';
import path from 'node:path';
import {
  parseArgs, requireBinary, Tally, makeTmp, finish, run, splitLines,
  writeDocs, findRejected, clip, Rng,
} from './lib.mjs';

const NAME = 'float_oracle.mjs';
const PER_LINE = 100;
const opts = parseArgs(process.argv.slice(2), NAME, { seed: 20240611, count: 20000 });
requireBinary(NAME, opts.bin);

const buf = new DataView(new ArrayBuffer(8));
function fromBits(b) {
  buf.setBigUint64(0, b);
  return buf.getFloat64(0);
}
function toBits(x) {
  buf.setFloat64(0, x);
  return buf.getBigUint64(0);
}
const EXP_MASK = 0x7ff0000000000000n;
const isFiniteBits = (b) => (b & EXP_MASK) !== EXP_MASK;
// The next double away from zero / towards zero (same sign), finite only.
function nextUp(x) {
  if (x === 0) return Number.MIN_VALUE;
  const y = fromBits(toBits(Math.abs(x)) + 1n);
  return Number.isFinite(y) ? Math.sign(x) * y : x;
}
function nextDown(x) {
  if (x === 0) return 0;
  return Math.sign(x) * fromBits(toBits(Math.abs(x)) - 1n);
}

function expected(x) {
  if (x === 0) return '0.0'; // +0 and -0
  const s = String(x);
  return s.includes('.') || s.includes('e') ? s : s + '.0';
}

const JSON_NUM = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

function literal(rng, x) {
  if (Object.is(x, -0)) return rng.chance(0.8) ? '-0.0' : rng.pick(['-0e0', '-0.0E+00', '-0.00000']);
  const r = rng.random();
  if (r < 0.6) return precise(x);
  if (r < 0.75) return expected(x);
  if (r < 0.85) return x.toExponential();
  if (r < 0.93) return x.toExponential(20);
  return precise(x).replace('e', 'E');
}

// x.toPrecision(17), which is exact but for 1e16 <= |x| < 1e17 has neither
// '.' nor 'e' ("12345678901234568") and would read as an integer: there,
// ".0" is appended.
function precise(x) {
  const s = x.toPrecision(17);
  return /[.e]/.test(s) ? s : s + '.0';
}

// ---- the doubles -------------------------------------------------------
function specials() {
  const xs = [0, -0, Number.MAX_VALUE, Number.MIN_VALUE, 0.1 + 0.2, 0.1, 0.2, 0.3,
    1e21, 1e-7, 1e-6, 1e-5, 1e20, 1e22, 1e23, 9.999999999999999e20, 999999999999999900000,
    123e-20, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, 2 ** 1023, 1 / 3, 2 / 3, Math.PI, Math.E,
    Number.EPSILON, 2.2250738585072014e-308, 2.225073858507201e-308, 5e-324, 1e-323,
    4.35, 0.000001, 0.0000001, 5e-7, 1.5e300, 1, 2, 10, 100, 0.5, 1.5, 123456789,
    1234567890123456789, 1.7976931348623157e308, 4.9406564584124654e-324, 9007199254740993,
    0.000001234, 0.00001234, 1.2345e-7, 123456789012345680000, 1.2345678901234568e+21,
    100000000000000000000, 1e300 * 1e8, 5e-325 * 2, 2 ** -1074, 2 ** -1022, 2 ** -1023];
  const out = [];
  for (const x of xs) {
    if (!Number.isFinite(x)) continue;
    out.push(x, -x, nextUp(x), nextDown(x));
  }
  return out;
}

function logUniform(rng, lo, hi) {
  return Math.exp(Math.log(lo) + rng.random() * (Math.log(hi) - Math.log(lo)));
}

function randomDouble(rng) {
  const r = rng.random();
  let x;
  if (r < 0.35) { // random 64-bit pattern
    let b;
    do b = rng.next64(); while (!isFiniteBits(b));
    return fromBits(b);
  }
  if (r < 0.42) { // subnormal
    const b = rng.next64() & 0x000fffffffffffffn;
    x = fromBits(b === 0n ? 1n : b);
  } else if (r < 0.50) { // around 1e-7
    x = logUniform(rng, 1e-8, 1e-6);
  } else if (r < 0.56) { // around 1e-6 and 1e-5
    x = rng.chance(0.5) ? logUniform(rng, 5e-7, 2e-6) : logUniform(rng, 5e-6, 2e-5);
  } else if (r < 0.64) { // around 1e21
    x = logUniform(rng, 1e19, 1e23);
  } else if (r < 0.72) { // integers as doubles
    x = rng.chance(0.5) ? rng.int(0, 2 ** 53) : Math.round(logUniform(rng, 1, 1e25));
  } else if (r < 0.78) { // powers of ten and neighbours
    x = Number(`1e${rng.int(-323, 308)}`);
    const k = rng.int(0, 2);
    if (k === 1) x = nextUp(x);
    else if (k === 2) x = nextDown(x);
  } else if (r < 0.9) { // short decimals: 0.3, 12.5, 1.25e-5, ...
    const digits = String(rng.int(1, 10 ** rng.int(1, 6)));
    x = Number(`${digits}e${rng.int(-25, 25)}`);
  } else { // ulp neighbours of the boundaries
    const base = rng.pick([1e-7, 1e-6, 1e-5, 1e21, 1e20, 1, 0.1, 2 ** 53, Number.MAX_VALUE,
      Number.MIN_VALUE * rng.int(1, 1000), 2.2250738585072014e-308]);
    x = base;
    for (let i = rng.int(0, 3); i > 0; i--) x = rng.chance(0.5) ? nextUp(x) : nextDown(x);
  }
  return Number.isFinite(x) ? x : 1;
}

// The text an error message's LINE:COL (1-based, column in bytes) points at.
function near(doc, err) {
  const m = /:(\d+):(\d+):/.exec(err);
  if (!m) return '';
  const line = Buffer.from(doc, 'utf8').toString('latin1').split('\n')[Number(m[1]) - 1];
  if (line === undefined) return '';
  const at = Buffer.from(line, 'latin1').subarray(Number(m[2]) - 1).toString('utf8');
  return `\n    at: ${JSON.stringify(at.slice(0, 40))}`;
}

// ---- run ---------------------------------------------------------------
const t = new Tally();
const tmp = makeTmp('sexp-float-oracle-');
const rng = new Rng(opts.seed);

const values = specials().slice(0, opts.count);
while (values.length < opts.count) {
  const x = randomDouble(rng);
  values.push(rng.chance(0.5) ? -x : x);
}
const lits = values.map((x) => literal(rng, x));

// Self-check of the harness: every literal is a JSON number that reads as a
// float (has '.', 'e' or 'E') and round-trips to exactly x.
let selfBad = 0;
for (let i = 0; i < values.length; i++) {
  const s = lits[i];
  if (!JSON_NUM.test(s) || !/[.eE]/.test(s) || !Object.is(Number(s), values[i])) {
    if (selfBad++ < 10) console.log(`${NAME}: internal error: literal ${s} for ${values[i]} is not exact`);
  }
}
t.ok(selfBad === 0, 'harness: literals are exact float literals', `  ${selfBad} bad literals`);

const lineVals = [];
const docs = [];
for (let i = 0; i < values.length; i += PER_LINE) {
  const idx = [];
  for (let j = i; j < Math.min(i + PER_LINE, values.length); j++) idx.push(j);
  lineVals.push(idx);
  const sep = () => rng.pick([' ', ' ', ' ', '  ', '\t', '\n', '\r\n']);
  const [o, c] = rng.chance(0.2) ? ['[', ' ]'] : ['(', ')'];
  docs.push(o + idx.map((j) => lits[j]).join(sep()) + c);
}
const src = path.join(tmp, 'floats.sx');
writeDocs(src, docs);
console.log(`${NAME}: seed ${opts.seed}, ${values.length} doubles in ${docs.length} lists, in ${tmp}`);

let lines = [];
let rejected = new Map();
let r = run(opts.bin, ['canon', src]);
if (!t.ok(r.status === 0, 'canon accepts the float lists', `  exit ${r.status}: ${clip(r.stderr.trim(), 500)}`)) {
  ({ bad: rejected } = findRejected(opts.bin, docs, tmp));
  for (const [i, err] of [...rejected].sort((a, b) => a[0] - b[0]).slice(0, 10)) {
    console.log(`  list #${i} rejected: ${err}${near(docs[i], err)}`);
  }
  for (const [i] of rejected) for (const j of lineVals[i]) t.ok(false, 'float list read', '', 0);
  const keep = docs.filter((_, i) => !rejected.has(i));
  writeDocs(src, keep);
  r = run(opts.bin, ['canon', src]);
  if (!t.ok(r.status === 0, 'canon accepts the remaining float lists', `  exit ${r.status}: ${clip(r.stderr.trim(), 500)}`)) {
    finish(NAME, t, tmp, true);
  }
}
lines = splitLines(r.stdout).map((b) => b.toString('utf8'));
const kept = lineVals.filter((_, i) => !rejected.has(i));
t.ok(lines.length === kept.length, 'canon prints one line per list',
  `  ${lines.length} lines for ${kept.length} lists`);

const mismatches = [];
for (let li = 0; li < Math.min(lines.length, kept.length); li++) {
  const line = lines[li];
  const idx = kept[li];
  const inner = line.startsWith('(') && line.endsWith(')') ? line.slice(1, -1) : null;
  const toks = inner === null ? [] : inner.split(' ');
  if (!t.ok(toks.length === idx.length, 'canonical list has one token per float',
    `  line ${li}: ${toks.length} tokens for ${idx.length} floats: ${clip(line, 300)}`)) continue;
  for (let k = 0; k < idx.length; k++) {
    const x = values[idx[k]];
    const want = expected(x);
    const ok = toks[k] === want;
    t.ok(ok, 'canonical float text', '', 0);
    if (!ok) mismatches.push({ lit: lits[idx[k]], want, got: toks[k], bits: toBits(x).toString(16).padStart(16, '0') });
  }
}
if (mismatches.length) {
  console.log(`FAIL canonical float text: ${mismatches.length} mismatches; first ${Math.min(10, mismatches.length)}:`);
  for (const m of mismatches.slice(0, 10)) {
    console.log(`  input ${m.lit}  (bits 0x${m.bits})\n    expected ${m.want}\n    got      ${m.got}`);
  }
}

finish(NAME, t, tmp, opts.keep);
