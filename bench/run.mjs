// `npm run bench` (through scripts/bench.sh): every scenario in one run, a table to stdout,
// bench/out/results.json, bench/out/figures.md and bench/out/scaling.svg. Exits non-zero on any
// decision mismatch between engines (or any other failure).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { rbacSnapshot } from './fixture.mjs';
import { BENCH_DIR, OUT, ROOT, loadFlowgate, median, packageDir } from './lib.mjs';
import { readNative } from './native.mjs';
import { runRbac } from './rbac.mjs';
import { figuresTable, goals, goalsTable, scalingSvg } from './report.mjs';
import { runEvaluateMany, runFlows } from './scenarios.mjs';
import { runWorkerd } from './workerd.mjs';

const started = Date.now();
const log = (...a) => console.log(...a);
const section = (name) => log(`\n== [${((Date.now() - started) / 1000).toFixed(0)}s] ${name}`);

function child(script, args = [], env = {}) {
  const res = spawnSync(process.execPath, [join(BENCH_DIR, 'child', script), ...args], {
    encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20,
  });
  if (res.status !== 0) throw new Error(`${script} failed (${res.status}):\n${res.stderr}`);
  const last = res.stdout.trim().split('\n').pop();
  return JSON.parse(last);
}

/** Median of each numeric field over `runs` fresh processes. */
function coldRuns(args, runs, env) {
  const all = Array.from({ length: runs }, () => child('cold.mjs', args, env));
  const out = { runs };
  for (const k of Object.keys(all[0])) out[k] = typeof all[0][k] === 'number' ? median(all.map((x) => x[k])) : all[0][k];
  return out;
}

function cpuModel() {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? os.cpus()[0]?.model;
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const dir = packageDir();
  const fg = loadFlowgate(dir);
  const env = { FLOWGATE_PKG: dir };
  const r = {
    meta: {
      date: new Date().toISOString(), package: dir, flowgate_version: fg.api.version, node: process.version,
      cpu: cpuModel(), cores: os.availableParallelism?.() ?? os.cpus().length, load_at_start: os.loadavg(),
      wasm_bytes: readFileSync(join(dir, 'flowgate_wasm_bg.wasm')).length,
      wasm_gzip_bytes: gzipSync(readFileSync(join(dir, 'flowgate_wasm_bg.wasm')), { level: 9 }).length,
    },
  };
  log(`flowgate ${r.meta.flowgate_version} from ${dir} · ${r.meta.cpu} × ${r.meta.cores} · Node ${r.meta.node} · load ${r.meta.load_at_start.map((x) => x.toFixed(2)).join(' ')}`);

  section('RBAC fixture: 1,000 users, 100 groups, 50 apps, 20,000 requests (peers §1.6)');
  r.rbac = await runRbac(fg, log);
  log(`  allow ratio ${(100 * r.rbac.fixture.allow_ratio).toFixed(1)} %; every engine agrees with the reference on all ${r.rbac.engines.js.checked} decisions`);

  section('flowgate scenarios');
  r.evaluateMany = runEvaluateMany(fg, log);
  r.flows = runFlows(fg, log);

  section('Engine build, large snapshot (fresh process)');
  r.build = child('build.mjs', [], env);
  log(`  ${r.build.from_text.median_ms.toFixed(1)} ms from JSON text (${(r.build.text_bytes / 1e6).toFixed(1)} MB), Wasm memory ${(r.build.wasm_memory_after_first_build / 2 ** 20).toFixed(1)} MiB`);

  section('Cold start in Node (7 fresh processes each)');
  const snapPath = join(OUT, 'rbac-snapshot.json');
  writeFileSync(snapPath, JSON.stringify(rbacSnapshot('static')));
  r.cold = {
    flowgate: coldRuns(['flowgate', dir, snapPath], 7, env),
    // The example snapshot (20 users, 8 policies, 2 flows, 6 apps; 22 KB): a small deployment.
    flowgate_small: coldRuns(['flowgate', dir, join(ROOT, 'examples', 'sample-snapshot.json'), 'app:grafana', '1'], 7, env),
    cedar: coldRuns(['cedar'], 5, env),
  };
  log(`  flowgate: load → first decision ${r.cold.flowgate.load_to_first_decision_ms.toFixed(1)} ms (process start → decision ${r.cold.flowgate.process_start_to_first_decision_ms.toFixed(0)} ms)`);
  log(`  flowgate, 22 KB example snapshot: ${r.cold.flowgate_small.load_to_first_decision_ms.toFixed(1)} ms`);
  log(`  cedar:    load → first decision ${r.cold.cedar.load_to_first_decision_ms.toFixed(1)} ms`);

  section('workerd (Miniflare)');
  try {
    r.workerd = await runWorkerd(dir, log);
  } catch (e) {
    if (/MISMATCH/.test(e.message)) throw e;
    r.workerd = { unavailable: e.message.split('\n')[0] };
    log(`  unavailable: ${r.workerd.unavailable}`);
  }

  section('Scaling curves (fresh process)');
  r.scaling = child('scaling.mjs', [], env);
  for (const p of r.scaling.bindings) log(`  ${String(p.n).padStart(6)} bindings/target: ${p.median_us.toFixed(3)} µs`);
  for (const p of r.scaling.users) log(`  ${String(p.n).padStart(6)} users: ${p.median_us.toFixed(3)} µs, build ${p.build_ms.toFixed(1)} ms`);

  section('Native (cargo bench --bench engine)');
  r.native = readNative(join(OUT, 'native.txt'));
  if (!r.native) log('  no bench/out/native.txt (scripts/bench.sh writes it; BENCH_NATIVE=0 skips it)');
  r.wasm_native = {};
  const n = r.native ?? {};
  const pair = (label, wasmUs, key) => {
    if (wasmUs && n[key]) r.wasm_native[label] = { wasm_us: wasmUs, native_us: n[key].median_us, ratio: wasmUs / n[key].median_us };
  };
  pair('evaluate (core loop)', r.rbac.engines['flowgate.core']?.median_us, 'rbac/evaluate');
  if (r.flows && !r.flows.unavailable) {
    pair('plan (core loop)', r.flows.plan.core_us, 'flow/plan');
    pair('next (core loop)', r.flows.next.core_us, 'flow/next');
  }
  pair('Engine build, large snapshot', r.build.from_text.median_ms * 1000, 'build/large_snapshot');
  r.boundary = {};
  if (n['rbac/evaluate']) r.boundary.evaluate_from_js_over_native = r.rbac.engines['flowgate.evaluate'].median_us / n['rbac/evaluate'].median_us;
  if (n['rbac/evaluate_many_1000']) r.boundary.evaluate_many_from_js_over_native = (r.evaluateMany.median_ms * 1000) / n['rbac/evaluate_many_1000'].median_us;

  r.meta.load_at_end = os.loadavg();
  r.meta.seconds = (Date.now() - started) / 1000;
  r.goals = goals(r);
  const figures = figuresTable(r);
  const goalText = goalsTable(r.goals);
  const machine = `Machine: ${r.meta.cpu}, ${r.meta.cores} cores (nproc), Node ${r.meta.node}; load average ${r.meta.load_at_start[0].toFixed(2)} at start, ${r.meta.load_at_end[0].toFixed(2)} at end; flowgate ${r.meta.flowgate_version}, ${r.meta.wasm_bytes.toLocaleString('en')} B of Wasm (${r.meta.wasm_gzip_bytes.toLocaleString('en')} B gzip).`;
  writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(join(OUT, 'scaling.svg'), scalingSvg(r));
  writeFileSync(join(OUT, 'figures.md'), `${machine}\n\n${figures}\n\n${goalText}\n`);
  section('Figures');
  log(machine);
  log(`\n${figures}\n\n${goalText}\n`);
  log(`results: ${join(OUT, 'results.json')}, ${join(OUT, 'figures.md')}, chart: ${join(OUT, 'scaling.svg')} (${r.meta.seconds.toFixed(0)} s)`);
}

main().catch((e) => {
  console.error(`\nbench FAILED: ${e.stack ?? e}`);
  process.exit(1);
});
