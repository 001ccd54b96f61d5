// Child process: the scaling curves. evaluate time vs bindings per target (1 → 1,000) and vs
// snapshot users (1k → 100k, with the build time). Prints one JSON line.
import { appPk, bindingsScalingSnapshot, requestStream, userGroups, appGroups, userPk, usersScalingSnapshot } from '../fixture.mjs';
import { loadFlowgate, measure, wasmMemory } from '../lib.mjs';

const { api, raw } = loadFlowgate();
const opts = { batch: 100, warmup: 5000, minSamples: 100, minMs: 250, maxMs: 2000 };
const bindings = [];
for (const n of [1, 3, 10, 30, 100, 300, 1000]) {
  const e = new api.Engine(bindingsScalingSnapshot(n));
  const target = appPk(0);
  // The probe user is in the last group only: every binding is looked at, the decision is allow.
  if (!e.evaluate(target, { user: 1 }).passing) throw new Error(`scaling: ${n} bindings should allow`);
  const t = measure(() => e.evaluate(target, { user: 1 }), 1, opts);
  bindings.push({ n, median_us: t.median, p90_us: t.p90 });
  e.free();
}
const users = [];
for (const n of [1000, 3000, 10000, 30000, 100000]) {
  // JSON text only: the snapshot object is garbage before the build (a host holding a 100k-user
  // object graph makes every garbage collection during the build slower, see src/wasm/alloc.rs).
  const text = JSON.stringify(usersScalingSnapshot(n));
  const t0 = process.hrtime.bigint();
  const e = new api.Engine(text);
  const buildMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const stream = requestStream(20000, n);
  const targets = stream.map(([, a]) => appPk(a));
  const pks = stream.map(([u]) => userPk(u));
  for (let i = 0; i < 200; i++) {
    const [u, a] = stream[i];
    const want = appGroups(a).some((g) => userGroups(u).includes(g));
    if (e.evaluate(targets[i], { user: pks[i] }).passing !== want) throw new Error(`scaling: wrong decision at ${n} users`);
  }
  const t = measure((i) => e.evaluate(targets[i], { user: pks[i] }), stream.length, opts);
  users.push({ n, median_us: t.median, p90_us: t.p90, build_ms: buildMs, text_bytes: text.length, wasm_memory: wasmMemory(raw) });
  e.free();
}
console.log(JSON.stringify({ bindings, users }));
