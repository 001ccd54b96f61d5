// The JS surface of the policy engine: results are plain objects, errors are FlowgateErrors
// with stable codes and paths, handles can be freed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

const pkgDir = process.env.FLOWGATE_PKG ?? join(fileURLToPath(new URL('..', import.meta.url)), 'pkg');
const require = createRequire(import.meta.url);
const fg = require(pkgDir);
const { Engine, FlowgateError } = fg;

const NOW = '2026-06-01T12:00:00Z';
const G = '0b6e0000-0000-4000-8000-000000000001';
const APP = '9a1d0000-0000-4000-8000-000000000002';
const P = '7a1d0000-0000-4000-8000-000000000003';
const snapshot = {
  users: [
    { pk: 1, username: 'jane', groups: [G], attributes: { __proto__: { polluted: true } } },
    { pk: 2, username: 'bob' },
  ],
  groups: [{ pk: G, name: 'admins' }],
  policies: [{ pk: P, name: 'always', type: 'dummy', result: true }],
  applications: [{ pk: APP, slug: 'grafana', name: 'Grafana' }],
  policy_bindings: [
    { pk: 'b1', target: APP, policy: P, order: 0 },
    { pk: 'b2', target: APP, group: G, order: 1 },
  ],
};

function isPlain(v) {
  if (Array.isArray(v)) return v.every(isPlain);
  if (v && typeof v === 'object') {
    return Object.getPrototypeOf(v) === Object.prototype && Object.values(v).every(isPlain);
  }
  return true;
}

test('evaluate returns plain objects with messages and an optional trace', () => {
  const engine = new Engine(snapshot);
  const r = engine.evaluate('app:grafana', { user: 'jane', now: NOW });
  assert.deepEqual(r, { passing: true, messages: ['dummy'] });
  const t = engine.evaluate(APP, { user: 2, now: NOW }, { trace: true });
  assert.equal(t.passing, true); // mode any: the policy passes
  assert.ok(isPlain(t));
  assert.deepEqual(t.trace.map((b) => [b.binding, b.kind, b.name, b.passing]), [
    ['b1', 'policy', 'always', true],
    ['b2', 'group', 'admins', false],
  ]);
  assert.deepEqual(Object.keys(t.trace[0]).sort(),
    ['binding', 'dry_run', 'kind', 'messages', 'name', 'negate', 'order', 'passing']);
  engine.free();
});

test('the snapshot may be JSON text or bytes; stats count it', () => {
  const text = JSON.stringify(snapshot);
  for (const e of [new Engine(text), Engine.fromBytes(new TextEncoder().encode(text))]) {
    assert.deepEqual(e.stats, { users: 2, groups: 1, policies: 1, bindings: 2, flows: 0, stages: 0, applications: 1 });
    e.free();
  }
});

test('an invalid snapshot throws FlowgateError with every error and its path', () => {
  const bad = {
    users: [{ pk: 'one', username: 'x' }, { pk: 2, username: 'y', groups: ['nope'] }],
    policy_bindings: [{ target: APP, order: 0 }],
  };
  assert.throws(() => new Engine(bad), (e) => {
    assert.ok(e instanceof FlowgateError);
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'FlowgateError');
    assert.equal(e.code, 'invalid_snapshot');
    assert.deepEqual(e.errors.map((x) => x.path), ['users[0].pk', 'users[1].groups[0]', 'policy_bindings[0]']);
    return true;
  });
  assert.throws(() => new Engine('{"users": ['), { code: 'invalid_snapshot' });
  assert.throws(() => new Engine(42), { code: 'invalid_snapshot' });
});

test('bad requests, unknown names and freed handles are FlowgateErrors', () => {
  const engine = new Engine(snapshot);
  assert.throws(() => engine.evaluate('app:grafana', { now: 'soon' }),
    (e) => e instanceof FlowgateError && e.code === 'invalid_request' && e.errors[0].path === 'request.now');
  assert.throws(() => engine.evaluate('app:grafana', { user: { pk: 3 } }),
    (e) => e.code === 'invalid_request' && e.errors[0].path === 'request.user.username');
  assert.throws(() => engine.evaluate(42), { code: 'invalid_request' });
  assert.throws(() => engine.evaluate('app:nope'), { code: 'not_found' });
  assert.throws(() => engine.evaluate('app:grafana', { user: 99 }), { code: 'not_found' });
  assert.throws(() => engine.testPolicy('nope'), { code: 'not_found' });
  engine.free();
  engine.free(); // twice is harmless
  assert.throws(() => engine.evaluate('app:grafana'), (e) => e instanceof FlowgateError && /freed/.test(e.message));
});

test('evaluateMany, filterUsers and testPolicy agree with evaluate', () => {
  const engine = new Engine(snapshot);
  const reqs = [{ user: 1, now: NOW }, { user: 'bob', now: NOW }, { now: NOW }];
  const many = engine.evaluateMany(APP, reqs);
  assert.deepEqual(many, reqs.map((r) => engine.evaluate(APP, r)));
  assert.deepEqual(engine.filterUsers(APP, [2, 'jane']), [1, 2]);
  assert.deepEqual(engine.filterUsers(APP), [1, 2]);
  assert.deepEqual(engine.testPolicy('always', { now: NOW }), { passing: true, messages: ['dummy'] });
  engine.free();
});

test('inline users and Date values in requests', () => {
  const engine = new Engine(snapshot);
  const inline = { user: { username: 'pending', groups: [G] }, now: new Date(NOW) };
  assert.equal(engine.evaluate(APP, inline, { trace: true }).trace[1].passing, false, 'no pk: static bindings fail');
  assert.equal(engine.evaluate(APP, { user: { pk: 7, username: 'p', groups: [G] }, now: NOW }, { trace: true }).trace[1].passing, true);
  engine.free();
});

test('snapshot attributes cannot pollute prototypes', () => {
  const engine = new Engine(snapshot);
  engine.evaluate(APP, { user: 1, context: JSON.parse('{"__proto__": {"polluted": 1}}') });
  assert.equal({}.polluted, undefined);
  assert.equal(Object.prototype.polluted, undefined);
  engine.free();
});

test('ESM import gives the same API', async () => {
  const esm = await import(pathToFileURL(join(pkgDir, 'index.mjs')).href);
  assert.equal(esm.version, fg.version);
  assert.match(esm.version, /^\d+\.\d+\.\d+/);
  const e = new esm.Engine(snapshot);
  assert.equal(e.evaluate('app:grafana', { user: 1 }).passing, true);
  e.free();
});
