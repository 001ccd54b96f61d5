// The fast lanes of the Wasm binding (src/wasm: `{user, now}` requests read without JSON, the
// target-name cache, the string caches, the result writer) must answer exactly as the general
// path does. Run: `node --test bench/` (scripts/bench.sh runs it before timing anything).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadFlowgate } from './lib.mjs';

const { api } = loadFlowgate();
const G = 'a0000000-0000-4000-8000-000000000001';
const APP = 'a1000000-0000-4000-8000-000000000001';
const snapshot = {
  users: [{ pk: 1, username: 'alice', groups: [G] }, { pk: 2, username: 'bob' }],
  groups: [{ pk: G, name: 'staff' }],
  policies: [{ pk: 'p-no', name: 'no', type: 'dummy', result: false }],
  applications: [{ pk: APP, slug: 'one', name: 'One' }],
  policy_bindings: [
    { pk: 'b1', target: APP, group: G, order: 0, expiring: true, expires: '2026-01-01T00:00:00Z' },
    { pk: 'b2', target: APP, user: 2, order: 1 },
    { pk: 'b3', target: APP, policy: 'p-no', order: 2, dry_run: true },
  ],
};
const engine = new api.Engine(snapshot);
const before = { now: '2025-06-01T00:00:00Z' };
const call = (f) => {
  try {
    return { ok: f() };
  } catch (e) {
    return { code: e.code, message: e.message, errors: e.errors };
  }
};
const evaluate = (req) => call(() => engine.evaluate(APP, req));

test('a {user, now} request decides like the same request with ignored extras', () => {
  for (const user of [1, 2, 'alice', 'bob', null]) {
    const plain = evaluate({ user, ...before });
    assert.deepEqual(evaluate({ user, ...before, extra: undefined }), plain);
    assert.deepEqual(evaluate({ user, ...before, extra: 'x', context: {} }), plain);
    assert.deepEqual(evaluate({ ...before, user, fn() {} }), plain);
  }
  assert.equal(evaluate({ user: 1, ...before }).ok.passing, true); // group binding, not expired yet
  assert.equal(evaluate({ user: 1, now: '2026-06-01T00:00:00Z' }).ok.passing, false); // expired
  assert.deepEqual(evaluate({ user: 1, now: null }), evaluate({ user: 1 }));
  assert.deepEqual(evaluate({ user: 1, now: Date.parse(before.now) }), evaluate({ user: 1, ...before }));
});

test('invalid users and times give the general parser\'s errors', () => {
  assert.equal(evaluate({ user: 1.5 }).code, 'invalid_request');
  assert.equal(evaluate({ user: 1.5 }).errors[0].path, 'request.user');
  assert.equal(evaluate({ user: 1, now: 'soon' }).errors[0].path, 'request.now');
  assert.equal(evaluate({ user: 99 }).code, 'not_found');
  assert.equal(evaluate({ user: true }).code, 'invalid_request');
  assert.equal(evaluate({ user: 1, foo: 10n }).code, 'invalid_request');
  // NaN becomes null (as JSON.stringify has it): anonymous.
  assert.deepEqual(evaluate({ user: NaN, ...before }), evaluate({ user: null, ...before }));
});

test('only own enumerable keys count, arrays and dates are not requests', () => {
  assert.deepEqual(evaluate(Object.create({ user: 1 })), evaluate({}));
  const arr = [];
  arr.user = 1;
  assert.equal(evaluate(arr).code, 'invalid_request');
  const date = new Date(0);
  date.user = 1;
  assert.equal(evaluate(date).code, 'invalid_request');
  class Getter { get user() { return 1; } }
  assert.deepEqual(evaluate(new Getter()), evaluate({}));
});

test('results are fresh objects with the documented shape', () => {
  const a = engine.evaluate(APP, { user: 1, ...before });
  assert.deepEqual(Object.keys(a), ['passing', 'messages']);
  a.messages.push('mutated');
  a.passing = 'x';
  assert.deepEqual(engine.evaluate(APP, { user: 1, ...before }), { passing: true, messages: [] });
  const traced = engine.evaluate(APP, { user: 1, ...before }, { trace: true });
  assert.deepEqual(traced.trace.map((t) => [t.binding, t.kind, t.name, t.passing]),
    [['b1', 'group', 'staff', true], ['b2', 'user', 'bob', false], ['b3', 'policy', 'no', false]]);
  // The same strings again (from the string cache) are equal strings.
  assert.deepEqual(engine.evaluate(APP, { user: 1, ...before }, { trace: true }), traced);
});

test('target names resolve the same through the cache, failures are never cached', () => {
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(call(() => engine.evaluate('app:one', { user: 2 })), call(() => engine.evaluate(APP, { user: 2 })));
    assert.equal(call(() => engine.evaluate('app:two', { user: 2 })).code, 'not_found');
    assert.equal(call(() => engine.evaluate(`${APP} `, { user: 2 })).code, 'not_found');
  }
});

test('evaluateMany answers each request as evaluate does', () => {
  const reqs = [{ user: 1, ...before }, { user: 2 }, { user: 'alice', now: '2027-01-01T00:00:00Z' }, null, {}];
  assert.deepEqual(engine.evaluateMany(APP, reqs), reqs.map((r) => engine.evaluate(APP, r)));
  assert.equal(call(() => engine.evaluateMany(APP, [{ user: 1 }, { user: 1.5 }])).code, 'invalid_request');
});
