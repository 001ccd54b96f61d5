// flowgate-only scenarios in the main process: evaluateMany of 1,000 requests, and plan / next of
// a 5-stage flow with 3 bindings per stage (each also looped inside Wasm for the core's cost).
import { appPk, expectedDecisions, flowSnapshot, rbacSnapshot, requestStream, userPk } from './fixture.mjs';
import { measure, measureRuns } from './lib.mjs';
import { crossCheck } from './rbac.mjs';

const NOW = 1767225600000;

export function runEvaluateMany({ api }, log) {
  const engine = new api.Engine(rbacSnapshot('static'));
  const stream = requestStream(1000);
  const target = appPk(7);
  const requests = stream.map(([u]) => ({ user: userPk(u) }));
  const expected = expectedDecisions(stream.map(([u]) => [u, 7]));
  crossCheck('flowgate.evaluateMany', engine.evaluateMany(target, requests).map((r) => r.passing), expected);
  const runs = measureRuns(() => engine.evaluateMany(target, requests), 41, 20);
  engine.free();
  log(`  evaluateMany(1,000)                ${runs.median_ms.toFixed(3).padStart(10)} ms  (${runs.median_ms.toFixed(3)} µs per request)`);
  // 1,000 requests: ms per batch = µs per request.
  return { requests: 1000, median_ms: runs.median_ms, p90_ms: runs.p90_ms, per_request_us: runs.median_ms };
}

export function runFlows({ api, raw }, log) {
  const engine = new api.Engine(flowSnapshot());
  const request = { user: 1, now: NOW };
  let first;
  try {
    first = engine.plan('login', request);
  } catch (e) {
    log(`  plan/next: unavailable (${e.code ?? ''} ${e.message})`);
    engine.free();
    return { unavailable: `${e.code ?? ''} ${e.message}`.trim() };
  }
  if (!first.ok || first.stages.length !== 5) throw new Error(`flow fixture: expected 5 planned stages, got ${JSON.stringify(first)}`);
  const step = engine.next(first.plan, request);
  if (step.done || step.stage.name !== 'stage-0') throw new Error(`flow fixture: next should stay on stage-0, got ${JSON.stringify(step)}`);

  const plan = measure(() => engine.plan('login', request), 1, { batch: 50, warmup: 3000, minSamples: 200 });
  const next = measure(() => engine.next(first.plan, request), 1, { batch: 50, warmup: 3000, minSamples: 200 });
  const out = {
    stages: 5, bindings_per_stage: 3,
    plan: { median_us: plan.median, p90_us: plan.p90 },
    next: { median_us: next.median, p90_us: next.p90 },
  };
  log(`  plan (5 stages × 3 bindings)       ${plan.median.toFixed(3).padStart(10)} µs`);
  log(`  next (head re-evaluated)           ${next.median.toFixed(3).padStart(10)} µs`);
  if (raw.WasmEngine.prototype.__benchPlan) {
    const inner = new raw.WasmEngine(JSON.stringify(flowSnapshot()), undefined);
    const n = 2000;
    if (inner.__benchPlan('login', 1, NOW, 10) !== 10) throw new Error('flow core loop: plan failed');
    if (inner.__benchNext(first.plan, 1, NOW, 10) !== 10) throw new Error('flow core loop: next failed');
    const p = measureRuns(() => inner.__benchPlan('login', 1, NOW, n), 15, 3);
    const q = measureRuns(() => inner.__benchNext(first.plan, 1, NOW, n), 15, 3);
    out.plan.core_us = (p.median_ms * 1000) / n;
    out.next.core_us = (q.median_ms * 1000) / n;
    log(`  plan / next core (loop inside Wasm) ${out.plan.core_us.toFixed(3).padStart(9)} µs / ${out.next.core_us.toFixed(3)} µs`);
    inner.free();
  }
  engine.free();
  return out;
}
