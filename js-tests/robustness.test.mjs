// JS-side safety (SECURITY.md): hostile keys cannot pollute prototypes of returned objects,
// results are fresh objects, a freed engine fails cleanly, Wasm memory stays flat over many
// calls and engine lifetimes, and oversized or deeply nested snapshots are refused quickly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pkgDir } from './helpers.mjs';

const require = createRequire(import.meta.url);
const fg = require(pkgDir);
const { Engine, FlowgateError } = fg;
// The raw wasm-bindgen glue that index.cjs loads (same module instance): its `__memory` hook
// (not part of the public API, used by bench/) gives the module's linear memory.
const glue = ['flowgate_wasm.cjs', 'flowgate_wasm.js'].map((f) => join(pkgDir, f)).find((f) => existsSync(f));
const raw = require(glue);
const wasmMemory = () => (typeof raw.__memory === 'function' ? raw.__memory().buffer.byteLength : null);

const NOW = '2026-06-01T12:00:00Z';
const APP = '9a1d0000-0000-4000-8000-000000000002';
const HOSTILE = '{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 2}}, "prototype": {"polluted": 3}, "ok": 4}';

// Text, not an object literal: `{__proto__: …}` in JS source would set the prototype instead.
const snapshotText = `{
  "users": [{"pk": 1, "username": "jane", "attributes": ${HOSTILE}}, {"pk": 2, "username": "bob"}],
  "policies": [{"pk": "p1", "name": "always", "type": "dummy", "result": true}],
  "applications": [{"pk": "${APP}", "slug": "grafana", "name": "Grafana"}],
  "application_entitlements": [{"pbm_uuid": "e1", "name": "admin", "app": "${APP}", "attributes": ${HOSTILE}}],
  "flows": [{"pk": "f1", "slug": "login", "designation": "authentication"}],
  "stages": [{"pk": "s1", "name": "id", "component": "ak-stage-identification-form"},
             {"pk": "s2", "name": "pw", "component": "ak-stage-password-form"}],
  "flow_stage_bindings": [{"pk": "fsb1", "target": "f1", "stage": "s1", "order": 0},
                          {"pk": "fsb2", "target": "f1", "stage": "s2", "order": 1}],
  "policy_bindings": [{"pk": "b1", "target": "${APP}", "policy": "p1", "order": 0},
                      {"pk": "b2", "target": "e1", "user": 1, "order": 0}]
}`;

/** `obj` is a plain object whose hostile keys are own data properties (or absent). */
function assertSafe(obj, label) {
  assert.equal(Object.getPrototypeOf(obj), Object.prototype, `${label}: prototype`);
  assert.equal(obj.polluted, undefined, `${label}: inherited property`);
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    const own = Object.getOwnPropertyDescriptor(obj, key);
    if (own !== undefined) {
      assert.ok('value' in own && own.enumerable, `${label}.${key} is an own enumerable data property`);
    }
  }
  assert.equal({}.polluted, undefined, 'Object.prototype polluted');
  assert.equal(Object.prototype.polluted, undefined);
}

test('hostile keys in snapshot attributes do not pollute returned objects', () => {
  const engine = new Engine(snapshotText);
  const r = engine.entitlements('grafana', { user: 1, now: NOW });
  assert.equal(r.entitlements.length, 1);
  const attrs = r.entitlements[0].attributes;
  assertSafe(attrs, 'entitlement attributes');
  assertSafe(r.attributes, 'merged attributes');
  // The keys survive as own properties with their values: nothing is lost or reinterpreted.
  assert.deepEqual(Object.keys(attrs).sort(), ['__proto__', 'constructor', 'ok', 'prototype']);
  assert.deepEqual(Object.getOwnPropertyDescriptor(attrs, '__proto__').value, { polluted: 1 });
  assert.deepEqual(attrs.constructor, { prototype: { polluted: 2 } });
  assert.deepEqual(JSON.parse(JSON.stringify(attrs)), JSON.parse(HOSTILE));
  engine.free();
});

test('hostile keys in a plan context do not pollute returned plans', () => {
  const engine = new Engine(snapshotText);
  const planned = engine.plan('login', { user: 1, now: NOW }, { context: JSON.parse(HOSTILE) });
  assert.equal(planned.ok, true);
  assertSafe(planned.plan.context, 'plan context');
  assert.equal(Object.getOwnPropertyDescriptor(planned.plan.context, '__proto__')?.value?.polluted, 1);

  // A client-made plan carrying the keys (JSON.parse makes them own properties).
  const forged = JSON.parse(JSON.stringify(planned.plan));
  const step = engine.next(forged, { user: 1, now: NOW });
  assert.equal(step.done, false);
  assertSafe(step.plan.context, 'next plan context');
  const popped = engine.stageOk(step.plan);
  assertSafe(popped.plan?.context ?? popped.context, 'stageOk plan context');
  const signed = engine.signPlan(step.plan, 'k');
  assertSafe(signed.context, 'signed plan context');
  assertSafe(engine.verifyPlan(signed, 'k').context, 'verified plan context');

  // Request contexts are only read, but must not break anything either.
  const e = engine.evaluate(APP, { user: 1, now: NOW, context: JSON.parse(HOSTILE) });
  assert.equal(e.passing, true);
  assertSafe(e, 'evaluate result');
  engine.free();
});

test('results are fresh objects: mutating one does not change the next answer', () => {
  const engine = new Engine(snapshotText);
  const req = { user: 1, now: NOW };
  const a = engine.evaluate(APP, req, { trace: true });
  const expected = structuredClone(a);
  a.passing = false;
  a.messages.push('tampered');
  a.trace[0].passing = false;
  const b = engine.evaluate(APP, req, { trace: true });
  assert.deepEqual(b, expected);
  assert.notEqual(a, b);
  assert.notEqual(a.messages, b.messages);

  const ents = engine.entitlements('grafana', req);
  const entsExpected = structuredClone(ents);
  ents.entitlements[0].attributes.ok = 'tampered';
  ents.attributes.extra = 1;
  ents.entitlements.length = 0;
  assert.deepEqual(engine.entitlements('grafana', req), entsExpected);

  const apps = engine.applications(req);
  const appsExpected = structuredClone(apps);
  apps[0].slug = 'tampered';
  apps.push({});
  assert.deepEqual(engine.applications(req), appsExpected);

  const p = engine.plan('login', req, { context: { a: 1 } });
  const pExpected = structuredClone(p);
  p.plan.context.a = 2;
  p.plan.bindings.reverse();
  p.stages.pop();
  assert.deepEqual(engine.plan('login', req, { context: { a: 1 } }), pExpected);

  // The request objects the host passes in are not modified either.
  const ctx = { nested: { x: [1, 2] } };
  const request = { user: 1, now: NOW, context: ctx };
  engine.plan('login', request, { context: ctx });
  assert.deepEqual(request, { user: 1, now: NOW, context: { nested: { x: [1, 2] } } });
  engine.free();
});

test('free() then use gives a FlowgateError for every method, and free() twice is harmless', () => {
  const engine = new Engine(snapshotText);
  const plan = engine.plan('login', { user: 1, now: NOW }).plan;
  engine.free();
  engine.free();
  const calls = {
    evaluate: () => engine.evaluate(APP, { user: 1 }),
    evaluateMany: () => engine.evaluateMany(APP, [{ user: 1 }]),
    filterUsers: () => engine.filterUsers(APP),
    testPolicy: () => engine.testPolicy('always'),
    checkAccess: () => engine.checkAccess('grafana'),
    applications: () => engine.applications(),
    entitlements: () => engine.entitlements('grafana'),
    plan: () => engine.plan('login'),
    next: () => engine.next(plan),
    stageOk: () => engine.stageOk(plan),
    stageInvalid: () => engine.stageInvalid(plan),
    diagram: () => engine.diagram('login'),
    signPlan: () => engine.signPlan(plan, 'k'),
    verifyPlan: () => engine.verifyPlan(plan, 'k'),
    stats: () => engine.stats,
  };
  for (const [name, call] of Object.entries(calls)) {
    assert.throws(call, (e) => e instanceof FlowgateError && e.code === 'invalid_request' && /freed/.test(e.message), name);
  }
  // Other engines are unaffected.
  const other = new Engine(snapshotText);
  assert.equal(other.evaluate(APP, { user: 1, now: NOW }).passing, true);
  other.free();
});

test('Wasm memory stays flat over 1,000,000 evaluate calls and 10,000 engine lifetimes', (t) => {
  const start = wasmMemory();
  if (start === null) {
    t.skip('this build has no __memory hook');
    return;
  }
  const MIB = 1024 * 1024;
  const MARGIN = 1 * MIB;
  const fmt = (n) => `${(n / MIB).toFixed(2)} MiB`;

  const engine = new Engine(snapshotText);
  const requests = [{ user: 1, now: NOW }, { user: 'bob', now: NOW }, { user: 2, now: NOW, context: { k: 'v' } }];
  const CALLS = 1_000_000;
  let afterTenth = 0;
  let passing = 0;
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) {
    if (engine.evaluate(APP, requests[i % 3]).passing) passing++;
    if (i + 1 === CALLS / 10) afterTenth = wasmMemory();
  }
  const evalMs = performance.now() - t0;
  const afterCalls = wasmMemory();
  engine.free();
  assert.equal(passing, CALLS);

  const CYCLES = 10_000;
  let cyclesTenth = 0;
  const t1 = performance.now();
  for (let i = 0; i < CYCLES; i++) {
    const e = new Engine(snapshotText);
    if (i % 100 === 0) assert.equal(e.evaluate(APP, requests[0]).passing, true);
    e.free();
    if (i + 1 === CYCLES / 10) cyclesTenth = wasmMemory();
  }
  const cycleMs = performance.now() - t1;
  const afterCycles = wasmMemory();

  console.log(`# wasm memory: start ${fmt(start)}; evaluate ×${CALLS}: ${fmt(afterTenth)} after 10%, ` +
    `${fmt(afterCalls)} after all (${(evalMs * 1000 / CALLS).toFixed(2)} µs/call); ` +
    `engine create/free ×${CYCLES}: ${fmt(cyclesTenth)} after 10%, ${fmt(afterCycles)} after all ` +
    `(${(cycleMs * 1000 / CYCLES).toFixed(1)} µs/cycle); JS heap ${fmt(process.memoryUsage().heapUsed)}`);
  assert.ok(afterCalls <= afterTenth + MARGIN, `evaluate: ${fmt(afterCalls)} > ${fmt(afterTenth)} + margin`);
  assert.ok(afterCycles <= cyclesTenth + MARGIN, `create/free: ${fmt(afterCycles)} > ${fmt(cyclesTenth)} + margin`);
});

function assertLimit(fn, name) {
  assert.throws(fn, (e) => e instanceof FlowgateError && e.code === 'limit_exceeded' && e.message.includes(name), name);
}

test('a 100 MB snapshot is refused quickly, before it reaches Wasm memory', () => {
  const before = wasmMemory();
  const pad = 'x'.repeat(100 * 1024 * 1024);
  const text = `{"users": [], "padding": "${pad}"}`;
  let t0 = performance.now();
  assertLimit(() => new Engine(text), 'max_snapshot_bytes');
  const ms = performance.now() - t0;
  // The same as bytes, and under a lower host-chosen limit.
  const bytes = new Uint8Array(100 * 1024 * 1024 + 1);
  t0 = performance.now();
  assertLimit(() => Engine.fromBytes(bytes), 'max_snapshot_bytes');
  const bytesMs = performance.now() - t0;
  assertLimit(() => new Engine(snapshotText, { limits: { max_snapshot_bytes: 100 } }), 'max_snapshot_bytes');
  assertLimit(() => new Engine(snapshotText, { limits: { maxSnapshotBytes: 100 } }), 'max_snapshot_bytes');
  // A raised limit is honoured by the pre-check (the engine then judges the text itself).
  assert.throws(() => new Engine(text.slice(0, 1000), { limits: { max_snapshot_bytes: 200 * 1024 * 1024 } }),
    (e) => e instanceof FlowgateError && e.code !== 'limit_exceeded');
  // A bad limit override is still reported by the engine, not masked by the pre-check.
  assert.throws(() => new Engine(snapshotText, { limits: { max_snapshot_bytes: 'big' } }),
    (e) => e instanceof FlowgateError && e.code === 'invalid_request');
  const after = wasmMemory();
  console.log(`# 100 MB snapshot refused in ${ms.toFixed(1)} ms (string), ${bytesMs.toFixed(1)} ms (bytes); ` +
    `wasm memory ${before} → ${after} bytes`);
  assert.ok(ms < 2000 && bytesMs < 2000);
  if (before !== null) assert.ok(after - before < 1024 * 1024, 'the text was copied into Wasm memory');
});

test('a 10,000-deep nested snapshot is refused quickly', () => {
  const deep = '['.repeat(10_000) + ']'.repeat(10_000);
  const texts = [
    `{"users": [{"pk": 1, "username": "u", "attributes": {"a": ${deep}}}]}`,
    `{"users": ${deep}}`,
  ];
  for (const text of texts) {
    const t0 = performance.now();
    assertLimit(() => new Engine(text), 'depth');
    const ms = performance.now() - t0;
    console.log(`# ${text.length}-byte 10,000-deep snapshot refused in ${ms.toFixed(1)} ms`);
    assert.ok(ms < 2000);
  }
  // As an object (JSON.stringify on the JS side first), and 10,000-deep request values.
  let obj = {};
  for (let i = 0; i < 10_000; i++) obj = { a: obj };
  assertLimit(() => new Engine({ users: [{ pk: 1, username: 'u', attributes: obj }] }), 'depth');
  const engine = new Engine(snapshotText);
  assertLimit(() => engine.evaluate(APP, { user: 1, context: obj }), 'depth');
  assertLimit(() => engine.plan('login', { user: 1 }, { context: obj }), 'depth');
  engine.free();
});
