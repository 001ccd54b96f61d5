// The RBAC comparison (peers §1.6, §8): the same 20,000 (user, app) decisions through flowgate
// (static bindings and a conditional policy), cedar-wasm (stateful, preparsed, sliced entities),
// casbin (enforceSync) and hand-written JS, every engine's decisions checked equal to the
// reference (so to each other). Any mismatch throws.
import {
  RBAC, appGroups, appPk, cedarFixture, casbinFixture, expectedDecisions, jsBaseline, rbacSnapshot,
  requestStream, userGroups, userPk,
} from './fixture.mjs';
import { measure, measureEach, measureRuns, packageVersion, require } from './lib.mjs';

/** Throws on the first decisions that differ from the reference. */
export function crossCheck(engine, got, expected) {
  const wrong = [];
  for (let i = 0; i < expected.length; i++) if (got[i] !== expected[i]) wrong.push(i);
  if (wrong.length) {
    const show = wrong.slice(0, 5).map((i) => `#${i}: got ${got[i]}, expected ${expected[i]}`).join('; ');
    throw new Error(`DECISION MISMATCH: ${engine} disagrees with the reference on ${wrong.length} of ${expected.length} requests (${show})`);
  }
}

export async function runRbac({ api, raw }, log) {
  const stream = requestStream();
  const expected = expectedDecisions(stream);
  const n = stream.length;
  const users = stream.map(([u]) => u);
  const apps = stream.map(([, a]) => a);
  const out = {
    fixture: { ...RBAC, allow_ratio: expected.filter(Boolean).length / n,
      entities: RBAC.users + RBAC.groups + RBAC.apps },
    engines: {},
  };
  const record = (name, decisions, timing, extra = {}) => {
    crossCheck(name, decisions, expected);
    out.engines[name] = { median_us: timing.median, p90_us: timing.p90, min_us: timing.min,
      samples: timing.samples, batch: timing.batch, checked: n, ...extra };
    log(`  ${name.padEnd(34)} ${timing.median.toFixed(3).padStart(10)} µs  (decisions checked: ${n})`);
  };

  // Hand-written JS: the floor.
  {
    const decide = jsBaseline();
    const pks = users.map(userPk);
    const targets = apps.map(appPk);
    const decisions = stream.map((_, i) => decide(pks[i], targets[i]));
    const t = measure((i) => decide(pks[i], targets[i]), n, { batch: 1000, warmup: 20000, minSamples: 300 });
    record('js', decisions, t);
  }

  // flowgate (a): static group bindings, through evaluate (pbm uuid) and checkAccess (slug).
  const engine = new api.Engine(rbacSnapshot('static'));
  out.build_rbac_ms = measureRuns(() => new api.Engine(rbacSnapshot('static')).free(), 5).median_ms;
  {
    const targets = apps.map(appPk);
    const pks = users.map(userPk);
    const decisions = stream.map((_, i) => engine.evaluate(targets[i], { user: pks[i] }).passing);
    const t = measure((i) => engine.evaluate(targets[i], { user: pks[i] }), n, { batch: 100, warmup: n });
    record('flowgate.evaluate', decisions, t);
  }
  {
    const slugs = apps.map((a) => `a${a}`);
    const pks = users.map(userPk);
    let decisions = null;
    try {
      decisions = stream.map((_, i) => engine.checkAccess(slugs[i], { user: pks[i] }).passing);
    } catch (e) {
      out.engines['flowgate.checkAccess'] = { unavailable: `${e.code ?? ''} ${e.message}`.trim() };
      log(`  flowgate.checkAccess: unavailable (${e.message})`);
    }
    if (decisions) {
      const t = measure((i) => engine.checkAccess(slugs[i], { user: pks[i] }), n, { batch: 100, warmup: n });
      record('flowgate.checkAccess', decisions, t);
    }
  }
  // The same decisions looped inside Wasm (no boundary crossing per call): the core's cost.
  if (raw.WasmEngine.prototype.__benchEvaluate) {
    const inner = new raw.WasmEngine(JSON.stringify(rbacSnapshot('static')), undefined);
    const targets = Array.from({ length: RBAC.apps }, (_, k) => appPk(k));
    const pairs = new Uint32Array(n * 2);
    stream.forEach(([u, a], i) => { pairs[2 * i] = a; pairs[2 * i + 1] = userPk(u); });
    const allow = inner.__benchEvaluate(targets, pairs, 1767225600000);
    const want = expected.filter(Boolean).length;
    if (allow !== want) throw new Error(`DECISION MISMATCH: flowgate core loop allowed ${allow}, reference ${want}`);
    const runs = measureRuns(() => inner.__benchEvaluate(targets, pairs, 1767225600000), 15, 3);
    out.engines['flowgate.core'] = { median_us: (runs.median_ms * 1000) / n, min_us: (runs.min_ms * 1000) / n, checked: n };
    log(`  ${'flowgate.core (loop inside Wasm)'.padEnd(34)} ${((runs.median_ms * 1000) / n).toFixed(3).padStart(10)} µs`);
    inner.free();
  }

  // flowgate (b): one conditional policy per app.
  {
    const cond = new api.Engine(rbacSnapshot('conditional'));
    const targets = apps.map(appPk);
    const pks = users.map(userPk);
    const probe = cond.evaluate(targets[0], { user: pks[0] });
    if (!probe.passing && probe.messages.some((m) => /not supported|not implemented/i.test(m))) {
      out.engines['flowgate.conditional'] = { unavailable: probe.messages.join('; ') };
      log(`  flowgate.conditional: unavailable (${probe.messages.join('; ')})`);
    } else {
      const decisions = stream.map((_, i) => cond.evaluate(targets[i], { user: pks[i] }).passing);
      const t = measure((i) => cond.evaluate(targets[i], { user: pks[i] }), n, { batch: 100, warmup: n });
      record('flowgate.conditional', decisions, t);
    }
    cond.free();
  }

  // cedar-wasm 4.13.0, stateful: the policy set preparsed once, 4–5 sliced entities per call.
  {
    const cedar = require('@cedar-policy/cedar-wasm/nodejs');
    const { policyText, sliced } = cedarFixture();
    const parsed = cedar.preparsePolicySet('rbac', { staticPolicies: policyText });
    if (parsed.type !== 'success') throw new Error(`cedar preparse failed: ${JSON.stringify(parsed)}`);
    const action = { type: 'Action', id: 'access' };
    const decide = (i) => {
      const u = users[i];
      const a = apps[i];
      const ans = cedar.statefulIsAuthorized({
        principal: { type: 'User', id: `u${u}` }, action, resource: { type: 'Application', id: `a${a}` },
        context: {}, preparsedPolicySetId: 'rbac', entities: sliced(u, a),
      });
      if (ans.type !== 'success') throw new Error(`cedar failed: ${JSON.stringify(ans.errors)}`);
      return ans.response.decision === 'allow';
    };
    const decisions = new Array(n);
    const t = measureEach((i) => { decisions[i] = decide(i); }, n, 500);
    record('cedar.statefulIsAuthorized', decisions, t, { version: packageVersion('@cedar-policy/cedar-wasm') });
  }

  // casbin 5.51.1: RBAC model, 100 p + ~3,000 g lines, enforceSync.
  {
    const casbin = require('casbin');
    const { model, policy } = casbinFixture();
    const e = await casbin.newEnforcer(casbin.newModelFromString(model), new casbin.StringAdapter(policy));
    const subs = users.map((u) => `u${u}`);
    const objs = apps.map((a) => `a${a}`);
    const decisions = new Array(n);
    const t = measureEach((i) => { decisions[i] = e.enforceSync(subs[i], objs[i], 'access'); }, n, 2000);
    const lines = policy.split('\n');
    record('casbin.enforceSync', decisions, t, { version: packageVersion('casbin'),
      p_lines: lines.filter((l) => l.startsWith('p,')).length, g_lines: lines.filter((l) => l.startsWith('g,')).length });
  }
  engine.free();

  // Ratios the goals talk about.
  const e = out.engines;
  const fg = e['flowgate.evaluate'].median_us;
  out.ratios = {
    cedar_over_flowgate: e['cedar.statefulIsAuthorized'].median_us / fg,
    casbin_over_flowgate: e['casbin.enforceSync'].median_us / fg,
    flowgate_over_js: fg / e.js.median_us,
    boundary_share: e['flowgate.core'] ? 1 - e['flowgate.core'].median_us / fg : null,
  };
  // Sanity: the fixture's shape as peers §1.6 describes it.
  out.fixture.user_groups_min = Math.min(...Array.from({ length: RBAC.users }, (_, i) => userGroups(i).length));
  out.fixture.app_bindings = RBAC.apps * appGroups(0).length;
  return out;
}
