#!/usr/bin/env node
// Cold start: process start → first decision, in Node (fresh processes, require and import) and
// in workerd (a fresh Miniflare/workerd per run serving examples/worker). Prints medians.
//   node scripts/cold-start.mjs [runs=7]        (uses pkg/, or FLOWGATE_PKG)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { bundleWorker, pkgDir, root, scratch } from '../js-tests/helpers.mjs';

const runs = Number(process.argv[2] ?? 7);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(1)} ms`;
const snapshotFile = join(root, 'examples', 'worker', 'snapshot.json');
const sample = join(root, 'examples', 'sample-snapshot.json');

// In the child, performance.now() counts from the process's time origin (its start).
const probe = (load) => `const tb = performance.now();
${load}
const t0 = performance.now();
const snapshot = require('node:fs').readFileSync(process.env.SNAPSHOT, 'utf8');
const engine = new Engine(snapshot);
const t1 = performance.now();
const passing = engine.evaluate('app:wiki', { user: 'bob' }).passing;
const t2 = performance.now();
console.log(JSON.stringify({ boot: tb, load: t0 - tb, engine: t1 - t0, decision: t2 - t1, total: t2, passing }));`;

function node(label, args, script, snapshot) {
  const rows = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const r = spawnSync(process.execPath, [...args, script], { encoding: 'utf8', env: { ...process.env, SNAPSHOT: snapshot } });
    const wall = performance.now() - start;
    if (r.status !== 0) throw new Error(r.stderr);
    rows.push({ ...JSON.parse(r.stdout), wall });
  }
  const m = (k) => ms(median(rows.map((r) => r[k])));
  console.log(`${label.padEnd(34)} node boot ${m('boot')}, load flowgate ${m('load')}, new Engine ${m('engine')}, first decision ${m('decision')}` +
    ` → first decision at ${m('total')} after process start (spawn → exit ${m('wall')})`);
}

const req = `const { Engine } = require(${JSON.stringify(pkgDir)});`;
// A dynamic import, so that loading is timed (static imports run before the module body).
const imp = `const { Engine } = await import(${JSON.stringify(join(pkgDir, 'index.mjs'))});
const require = (await import('node:module')).createRequire(import.meta.url);`;
console.log(`flowgate ${JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version}, ` +
  `${readFileSync(join(pkgDir, 'flowgate_wasm_bg.wasm')).length} B wasm, median of ${runs} fresh processes`);
node('node: require (example snapshot)', ['-e'], probe(req), snapshotFile);
node('node: import (example snapshot)', ['--input-type=module', '-e'], probe(imp), snapshotFile);
node('node: require (sample snapshot)', ['-e'], probe(req).replace("'app:wiki', { user: 'bob' }", "'app:grafana', { user: 'alice' }"), sample);
node('node -e "" (no flowgate: baseline)', ['-e'], 'console.log(JSON.stringify({ boot: performance.now(), load: 0, engine: 0, decision: 0, total: performance.now() }))', snapshotFile);

// workerd: Miniflare starts a workerd process, which loads the bundled worker (Wasm instantiation
// and `new Engine(snapshot)` at module scope); the first response is the first decision.
const { options } = await bundleWorker(scratch('cold-start'), { PLAN_KEY: 'k' });
const first = [], second = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const mf = new Miniflare(options);
  const res = await mf.dispatchFetch('http://worker.test/apps/wiki', { headers: { 'x-user': 'bob' } });
  await res.text();
  const t1 = performance.now();
  await (await mf.dispatchFetch('http://worker.test/apps/grafana', { headers: { 'x-user': 'alice' } })).text();
  second.push(performance.now() - t1);
  first.push(t1 - t0);
  await mf.dispose();
}
console.log(`${'workerd (miniflare)'.padEnd(34)} new Miniflare → first response ${ms(median(first))} ` +
  `(workerd process start, worker + Wasm + Engine load, one decision); next request ${ms(median(second))}`);

// Baseline: the same for a worker without flowgate.
const bare = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const mf = new Miniflare({ modules: true, script: 'export default { fetch: () => new Response("ok") };', compatibilityDate: '2025-01-01' });
  await (await mf.dispatchFetch('http://worker.test/')).text();
  bare.push(performance.now() - t0);
  await mf.dispose();
}
console.log(`${'workerd (no flowgate: baseline)'.padEnd(34)} new Miniflare → first response ${ms(median(bare))}`);
