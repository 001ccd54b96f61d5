// Flows through the JS API: a whole walk with the plan stored as JSON text between every step
// (as a host keeping it in a cookie or KV would), signatures, tampering and stale plans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const pkgDir = process.env.FLOWGATE_PKG ?? join(fileURLToPath(new URL('..', import.meta.url)), 'pkg');
const require = createRequire(import.meta.url);
const { Engine, FlowgateError } = require(pkgDir);

const NOW = '2026-01-01T00:00:00Z';
const FLOW = 'f1000000-0000-4000-8000-000000000001';
const STAFF = '6e000000-0000-4000-8000-000000000001';
const stage = (i) => ({ pk: `5e00000${i}-0000-4000-8000-000000000000`, name: `stage-${i}`, component: 'ak-stage-dummy' });
const fsb = (i, extra = {}) => ({
  pk: `b100000${i}-0000-4000-8000-000000000000`, target: FLOW, stage: stage(i).pk, order: i * 10, ...extra,
});

function snapshot(extra = {}) {
  return {
    users: [
      { pk: 1, username: 'alice', groups: [STAFF] },
      { pk: 2, username: 'bob' },
    ],
    groups: [{ pk: STAFF, name: 'staff' }],
    policies: [
      { pk: 'p-true', name: 'yes', type: 'dummy', result: true },
      { pk: 'p-false', name: 'no', type: 'dummy', result: false },
    ],
    policy_bindings: [
      // stage-1: only staff, checked when it becomes current (default re_evaluate_policies).
      { target: fsb(1).pk, group: STAFF, order: 0 },
      // stage-2: checked at plan time only; passes.
      { target: fsb(2).pk, policy: 'p-true', order: 0 },
      // stage-3: a failing policy, checked at run time: dropped with its message.
      { target: fsb(3).pk, policy: 'p-false', order: 0 },
    ],
    flows: [{ pk: FLOW, slug: 'five', name: 'Five stages', designation: 'authentication' }],
    stages: [0, 1, 2, 3, 4].map(stage),
    flow_stage_bindings: [
      fsb(0, { re_evaluate_policies: false }),
      fsb(1),
      fsb(2, { evaluate_on_plan: true, re_evaluate_policies: false }),
      fsb(3),
      fsb(4),
    ],
    ...extra,
  };
}

// What a host does between two requests: store the plan as text, read it back.
const roundTrip = (plan) => JSON.parse(JSON.stringify(plan));

function walk(engine, request, options) {
  const planned = engine.plan('five', request, options);
  assert.equal(planned.ok, true);
  let plan = roundTrip(planned.plan);
  const visited = [];
  const messages = [];
  for (let guard = 0; guard < 10; guard++) {
    const step = engine.next(roundTrip(plan), request);
    messages.push(...step.messages);
    if (step.done) return { visited, messages, last: step };
    visited.push(step.stage.name);
    plan = roundTrip(engine.stageOk(roundTrip(step.plan)));
  }
  assert.fail('the walk did not end');
}

function throwsCode(fn, code) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof FlowgateError, `expected a FlowgateError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

test('a whole walk through a 5-stage flow, plan stored as JSON between steps', () => {
  const engine = new Engine(snapshot());
  const planned = engine.plan('five', { user: 1, now: NOW }, { context: { redirect: '/done' } });
  assert.deepEqual(planned.stages.map((s) => s.name), ['stage-0', 'stage-1', 'stage-2', 'stage-3', 'stage-4']);
  assert.deepEqual(planned.plan.markers, ['none', 'reevaluate', 'none', 'reevaluate', 'reevaluate']);
  assert.equal(planned.plan.flow_pk, FLOW);
  assert.equal(planned.plan.flow_slug, 'five');
  assert.equal(typeof planned.plan.fingerprint, 'string');
  assert.deepEqual(planned.stages[1], {
    binding: fsb(1).pk, stage: stage(1).pk, name: 'stage-1', component: 'ak-stage-dummy', order: 10,
  });

  const alice = walk(engine, { user: 1, now: NOW }, { context: { redirect: '/done' } });
  assert.deepEqual(alice.visited, ['stage-0', 'stage-1', 'stage-2', 'stage-4']);
  assert.deepEqual(alice.messages, ['dummy']); // stage-3's failing policy
  assert.equal(alice.last.done, true);
  assert.equal(alice.last.redirect, '/done');
  assert.deepEqual(alice.last.plan.bindings, []);

  // bob is not staff: stage-1 is dropped when it becomes current.
  const bob = walk(engine, { user: 2, now: NOW });
  assert.deepEqual(bob.visited, ['stage-0', 'stage-2', 'stage-4']);
  assert.equal(bob.last.redirect, undefined);

  // The pending user in the plan context wins over the request user at run time.
  const pending = walk(engine, { user: 2, now: NOW }, { context: { pending_user: 'alice' } });
  assert.deepEqual(pending.visited, ['stage-0', 'stage-1', 'stage-2', 'stage-4']);
  engine.free();
});

test('signPlan then verifyPlan', () => {
  const engine = new Engine(snapshot());
  const { plan } = engine.plan('five', { user: 1, now: NOW });
  const signed = engine.signPlan(plan, 'secret');
  assert.match(signed.signature, /^[0-9a-f]{64}$/);
  const verified = engine.verifyPlan(roundTrip(signed), 'secret');
  assert.deepEqual(verified, signed);
  // A Uint8Array key is the same key as its UTF-8 string.
  assert.deepEqual(engine.verifyPlan(roundTrip(signed), new TextEncoder().encode('secret')), signed);
  // A verified plan runs; the step's plan has changed, so it comes back unsigned.
  const step = engine.next(verified, { user: 1, now: NOW });
  assert.equal(step.stage.name, 'stage-0');
  assert.equal(engine.stageOk(verified).signature, undefined);
  engine.free();
});

test('a tampered signed plan is invalid_plan', () => {
  const engine = new Engine(snapshot());
  const signed = engine.signPlan(engine.plan('five', { user: 2, now: NOW }).plan, 'secret');
  const tamper = (f) => { const p = roundTrip(signed); f(p); return p; };
  // Skip the run-time check of the staff-only stage, or swap in another user.
  throwsCode(() => engine.verifyPlan(tamper((p) => { p.markers[1] = 'none'; }), 'secret'), 'invalid_plan');
  throwsCode(() => engine.verifyPlan(tamper((p) => { p.context.pending_user = 1; }), 'secret'), 'invalid_plan');
  throwsCode(() => engine.verifyPlan(tamper((p) => { p.bindings.reverse(); }), 'secret'), 'invalid_plan');
  throwsCode(() => engine.verifyPlan(tamper((p) => { p.signature = p.signature.replace(/^./, (c) => (c === '0' ? '1' : '0')); }), 'secret'), 'invalid_plan');
  throwsCode(() => engine.verifyPlan(tamper((p) => { delete p.signature; }), 'secret'), 'invalid_plan');
  throwsCode(() => engine.verifyPlan(roundTrip(signed), 'another key'), 'invalid_plan');
  // Without signatures, structural tampering is still caught.
  throwsCode(() => engine.next(tamper((p) => { p.bindings[0] = 'not-a-binding'; }), { now: NOW }), 'invalid_plan');
  throwsCode(() => engine.next(tamper((p) => { p.markers.pop(); }), { now: NOW }), 'invalid_plan');
  throwsCode(() => engine.stageOk(tamper((p) => { p.context = []; })), 'invalid_plan');
  throwsCode(() => engine.next('not a plan', { now: NOW }), 'invalid_plan');
  engine.free();
});

test('a plan from another snapshot is stale_plan', () => {
  const a = new Engine(snapshot());
  const b = new Engine(snapshot({ reputations: [{ ip: '10.0.0.1', score: -3 }] }));
  const { plan } = a.plan('five', { user: 1, now: NOW });
  const signed = a.signPlan(plan, 'k');
  throwsCode(() => b.next(roundTrip(plan), { user: 1, now: NOW }), 'stale_plan');
  throwsCode(() => b.stageOk(roundTrip(plan)), 'stale_plan');
  throwsCode(() => b.stageInvalid(roundTrip(plan), { now: NOW }), 'stale_plan');
  // The signature itself is fine (same key): the plan is still stale.
  throwsCode(() => b.verifyPlan(roundTrip(signed), 'k'), 'stale_plan');
  // The same snapshot given again (as text this time) accepts it.
  const c = new Engine(JSON.stringify(snapshot()));
  assert.equal(c.next(roundTrip(plan), { user: 1, now: NOW }).stage.name, 'stage-0');
  for (const e of [a, b, c]) e.free();
});

test('failed plans and stageInvalid shapes', () => {
  const engine = new Engine(snapshot({
    flows: [
      { pk: FLOW, slug: 'five', name: 'Five stages', designation: 'authentication' },
      { pk: 'f-auth', slug: 'login', name: 'Login', designation: 'authentication', authentication: 'require_unauthenticated' },
    ],
  }));
  assert.deepEqual(engine.plan('login', { user: 1, now: NOW }), {
    ok: false, reason: 'auth_required', messages: ['Flow does not apply to current user.'], denied_action: 'message_continue',
  });
  assert.deepEqual(engine.plan('login', { now: NOW }), {
    ok: false, reason: 'empty', messages: [], denied_action: 'message_continue',
  });
  throwsCode(() => engine.plan('nope', { now: NOW }), 'not_found');
  throwsCode(() => engine.plan('five', { user: 99, now: NOW }), 'not_found');
  const { plan } = engine.plan('five', { user: 1, now: NOW });
  const retry = engine.stageInvalid(plan, { user: 1, now: NOW });
  assert.equal(retry.done, false);
  assert.equal(retry.stage.name, 'stage-0');
  assert.deepEqual(retry.plan, plan);
  assert.match(engine.diagram('five'), /^graph TD\nflow_start\[\["Flow\nFive stages"\]\]/);
  engine.free();
});
