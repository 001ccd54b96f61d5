// workerd through Miniflare 4.20260426.0 (toolchain §4c): cold start (Miniflare start → first
// decision answered) of a worker that imports the package's worker entry and builds the RBAC
// engine at module scope, minus the same for an empty worker; then warm decisions per request
// batch. Timers do not advance inside workerd during CPU work, so times are taken outside.
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appPk, expectedDecisions, rbacSnapshot, requestStream, userPk } from './fixture.mjs';
import { OUT, median, require } from './lib.mjs';

const WORKER = `
import { Engine } from './pkg/worker.js';
import snapshot from './snapshot.js';
import stream from './stream.js';
const engine = new Engine(snapshot); // module scope: once per isolate
export default {
  async fetch(request) {
    const n = Number(new URL(request.url).searchParams.get('n') ?? '1');
    const decisions = [];
    for (let i = 0; i < n; i++) {
      const [target, user] = stream[i % stream.length];
      decisions.push(engine.evaluate(target, { user }).passing ? 1 : 0);
    }
    return new Response(JSON.stringify({ decisions }));
  },
};
`;
const EMPTY = `export default { async fetch() { return new Response(JSON.stringify({ decisions: [] })); } };`;
// The package loaded (Wasm instantiated at import), no engine: splits load from build.
const LOADED = `import { version } from './pkg/worker.js';
export default { async fetch() { return new Response(JSON.stringify({ decisions: [], version })); } };`;

function prepare(pkgDir) {
  const dir = join(OUT, 'workerd');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'pkg'), { recursive: true });
  for (const f of ['worker.js', 'api.js', 'flowgate_wasm.js', 'flowgate_blueprint.js', 'flowgate_wasm_bg.wasm']) copyFileSync(join(pkgDir, f), join(dir, 'pkg', f));
  const stream = requestStream();
  writeFileSync(join(dir, 'snapshot.js'), `export default ${JSON.stringify(JSON.stringify(rbacSnapshot('static')))};\n`);
  writeFileSync(join(dir, 'stream.js'), `export default ${JSON.stringify(stream.map(([u, a]) => [appPk(a), userPk(u)]))};\n`);
  writeFileSync(join(dir, 'worker.mjs'), WORKER);
  writeFileSync(join(dir, 'empty.mjs'), EMPTY);
  writeFileSync(join(dir, 'loaded.mjs'), LOADED);
  return { dir, expected: expectedDecisions(stream) };
}

function options(dir, script) {
  return {
    modules: true, modulesRoot: dir, scriptPath: join(dir, script), compatibilityDate: '2025-01-01',
    modulesRules: [{ type: 'ESModule', include: ['**/*.js', '**/*.mjs'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
  };
}

async function coldOnce(Miniflare, dir, script) {
  const t0 = performance.now();
  const mf = new Miniflare(options(dir, script));
  await mf.ready;
  const t1 = performance.now();
  const res = await mf.dispatchFetch('http://bench.test/?n=1');
  const body = await res.json();
  const t2 = performance.now();
  return { mf, ready_ms: t1 - t0, first_request_ms: t2 - t1, total_ms: t2 - t0, body };
}

export async function runWorkerd(pkgDir, log, runs = 3) {
  if (!existsSync(join(pkgDir, 'worker.js'))) return { unavailable: 'the package has no worker.js entry' };
  const { Miniflare } = require('miniflare');
  const { dir, expected } = prepare(pkgDir);
  const cold = { flowgate: [], empty: [], loaded: [] };
  let warm = null;
  for (let r = 0; r < runs; r++) {
    for (const [name, script] of [['empty', 'empty.mjs'], ['loaded', 'loaded.mjs'], ['flowgate', 'worker.mjs']]) {
      const c = await coldOnce(Miniflare, dir, script);
      if (name === 'flowgate' && c.body.decisions[0] !== (expected[0] ? 1 : 0)) throw new Error('DECISION MISMATCH in workerd (first request)');
      if (name === 'flowgate' && r === runs - 1) {
        // Warm: the whole 20,000-request stream per request, checked, then timed.
        const all = await (await c.mf.dispatchFetch(`http://bench.test/?n=${expected.length}`)).json();
        const wrong = all.decisions.filter((d, i) => d !== (expected[i] ? 1 : 0)).length;
        if (wrong) throw new Error(`DECISION MISMATCH: flowgate in workerd disagrees on ${wrong} requests`);
        const times = [];
        for (let k = 0; k < 7; k++) {
          const t0 = performance.now();
          await (await c.mf.dispatchFetch(`http://bench.test/?n=${expected.length}`)).json();
          times.push(performance.now() - t0);
        }
        warm = { decisions_per_request: expected.length, median_us: (median(times.slice(2)) * 1000) / expected.length, checked: expected.length };
      }
      await c.mf.dispose();
      cold[name].push(c);
    }
  }
  const m = (list, k) => median(list.map((c) => c[k]));
  const out = {
    runs,
    flowgate: { ready_ms: m(cold.flowgate, 'ready_ms'), first_request_ms: m(cold.flowgate, 'first_request_ms'), total_ms: m(cold.flowgate, 'total_ms') },
    empty_worker: { ready_ms: m(cold.empty, 'ready_ms'), first_request_ms: m(cold.empty, 'first_request_ms'), total_ms: m(cold.empty, 'total_ms') },
    package_only: { ready_ms: m(cold.loaded, 'ready_ms'), first_request_ms: m(cold.loaded, 'first_request_ms'), total_ms: m(cold.loaded, 'total_ms') },
    warm,
  };
  out.flowgate_share_ms = out.flowgate.total_ms - out.empty_worker.total_ms;
  out.load_share_ms = out.package_only.total_ms - out.empty_worker.total_ms;
  out.build_and_decide_share_ms = out.flowgate.total_ms - out.package_only.total_ms;
  log(`  workerd cold: ${out.flowgate.total_ms.toFixed(1)} ms to first decision (empty worker ${out.empty_worker.total_ms.toFixed(1)} ms → flowgate's share ${out.flowgate_share_ms.toFixed(1)} ms: load ${out.load_share_ms.toFixed(1)} + build and first decision ${out.build_and_decide_share_ms.toFixed(1)})`);
  if (warm) log(`  workerd warm: ${warm.median_us.toFixed(3)} µs per decision (20,000 per request, incl. the request)`);
  return out;
}
