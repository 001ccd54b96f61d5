// Expression policies (Python): the python build (scripts/build-python.sh → pkg/python) in Node
// and in workerd (Miniflare; the package's worker entry does `initSync({ module })`), and the
// host callback `options.expression` of the core build (pkg/). Cases: authentik's expression
// tests (policies §7.9), the expression ↔ conditional parity table (§4.3) and the default
// blueprints' expressions (flows §6.4). Also the python build's size budget and timings.
//
// Without pkg/python the python tests are skipped, unless FLOWGATE_PYTHON_REQUIRED=1 (CI).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { startWorker } from './helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const corePkg = resolve(process.env.FLOWGATE_PKG ?? join(root, 'pkg'));
const pyPkg = resolve(process.env.FLOWGATE_PYTHON_PKG ?? join(corePkg, 'python'));
const require = createRequire(import.meta.url);

/** The python build's .wasm must stay within this gzip size (bytes). */
const PYTHON_GZIP_BUDGET = 2 * 1024 * 1024;

const haveCore = existsSync(join(corePkg, 'index.cjs'));
const havePython = existsSync(join(pyPkg, 'index.cjs'));
const required = process.env.FLOWGATE_PYTHON_REQUIRED === '1';
const skipPython = !havePython && !required && `no python build at ${pyPkg} (run scripts/build-python.sh)`;
const skipCore = !haveCore && `no core build at ${corePkg} (run scripts/build.sh)`;

const ADMINS = '0b6e0000-0000-4000-8000-000000000001';
const EVERYONE = '0b6e0000-0000-4000-8000-000000000002';

const PASSWORD_STAGE = `flow_plan = request.context.get("flow_plan")
if not flow_plan:
    return True
# If the user does not have a backend attached to it, they haven't
# been authenticated yet and we need the password stage
return not hasattr(flow_plan.context.get("pending_user"), "backend")`;

/** [name, expression]: every expression the cases below use. */
const EXPRESSIONS = [
  // policies §7.9
  ['test', "return 'test'"],
  ['true', 'return True'],
  ['message', 'ak_message("some message");return False'],
  ['bare', 'True'],
  ['path', 'ak_message(request.http_request.path); return True'],
  ['callee', 'ak_message(request.http_request.path); return True'],
  ['caller', "ak_message(request.http_request.path)\nres = ak_call_policy('callee')\nak_message(request.http_request.path)\nfor msg in res.messages:\n    ak_message(msg)\n"],
  ['div', 'return 1/0'],
  // policies §4.3
  ['sso', 'return ak_is_sso_flow'],
  ['prompt', "return 'username' not in context.get('prompt_data', {})"],
  ['method', 'return context.get("auth_method") != "app_password"'],
  ['restored', "return bool(request.context.get('is_restored', True))"],
  ['net', 'return ak_client_ip in ip_network("10.0.0.0/24")'],
  ['private', 'return ak_client_ip.is_private'],
  ['geo', 'return context["geoip"]["continent"] == "EU" and context["asn"]["asn"] == 6939'],
  ['inner', "return request.user.username == 'jane'"],
  ['outer', "return ak_call_policy('inner').passing"],
  ['anon', 'return not request.user.is_authenticated'],
  ['admin', "return ak_is_group_member(request.user, name=\"authentik Admins\") and ak_user_has_authenticator(request.user) and regex_match(request.user.username, '.*admin.*')"],
  // flows §6.4
  ['password-stage', PASSWORD_STAGE],
  ['oobe-password-usable', 'akadmin = ak_user_by(username="akadmin")\nreturn not akadmin.has_usable_password()'],
  ['oobe-prefill-user', 'akadmin = ak_user_by(username="akadmin")\ncontext["flow_plan"].context["pending_user"] = akadmin\nreturn True'],
  ['oobe-set-authentication', 'from authentik.flows.models import Flow, FlowAuthenticationRequirement\nFlow.objects.filter(slug="initial-setup").update(\n    authentication=FlowAuthenticationRequirement.REQUIRE_SUPERUSER,\n)\nreturn True'],
  ['lockdown', 'return not request.context.get("lockdown_self_service", False)'],
  // a helper that needs the network
  ['requests', "return requests.get('https://example.com').ok"],
];

const snapshot = {
  users: [
    { pk: 1, username: 'akadmin', groups: [ADMINS], authenticator_types: ['totp'], has_usable_password: false },
    { pk: 2, username: 'jane', groups: [EVERYONE] },
  ],
  groups: [
    { pk: ADMINS, name: 'authentik Admins', is_superuser: true, parents: [EVERYONE] },
    { pk: EVERYONE, name: 'everyone' },
  ],
  policies: EXPRESSIONS.map(([name, expression], i) => ({ pk: `p${i}`, name, type: 'expression', expression })),
  flows: [
    { pk: 'f-login', slug: 'login', designation: 'authentication' },
    { pk: 'f-oobe', slug: 'initial-setup', designation: 'stage_configuration' },
  ],
  stages: [
    { pk: 's-ident', name: 'default-authentication-identification', component: 'ak-stage-identification' },
    { pk: 's-password', name: 'default-authentication-password', component: 'ak-stage-password' },
    { pk: 's-prompt', name: 'stage-default-oobe-password', component: 'ak-stage-prompt' },
    { pk: 's-write', name: 'default-password-change-write', component: 'ak-stage-user-write' },
  ],
  flow_stage_bindings: [
    { pk: 'b-ident', target: 'f-login', stage: 's-ident', order: 10 },
    { pk: 'b-password', target: 'f-login', stage: 's-password', order: 20, re_evaluate_policies: true },
    { pk: 'b-prompt', target: 'f-oobe', stage: 's-prompt', order: 10, evaluate_on_plan: true, re_evaluate_policies: false },
    { pk: 'b-write', target: 'f-oobe', stage: 's-write', order: 20, re_evaluate_policies: true },
  ],
  policy_bindings: [
    { target: 'b-password', policy: `p${EXPRESSIONS.findIndex(([n]) => n === 'password-stage')}`, order: 10, failure_result: true },
    { target: 'f-oobe', policy: `p${EXPRESSIONS.findIndex(([n]) => n === 'oobe-password-usable')}`, order: 0 },
    { target: 'b-write', policy: `p${EXPRESSIONS.findIndex(([n]) => n === 'oobe-prefill-user')}`, order: 0 },
  ],
};

const ok = (passing, messages = []) => ({ passing, messages });
const ip = (client_ip) => ({ http: { client_ip } });
const NO_MODELS = "No module named 'authentik.flows.models' (authentik's and Django's modules are not available in flowgate)";

/** [policy, request, expected testPolicy result]: authentik's answers. */
const CASES = [
  ['test', {}, ok(true)],
  ['true', {}, ok(true)],
  ['message', {}, ok(false, ['some message'])],
  ['bare', {}, ok(false)],
  ['path', { http: { path: '/' } }, ok(true, ['/'])],
  ['caller', { http: { path: '/' } }, ok(false, ['/', '/', '/'])],
  ['div', {}, ok(false, ['division by zero'])],
  ['sso', { context: { is_sso: true } }, ok(true)],
  ['sso', { context: { is_sso: false } }, ok(false)],
  ['sso', {}, ok(false)],
  ['prompt', {}, ok(true)],
  ['prompt', { context: { prompt_data: { username: 'x' } } }, ok(false)],
  ['method', {}, ok(true)],
  ['method', { context: { auth_method: 'app_password' } }, ok(false)],
  ['restored', {}, ok(true)],
  ['restored', { context: { is_restored: 'token' } }, ok(true)],
  ['restored', { context: { is_restored: null } }, ok(false)],
  ['net', ip('10.0.0.5'), ok(true)],
  ['net', ip('10.0.1.5'), ok(false)],
  ['private', ip('10.0.0.5'), ok(true)],
  ['private', ip('8.8.8.8'), ok(false)],
  ['geo', { http: { client_ip: '1.2.3.4', geoip: { continent: 'EU' }, asn: { asn: 6939 } } }, ok(true)],
  ['geo', { http: { client_ip: '1.2.3.4', geoip: { continent: 'NA' }, asn: { asn: 6939 } } }, ok(false)],
  ['outer', { user: 'jane' }, ok(true)],
  ['outer', { user: 'akadmin' }, ok(false)],
  ['anon', {}, ok(true)],
  ['anon', { user: 2 }, ok(false)],
  ['admin', { user: 'akadmin' }, ok(true)],
  ['admin', { user: 'jane' }, ok(false)],
  ['password-stage', {}, ok(true)],
  ['oobe-password-usable', {}, ok(true)],
  ['oobe-prefill-user', {}, ok(false, ["'flow_plan'"])],
  ['oobe-set-authentication', {}, ok(false, [NO_MODELS])],
  ['lockdown', {}, ok(true)],
  ['lockdown', { context: { lockdown_self_service: true } }, ok(false)],
  ['requests', {}, ok(false, ['requests is not available in flowgate: expression policies run without network or server access'])],
];

/** Whether a Wasm binary still has its `name` section (wasm-opt drops it). */
function hasNameSection(bytes) {
  let i = 8;
  const leb = () => { let n = 0, shift = 0, b; do { b = bytes[i++]; n += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80); return n; };
  while (i < bytes.length) {
    const id = bytes[i++];
    const end = leb() + i;
    if (id === 0) {
      const len = leb();
      if (bytes.subarray(i, i + len).toString('utf8') === 'name') return true;
    }
    i = end;
  }
  return false;
}

/** Sources that must fail cleanly (a FlowgateError or an execution error), never crash. */
const HOSTILE = [
  `return 1${'+1'.repeat(50000)}`,
  `return ${'a.'.repeat(50000)}b`,
  `return a${'[0]'.repeat(50000)}`,
  `return f"{${'1+'.repeat(50000)}1}"`,
  `return ${'('.repeat(5000)}1${')'.repeat(5000)}`,
  `return ${'not '.repeat(50000)}1`,
  'x = []\nfor i in range(100000):\n    x = [x]\nreturn x',
  'def f(n):\n    return f(n + 1)\nreturn f(0)',
  "return ak_call_policy('hostile').passing",
];

/** What each hostile source gives: the error code, or the run's first message. */
function hostileOutcomes(Engine) {
  return HOSTILE.map((expression) => {
    try {
      const engine = new Engine({ policies: [{ pk: 'p', name: 'hostile', type: 'expression', expression }] });
      const r = engine.testPolicy('hostile', {}, { trace: true });
      return `ran: ${r.passing} ${r.messages[0] ?? ''}`.slice(0, 100);
    } catch (e) {
      return e instanceof Error && e.name === 'FlowgateError' ? `error: ${e.code}` : `CRASH: ${e}`;
    }
  });
}

const now = '2026-06-03T00:00:00Z';
const runCases = (engine) => CASES.map(([policy, request]) => engine.testPolicy(policy, { now, ...request }));

describe('python build (Node)', { skip: skipPython }, () => {
  let py;
  before(() => { py = require(pyPkg); });

  test('the package is the python variant', () => {
    const pkg = JSON.parse(readFileSync(join(pyPkg, 'package.json'), 'utf8'));
    assert.equal(pkg.name, 'flowgate-python');
    assert.equal(typeof py.version, 'string');
  });

  test(`the .wasm is within the gzip budget (${PYTHON_GZIP_BUDGET} B)`, (t) => {
    const wasm = readFileSync(join(pyPkg, 'flowgate_wasm_bg.wasm'));
    if (!process.env.CI && hasNameSection(wasm)) {
      t.skip('unoptimised build (WASM_OPT=0 keeps the name section): the budget is checked in CI');
      return;
    }
    const gzip = gzipSync(wasm, { level: 9 }).length;
    t.diagnostic(`python build: raw ${wasm.length} B, gzip -9 ${gzip} B (${(100 * gzip / PYTHON_GZIP_BUDGET).toFixed(0)} % of the budget)`);
    assert.ok(gzip <= PYTHON_GZIP_BUDGET, `gzip size ${gzip} B exceeds the python budget ${PYTHON_GZIP_BUDGET} B`);
  });

  test('authentik expression tests, parity table and default blueprint expressions', () => {
    const engine = new py.Engine(snapshot);
    const got = runCases(engine);
    CASES.forEach(([policy, request, expected], i) => {
      assert.deepEqual(got[i], expected, `${policy} ${JSON.stringify(request)}`);
    });
    engine.free();
  });

  test('hostile sources fail cleanly and the module keeps working', () => {
    const outcomes = hostileOutcomes(py.Engine);
    for (const [i, o] of outcomes.entries()) assert.doesNotMatch(o, /^CRASH/, `${HOSTILE[i].slice(0, 40)}…: ${o}`);
    assert.deepEqual(new py.Engine(snapshot).testPolicy('true', {}), ok(true));
  });

  test('a syntax error rejects the snapshot with the policy path', () => {
    const bad = { policies: [{ pk: 'a', name: 'ok', type: 'expression', expression: 'return True' },
      { pk: 'b', name: 'bad', type: 'expression', expression: ';' }] };
    assert.throws(() => new py.Engine(bad), (e) => {
      assert.equal(e.code, 'invalid_snapshot');
      assert.equal(e.errors.length, 1);
      assert.equal(e.errors[0].path, 'policies[1].expression');
      assert.match(e.errors[0].message, /^Expression Syntax Error: .* \(line 1\)$/);
      return true;
    });
  });

  test('flows: the password stage is skipped once a backend authenticated the pending user', () => {
    const engine = new py.Engine(snapshot);
    const planned = engine.plan('login', { now });
    assert.equal(planned.ok, true, JSON.stringify(planned));
    const atPassword = engine.stageOk(planned.plan);
    const pending = (pending_user) => ({ ...atPassword, context: { pending_user } });
    // identified but not authenticated: the password stage runs
    let step = engine.next(pending(2), { now });
    assert.equal(step.done, false);
    assert.equal(step.stage.name, 'default-authentication-password');
    // the identification stage's password field authenticated the user: skipped
    step = engine.next(pending({ username: 'jane', backend: 'authentik.core.auth.InbuiltBackend' }), { now });
    assert.equal(step.done, true);
    assert.deepEqual(step.plan.context.pending_user, { username: 'jane', backend: 'authentik.core.auth.InbuiltBackend' });
  });

  test('flows: OOBE policies read the snapshot and write the plan context', () => {
    const engine = new py.Engine(snapshot);
    const planned = engine.plan('initial-setup', { now });
    assert.equal(planned.ok, true, JSON.stringify(planned));
    const step = engine.next(engine.stageOk(planned.plan), { now });
    assert.equal(step.done, false);
    assert.equal(step.stage.name, 'default-password-change-write');
    assert.equal(step.plan.context.pending_user, 1, 'akadmin, stored as its pk');
  });

  test('the binding timeout bounds a run', () => {
    const engine = new py.Engine({
      policies: [{ pk: 'spin', name: 'spin', type: 'expression', expression: 'while True:\n    pass' }],
      targets: [{ pbm_uuid: 't', kind: 'source' }],
      policy_bindings: [{ target: 't', policy: 'spin', order: 0, timeout: 1 }],
    });
    const start = performance.now();
    assert.deepEqual(engine.evaluate('t', {}), ok(false, ['expression policy timed out after 1 s']));
    assert.ok(performance.now() - start < 5000);
  });

  test('timings: cold start and a typical expression policy call', (t) => {
    const script = `
      const t0 = process.hrtime.bigint();
      const { Engine } = require(${JSON.stringify(pyPkg)});
      const t1 = process.hrtime.bigint();
      const e = new Engine(${JSON.stringify(snapshot)});
      const t2 = process.hrtime.bigint();
      const r = e.testPolicy('admin', { user: 'akadmin' });
      const t3 = process.hrtime.bigint();
      console.log('TIMING ' + JSON.stringify({ load: Number(t1 - t0) / 1e6, engine: Number(t2 - t1) / 1e6,
        first: Number(t3 - t2) / 1e6, passing: r.passing }));`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    const cold = JSON.parse(out.split('\n').find((l) => l.startsWith('TIMING ')).slice(7));
    assert.equal(cold.passing, true);
    t.diagnostic(`cold start: module ${cold.load.toFixed(1)} ms, Engine with ${EXPRESSIONS.length} expression policies ` +
      `${cold.engine.toFixed(1)} ms, first call ${cold.first.toFixed(1)} ms`);
    const engine = new py.Engine(snapshot);
    const time = (policy, request, n = 2000) => {
      // Warm up until V8 has tiered the hot Wasm functions up (its baseline code is slower).
      for (let i = 0; i < 2000; i++) engine.testPolicy(policy, request);
      const s = performance.now();
      for (let i = 0; i < n; i++) engine.testPolicy(policy, request);
      return (performance.now() - s) * 1000 / n;
    };
    const sso = time('sso', { context: { is_sso: true } });
    const admin = time('admin', { user: 'akadmin' });
    const net = time('net', ip('10.0.0.5'));
    t.diagnostic(`per testPolicy call from JS: return ak_is_sso_flow ${sso.toFixed(0)} µs, ` +
      `group+authenticator+regex ${admin.toFixed(0)} µs, ak_client_ip in ip_network ${net.toFixed(0)} µs`);
  });
});

describe('python build (workerd)', { skip: skipPython }, () => {
  let mf;
  const dir = join(here, 'out', 'python-worker');
  before(async () => {
    // The package's worker entry: imports the .wasm as a module and calls initSync({ module }).
    mf = await startWorker(dir, pyPkg, readdirSync(pyPkg), `import { Engine, version } from './pkg/worker.js';
const HOSTILE = ${JSON.stringify(HOSTILE)};
${hostileOutcomes.toString()}
export default {
  async fetch(request) {
    if (new URL(request.url).pathname === '/hostile') return Response.json(hostileOutcomes(Engine));
    const { snapshot, calls } = await request.json();
    const engine = new Engine(snapshot);
    const results = calls.map(([policy, req]) => engine.testPolicy(policy, req));
    return Response.json({ version, results });
  },
};
`);
  });
  after(() => mf?.dispose());

  test('hostile sources fail cleanly in workerd too', async () => {
    const res = await mf.dispatchFetch('http://worker.test/hostile');
    const outcomes = await res.json();
    assert.equal(outcomes.length, HOSTILE.length);
    for (const [i, o] of outcomes.entries()) assert.doesNotMatch(o, /^CRASH/, `${HOSTILE[i].slice(0, 40)}…: ${o}`);
  });

  test('the same cases give the same answers in workerd', async () => {
    const calls = CASES.map(([policy, request]) => [policy, { now, ...request }]);
    const res = await mf.dispatchFetch('http://worker.test/', { method: 'POST', body: JSON.stringify({ snapshot, calls }) });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    CASES.forEach(([policy, request, expected], i) => {
      assert.deepEqual(body.results[i], expected, `${policy} ${JSON.stringify(request)}`);
    });
  });
});

describe('host callback options.expression (core build)', { skip: skipCore }, () => {
  let core;
  before(() => { core = require(corePkg); });
  const snap = {
    users: [{ pk: 1, username: 'jane', attributes: { team: 'a' } }],
    policies: [{ pk: 'p', name: 'team-a', type: 'expression', expression: "return request.user.attributes.get('team') == 'a'" }],
    targets: [{ pbm_uuid: 't', kind: 'source' }],
    policy_bindings: [{ target: 't', policy: 'p', order: 0 }],
  };

  test('without a callback the core build cannot run expressions', () => {
    const engine = new core.Engine(snap);
    assert.deepEqual(engine.testPolicy('team-a', { user: 1 }), ok(false, ['expression policies are not supported by this build']));
  });

  test('the callback gets the policy and the request, and decides', () => {
    const seen = [];
    const engine = new core.Engine(snap, {
      expression(policy, request) {
        seen.push([policy, request]);
        return { passing: request.user?.attributes?.team === 'a', messages: [`checked ${policy.name}`] };
      },
    });
    assert.deepEqual(engine.evaluate('t', { user: 1, context: { is_sso: true }, http: { client_ip: '10.0.0.1' } }), ok(true, ['checked team-a']));
    assert.deepEqual(engine.evaluate('t', {}), ok(false, ['checked team-a']));
    const [policy, request] = seen[0];
    assert.equal(policy.expression, snap.policies[0].expression);
    assert.equal(request.user.username, 'jane');
    assert.deepEqual(request.context, { is_sso: true });
    assert.equal(request.http.client_ip, '10.0.0.1');
    assert.equal(request.target.pbm_uuid, 't');
    assert.equal(seen[1][1].user, null);
  });

  test('a throwing or malformed callback is an execution error (failure_result)', () => {
    const answer = (fn) => new core.Engine(snap, { expression: fn }).evaluate('t', { user: 1 });
    assert.deepEqual(answer(() => { throw new Error('boom'); }), ok(false, ['boom']));
    assert.deepEqual(answer(() => true), ok(true));
    const shape = 'the expression callback must return { passing: boolean, messages?: string[] }';
    assert.deepEqual(answer(() => ({ passing: 'yes' })), ok(false, [shape]));
    assert.deepEqual(answer(() => ({ passing: true, messages: [1] })), ok(false, [shape]));
    assert.deepEqual(answer(async () => ({ passing: true })),
      ok(false, ['the expression callback must be synchronous (it returned a Promise)']));
  });

  test('options.expression must be a function', () => {
    assert.throws(() => new core.Engine(snap, { expression: 'return True' }), (e) => {
      assert.equal(e.code, 'invalid_request');
      assert.equal(e.errors[0].path, 'options.expression');
      return true;
    });
  });

  test('in the python build the callback takes precedence', { skip: skipPython }, () => {
    const py = require(pyPkg);
    const engine = new py.Engine(snap, { expression: () => ({ passing: false, messages: ['host'] }) });
    assert.deepEqual(engine.evaluate('t', { user: 1 }), ok(false, ['host']));
    assert.deepEqual(new py.Engine(snap).evaluate('t', { user: 1 }), ok(true));
  });
});

test('the python build is present when required', { skip: !required || havePython ? 'not required or present' : false }, () => {
  assert.fail(`FLOWGATE_PYTHON_REQUIRED=1 but there is no python build at ${pyPkg}: run scripts/build-python.sh`);
});
