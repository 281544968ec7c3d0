// Shared plumbing for the Node oracles (cid_oracle.mjs, float_oracle.mjs).
// Node >= 18, no dependencies.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Parses `BIN [--seed N] [--count N] [--keep]`; exits 2 on bad usage.
export function parseArgs(argv, name, defaults) {
  const opts = { bin: null, seed: defaults.seed, count: defaults.count, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) usage(name, `bad value for ${a}`);
      return v;
    };
    if (a === '--seed') opts.seed = num();
    else if (a === '--count') opts.count = num();
    else if (a === '--keep') opts.keep = true;
    else if (a === '-h' || a === '--help') usage(name, null, 0);
    else if (a.startsWith('-')) usage(name, `unknown option ${a}`);
    else if (opts.bin === null) opts.bin = a;
    else usage(name, `unexpected argument ${a}`);
  }
  if (opts.bin === null) usage(name, 'missing the path of the sexp binary');
  return opts;
}

function usage(name, msg, code = 2) {
  if (msg) console.error(`${name}: ${msg}`);
  console.error(`usage: node ${name} BIN [--seed N] [--count N] [--keep]`);
  process.exit(code);
}

// Exits 1 (with a summary line) when the binary is not there.
export function requireBinary(name, bin) {
  let ok = false;
  try {
    fs.accessSync(bin, fs.constants.X_OK);
    ok = fs.statSync(bin).isFile();
  } catch (e) {
    ok = false;
  }
  if (!ok) {
    console.log(`${name}: sexp binary not found or not executable: ${bin}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

export class Tally {
  constructor() {
    this.passed = 0;
    this.failed = 0;
    this.shown = new Map();
  }
  // Counts one check; prints the first `limit` failures of each kind
  // (none with limit 0: the caller reports them).
  ok(cond, what, detail = '', limit = 5) {
    if (cond) {
      this.passed++;
      return true;
    }
    this.failed++;
    const n = this.shown.get(what) || 0;
    this.shown.set(what, n + 1);
    if (n < limit) console.log(`FAIL ${what}${detail ? '\n' + detail : ''}`);
    else if (n === limit && limit > 0) console.log(`FAIL ${what}: more failures of this kind not shown`);
    return false;
  }
}

export function makeTmp(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Prints the closing line, removes (or keeps) the temp dir, exits.
export function finish(name, tally, tmp, keep) {
  if (keep || tally.failed > 0) console.log(`${name}: temp files kept in ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`${tally.passed} passed, ${tally.failed} failed`);
  process.exit(tally.failed === 0 ? 0 : 1);
}

// Runs BIN with args; returns {status, stdout: Buffer, stderr: string}.
export function run(bin, args, input) {
  const r = spawnSync(bin, args, {
    input,
    maxBuffer: 512 * 1024 * 1024,
    timeout: 120000,
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

// Splits output on LF only (canonical text may hold U+2028 and friends,
// which String.prototype.split would not split on anyway, but be explicit:
// work on bytes). Returns an array of Buffers; a final LF ends the last line.
export function splitLines(buf) {
  const lines = [];
  if (buf.length === 0) return lines;
  let start = 0;
  for (;;) {
    const j = buf.indexOf(0x0a, start);
    if (j < 0) {
      lines.push(buf.subarray(start));
      break;
    }
    lines.push(buf.subarray(start, j));
    start = j + 1;
    if (start === buf.length) break;
  }
  return lines;
}

export function writeDocs(file, docs) {
  fs.writeFileSync(file, docs.map((d) => d + '\n').join(''), 'utf8');
}

// Documents `BIN canon` rejects on their own: tries chunks, then single
// documents of the failing chunks. Returns Map index -> stderr.
export function findRejected(bin, docs, tmp, budget = 600) {
  const bad = new Map();
  let calls = 0;
  const chunk = 25;
  for (let s = 0; s < docs.length; s += chunk) {
    const idx = [];
    for (let i = s; i < Math.min(s + chunk, docs.length); i++) idx.push(i);
    const f = path.join(tmp, 'chunk.sx');
    writeDocs(f, idx.map((i) => docs[i]));
    calls++;
    if (run(bin, ['canon', f]).status === 0) continue;
    for (const i of idx) {
      if (calls >= budget) return { bad, complete: false };
      const g = path.join(tmp, 'one.sx');
      writeDocs(g, [docs[i]]);
      calls++;
      const r = run(bin, ['canon', g]);
      if (r.status !== 0) bad.set(i, `exit ${r.status}: ${r.stderr.trim().slice(0, 500)}`);
    }
  }
  return { bad, complete: true };
}

export function clip(s, n = 400) {
  return s.length <= n ? s : s.slice(0, n) + `…(${s.length} chars)`;
}

// splitmix64 over BigInt: deterministic, good enough for test data.
export class Rng {
  constructor(seed) {
    this.state = BigInt.asUintN(64, BigInt(seed) * 0x9e3779b97f4a7c15n + 0x1234567n);
  }
  next64() {
    this.state = BigInt.asUintN(64, this.state + 0x9e3779b97f4a7c15n);
    let z = this.state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  }
  // uniform in [0, 1)
  random() {
    return Number(this.next64() >> 11n) / 2 ** 53;
  }
  // integer in [lo, hi]
  int(lo, hi) {
    return lo + Math.floor(this.random() * (hi - lo + 1));
  }
  pick(arr) {
    return arr[Math.floor(this.random() * arr.length)];
  }
  chance(p) {
    return this.random() < p;
  }
}
