// Shared helpers of the bench scripts: locating and loading the package, timing, formatting.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(BENCH_DIR, '..');
export const OUT = join(BENCH_DIR, 'out');
export const require = createRequire(import.meta.url);

/** The package under test: $FLOWGATE_PKG, else bench/out/pkg (scripts/bench.sh builds it), else pkg/. */
export function packageDir() {
  const candidates = [process.env.FLOWGATE_PKG, join(OUT, 'pkg'), join(ROOT, 'pkg')].filter(Boolean);
  const dir = candidates.find((d) => existsSync(join(d, 'index.cjs')));
  if (!dir) throw new Error(`no built package (tried ${candidates.join(', ')}): run scripts/bench.sh or set FLOWGATE_PKG`);
  return resolve(dir);
}

/** The public API and the raw wasm-bindgen glue (bench hooks, memory) of the package. */
export function loadFlowgate(dir = packageDir()) {
  const api = require(join(dir, 'index.cjs'));
  // The nodejs glue: flowgate_wasm.cjs since the package ships two glues, flowgate_wasm.js before.
  const glue = ['flowgate_wasm.cjs', 'flowgate_wasm.js'].map((f) => join(dir, f)).find((f) => existsSync(f));
  const raw = require(glue);
  return { api, raw, dir };
}

/** The installed version of an npm dependency (package.json may be outside its "exports"). */
export function packageVersion(name) {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/** Wasm linear memory of the loaded module, in bytes (null when the build has no hook). */
export function wasmMemory(raw) {
  return typeof raw.__memory === 'function' ? raw.__memory().buffer.byteLength : null;
}

const hr = () => process.hrtime.bigint();

/**
 * Median (and p90) time per call of `fn(i)`, i = 0..n-1 cycling, in µs. Calls are timed in
 * batches of `batch` (per-call timing costs more than a sub-µs call); `warmup` calls first; then
 * batches until `minSamples` samples and `minMs` ms have passed (at most `maxMs`).
 */
export function measure(fn, n, { batch = 100, warmup = 2000, minSamples = 200, minMs = 400, maxMs = 4000 } = {}) {
  let i = 0;
  for (let w = 0; w < warmup; w++) { fn(i); i = (i + 1) % n; }
  const samples = [];
  const start = hr();
  for (;;) {
    const t0 = hr();
    for (let b = 0; b < batch; b++) { fn(i); i = (i + 1) % n; }
    samples.push(Number(hr() - t0) / batch / 1000);
    const elapsed = Number(hr() - start) / 1e6;
    if ((samples.length >= minSamples && elapsed >= minMs) || elapsed >= maxMs) break;
  }
  return summarise(samples, batch);
}

/** Per-call times (µs) of `fn(i)` for every i in 0..n-1, after `warmup` calls of fn(i % n). */
export function measureEach(fn, n, warmup = 500) {
  for (let w = 0; w < warmup; w++) fn(w % n);
  const samples = new Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = hr();
    fn(i);
    samples[i] = Number(hr() - t0) / 1000;
  }
  return summarise(samples, 1);
}

/** Times `fn()` `runs` times (after `warmup` runs), in ms: the median and the spread. */
export function measureRuns(fn, runs = 7, warmup = 1) {
  for (let w = 0; w < warmup; w++) fn();
  const samples = [];
  for (let r = 0; r < runs; r++) {
    const t0 = hr();
    fn();
    samples.push(Number(hr() - t0) / 1e6);
  }
  const s = summarise(samples, 1);
  return { median_ms: s.median, p90_ms: s.p90, min_ms: s.min, runs };
}

function summarise(samples, batch) {
  const sorted = Float64Array.from(samples).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p90: at(0.9), min: sorted[0], samples: samples.length, batch };
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

/** 1.23 µs / 456 ns / 12.3 ms with three significant digits. */
export function fmtUs(us) {
  if (us === null || us === undefined || Number.isNaN(us)) return '–';
  if (us < 1) return `${(us * 1000).toPrecision(3)} ns`;
  if (us < 1000) return `${us.toPrecision(3)} µs`;
  return `${(us / 1000).toPrecision(3)} ms`;
}

export function fmtRatio(r) {
  if (r === null || r === undefined || !Number.isFinite(r)) return '–';
  return r >= 100 ? `${Math.round(r)}×` : `${r.toPrecision(3)}×`;
}

export function fmtBytes(b) {
  if (b === null || b === undefined) return '–';
  return b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : `${(b / 1024).toFixed(0)} KiB`;
}
