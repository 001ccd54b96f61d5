// Edge workers: examples/worker is bundled the way wrangler does it (esbuild, conditions
// workerd/worker/browser, the .wasm kept as a module import, JSON inlined) and run in workerd
// through Miniflare: the package's worker entry instantiates the Wasm from a compiled module.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { bundleWorker, pkgDir, root, scratch } from './helpers.mjs';

const example = join(root, 'examples', 'worker');
const out = scratch('worker');
const KEY = 'test-signing-key';
let mf;

// Flows are built by another module; until `plan` works there, the flow tests run as TODO.
const flowsPending = (() => {
  const { Engine } = createRequire(import.meta.url)(pkgDir);
  try {
    new Engine(JSON.parse(readFileSync(join(example, 'snapshot.json'), 'utf8'))).plan('login', { user: 'alice' });
    return false;
  } catch (e) {
    return e.code === 'engine_error' && `flows are not implemented in this build yet (${e.message})`;
  }
})();

before(async () => {
  // wrangler resolves node_modules/flowgate; here a scratch node_modules links the built package.
  const { inputs, options } = await bundleWorker(out, { PLAN_KEY: KEY });
  assert.ok(inputs.includes(join(pkgDir, 'worker.js')), `the worker entry was not used: ${inputs.join(', ')}`);
  mf = new Miniflare(options);
  await mf.ready;
});
after(() => mf?.dispose());

const get = (path, user, headers = {}) =>
  mf.dispatchFetch(`http://worker.test${path}`, { headers: { ...(user ? { 'x-user': user } : {}), ...headers } });

test('GET /apps/<slug> gates by group membership', async () => {
  const cases = [
    ['grafana', 'alice', 200], ['grafana', 'bob', 403], ['wiki', 'alice', 200], // admins ⊂ staff
    ['wiki', '2', 200], ['wiki', 'carol', 403], ['wiki', null, 403], ['status', null, 200],
  ];
  for (const [app, user, status] of cases) {
    const res = await get(`/apps/${app}`, user);
    const body = await res.json();
    assert.equal(res.status, status, `${user} → ${app}: ${JSON.stringify(body)}`);
    assert.equal(body.passing, status === 200);
  }
});

test('unknown applications and users are 404 with the FlowgateError code', async () => {
  for (const [path, user] of [['/apps/nope', 'alice'], ['/apps/wiki', 'mallory'], ['/elsewhere', 'alice']]) {
    const res = await get(path, user);
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error, 'not_found');
  }
});

/** Walks a flow: GET to plan, then POST {result: "ok"} per stage; returns the stage names. */
async function walk(user) {
  let res = await get('/flows/login', user);
  const names = [];
  for (let i = 0; i < 10; i++) {
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    if (body.done) {
      assert.match(res.headers.get('set-cookie'), /Max-Age=0/);
      return names;
    }
    names.push(body.stage.name);
    const cookie = res.headers.get('set-cookie').split(';')[0];
    assert.match(cookie, /^flowgate_plan=[\w-]+$/);
    res = await mf.dispatchFetch('http://worker.test/flows/login', {
      method: 'POST', headers: { 'x-user': user, cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ result: 'ok' }),
    });
  }
  throw new Error('the flow did not end');
}

test('a flow runs stage by stage with the plan in a signed cookie', { todo: flowsPending }, async () => {
  // The mfa stage is bound to admins and re-evaluated when it becomes current.
  assert.deepEqual(await walk('alice'), ['identification', 'password', 'mfa']);
  assert.deepEqual(await walk('bob'), ['identification', 'password']);
});

test('a tampered plan cookie is refused', { todo: flowsPending }, async () => {
  const first = await get('/flows/login', 'bob');
  assert.equal(first.status, 200, await first.clone().text());
  const cookie = first.headers.get('set-cookie').split(';')[0];
  const plan = JSON.parse(Buffer.from(cookie.split('=')[1], 'base64url').toString('utf8'));
  plan.bindings = plan.bindings.slice(1); // skip the current stage
  const forged = `flowgate_plan=${Buffer.from(JSON.stringify(plan)).toString('base64url')}`;
  const res = await mf.dispatchFetch('http://worker.test/flows/login', {
    method: 'POST', headers: { 'x-user': 'bob', cookie: forged }, body: '{"result":"ok"}',
  });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error, 'invalid_plan');
});
