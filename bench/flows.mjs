// Times `plan` and `next` from JS for a 5-stage flow with 3 policy bindings per stage (all
// evaluated at plan time and again at run time), and prints the median in µs.
//   node bench/flows.mjs [package dir, default ./pkg] [iterations, default 5000]
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const pkgDir = resolve(process.argv[2] ?? process.env.FLOWGATE_PKG ?? 'pkg');
const iterations = Number(process.argv[3] ?? 5000);
const { Engine } = createRequire(import.meta.url)(pkgDir);

const FLOW = 'f1000000-0000-4000-8000-000000000001';
const STAFF = '6e000000-0000-4000-8000-000000000001';
const stages = [];
const fsbs = [];
const bindings = [];
for (let i = 0; i < 5; i++) {
  stages.push({ pk: `5e00000${i}-0000-4000-8000-000000000000`, name: `stage-${i}`, component: 'ak-stage-dummy' });
  const pk = `b100000${i}-0000-4000-8000-000000000000`;
  fsbs.push({ pk, target: FLOW, stage: stages[i].pk, order: i, evaluate_on_plan: true, re_evaluate_policies: true });
  // Three bindings per stage: two policies and a group, mode any (all are evaluated).
  bindings.push({ target: pk, policy: 'p-a', order: 0 });
  bindings.push({ target: pk, policy: 'p-b', order: 1, negate: true });
  bindings.push({ target: pk, group: STAFF, order: 2 });
}
const snapshot = {
  users: [{ pk: 1, username: 'alice', groups: [STAFF] }],
  groups: [{ pk: STAFF, name: 'staff' }],
  policies: [
    { pk: 'p-a', name: 'a', type: 'dummy', result: true },
    { pk: 'p-b', name: 'b', type: 'dummy', result: false },
  ],
  policy_bindings: bindings,
  flows: [{ pk: FLOW, slug: 'five', name: 'Five', designation: 'authentication' }],
  stages,
  flow_stage_bindings: fsbs,
};

const engine = new Engine(snapshot);
const request = { user: 1, http: { user: 1, client_ip: '192.0.2.1' }, now: '2026-01-01T00:00:00Z' };
const options = { context: { redirect: '/if/user/', prompt_data: { email: 'alice@example.com' } } };

function median(fn) {
  for (let i = 0; i < Math.min(500, iterations); i++) fn(); // warm-up
  const times = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    fn();
    times[i] = performance.now() - t0;
  }
  times.sort();
  return times[iterations >> 1] * 1000;
}

const planned = engine.plan('five', request, options);
if (!planned.ok || planned.stages.length !== 5) throw new Error('unexpected plan');
const plan = planned.plan;
const text = JSON.stringify(plan);
const rows = [
  ['plan (15 stage bindings evaluated)', () => engine.plan('five', request, options)],
  ['next (head re-evaluated, 3 bindings)', () => engine.next(plan, request)],
  ['next from JSON text (JSON.parse + next)', () => engine.next(JSON.parse(text), request)],
  ['stageOk', () => engine.stageOk(plan)],
];
console.log(`flowgate ${pkgDir}, ${iterations} iterations, median per call:`);
for (const [name, fn] of rows) console.log(`  ${name.padEnd(42)} ${median(fn).toFixed(1).padStart(7)} µs`);
engine.free();
