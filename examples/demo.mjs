// flowgate demo: loads the sample snapshot and asks the questions flowgate answers.
//   node examples/demo.mjs [username]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkgDir = process.env.FLOWGATE_PKG ?? new URL('../pkg/', import.meta.url).pathname;
const { Engine, FlowgateError, version } = require(pkgDir);

const snapshot = JSON.parse(readFileSync(new URL('./sample-snapshot.json', import.meta.url), 'utf8'));
const t0 = performance.now();
const engine = new Engine(snapshot);
const built = performance.now() - t0;
const username = process.argv[2] ?? 'alice';
const now = '2026-06-01T12:00:00Z';
const request = { user: username, now, http: { client_ip: '10.1.2.3', user: null } };

console.log(`flowgate ${version}: snapshot loaded in ${built.toFixed(2)} ms`, engine.stats);
console.log(`\n# ${username}: applications`);
try {
  for (const app of engine.applications(request)) console.log(`  ${app.name.padEnd(16)} ${app.launch_url}`);
  const ents = engine.entitlements('grafana', request);
  console.log(`  grafana entitlements: ${ents.entitlements.map((e) => e.name).join(', ') || '(none)'}`,
    JSON.stringify(ents.attributes));
} catch (e) { console.log(`  (${e.code}: ${e.message})`); }

console.log(`\n# ${username}: may open the HR portal? (with trace)`);
const hr = engine.evaluate('app:hr-portal', request, { trace: true });
console.log(`  passing=${hr.passing} messages=${JSON.stringify(hr.messages)}`);
for (const t of hr.trace) console.log(`  binding ${t.order} ${t.kind} ${t.name}: ${t.passing}${t.error ? ` (error: ${t.error})` : ''}`);

console.log(`\n# ${username}: who may open Grafana?`);
const pks = engine.filterUsers('app:grafana', undefined, { now });
console.log(`  ${pks.length} users: ${pks.join(', ')}`);

console.log(`\n# ${username}: the login flow, planned and walked`);
try {
  const outcome = engine.plan('default-authentication-flow', request, { context: { pending_user: username } });
  if (!outcome.ok) {
    console.log(`  denied (${outcome.reason}): ${outcome.messages.join(' ')}`);
  } else {
    console.log(`  planned: ${outcome.stages.map((s) => s.name).join(' → ')}`);
    let plan = outcome.plan;
    for (;;) {
      const step = engine.next(JSON.parse(JSON.stringify(plan)), request);
      if (step.done) { console.log('  done'); break; }
      console.log(`  stage: ${step.stage.name} (${step.stage.component})`);
      plan = engine.stageOk(step.plan);
    }
  }
  console.log('\n# the flow as authentik draws it (Mermaid)\n' + engine.diagram('default-authentication-flow'));
} catch (e) {
  if (!(e instanceof FlowgateError)) throw e;
  console.log(`  (${e.code}: ${e.message})`);
}
engine.free();
