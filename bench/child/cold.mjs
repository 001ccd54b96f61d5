// Child process: cold start, fresh process → first decision. Prints one JSON line.
//   node cold.mjs flowgate <pkg dir> <snapshot.json> [target] [user pk]   |   node cold.mjs cedar
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [engine, dir, snapshotPath, target = 'a1000000-0000-4000-8000-000000000007', user = '1'] = process.argv.slice(2);
const ms = () => performance.now(); // since the process started (timeOrigin)

if (engine === 'flowgate') {
  const text = readFileSync(snapshotPath, 'utf8'); // the host's business, not timed
  const t0 = ms();
  const fg = require(`${dir}/index.cjs`);
  const t1 = ms();
  const e = new fg.Engine(text);
  const t2 = ms();
  const first = e.evaluate(target, { user: Number(user) });
  const t3 = ms();
  e.evaluate(target, { user: Number(user) + 1 });
  const t4 = ms();
  console.log(JSON.stringify({ load_ms: t1 - t0, build_ms: t2 - t1, first_decision_ms: t3 - t2,
    second_decision_ms: t4 - t3, load_to_first_decision_ms: t3 - t0, process_start_to_first_decision_ms: t3,
    passing: first.passing }));
} else {
  // cedar-wasm (peers §1.5): load, preparse the 101 policies, first stateful decision.
  const { cedarFixture } = await import('../fixture.mjs');
  const { policyText, sliced } = cedarFixture();
  const t0 = ms();
  const cedar = require('@cedar-policy/cedar-wasm/nodejs');
  const t1 = ms();
  cedar.preparsePolicySet('rbac', { staticPolicies: policyText });
  const t2 = ms();
  const call = (u, a) => cedar.statefulIsAuthorized({ principal: { type: 'User', id: `u${u}` },
    action: { type: 'Action', id: 'access' }, resource: { type: 'Application', id: `a${a}` }, context: {},
    preparsedPolicySetId: 'rbac', entities: sliced(u, a) });
  const first = call(0, 7);
  const t3 = ms();
  call(1, 8);
  const t4 = ms();
  console.log(JSON.stringify({ load_ms: t1 - t0, build_ms: t2 - t1, first_decision_ms: t3 - t2,
    second_decision_ms: t4 - t3, load_to_first_decision_ms: t3 - t0, process_start_to_first_decision_ms: t3,
    passing: first.response?.decision === 'allow' }));
}
