// Exercises the whole declared API (js/index.d.ts) the way a TypeScript user writes it.
// Compiled by js-tests/types.test.mjs with `tsc --noEmit` (strict, skipLibCheck off) against the
// built package resolved through its `exports` map. Lines marked @ts-expect-error must NOT
// compile: tsc fails on an unused directive, so they check that wrong calls are rejected.
import init, {
  Engine, FlowgateError, blueprintsToSnapshot, initSync, validateConditional, version,
  type AppView, type BindingTrace, type ConditionalActions, type EntitlementView, type ErrorCode,
  type FlowgateRequest, type Limits, type Plan, type PlanFailure, type PlanOutcome, type PolicyResult,
  type Request, type Snapshot, type StageView, type StepOutcome, type User,
} from 'flowgate';

/** Compiles only when T is exactly U (no `any` sneaking through). */
type Exact<T, U> = (<G>() => G extends T ? 1 : 2) extends (<G>() => G extends U ? 1 : 2) ? true : false;
function assertType<T extends true>(_?: T): void {}

const GROUP = '0b6e0000-0000-4000-8000-000000000001';
const APP = '9a1d0000-0000-4000-8000-000000000002';
const snapshot: Snapshot = {
  users: [
    { pk: 1, username: 'jane', groups: [GROUP], attributes: { dept: 'ops' }, type: 'internal' },
    { pk: 2, username: 'bob', is_active: false, authenticator_types: ['totp'] },
  ],
  groups: [{ pk: GROUP, name: 'admins', is_superuser: false, parents: [] }],
  policies: [
    { pk: 'p1', name: 'always', type: 'dummy', result: true },
    {
      pk: 'p2', name: 'private-network', type: 'conditional', missing_behavior: 'false',
      actions: {
        version: 2,
        actions: [{
          type: 'condition',
          condition: { type: 'compare', variable: { key: 'request.client_ip' }, operator: 'is_private' },
        }],
      },
    },
  ],
  policy_bindings: [
    { pk: 'b1', target: APP, policy: 'p1', order: 0 },
    { pk: 'b2', target: APP, group: GROUP, order: 1, negate: false },
    { target: APP, user: 2, order: 2, enabled: false },
  ],
  flows: [{ pk: 'f1', slug: 'login', designation: 'authentication', authentication: 'none' }],
  stages: [{ pk: 's1', name: 'identification', component: 'ak-stage-identification-form', user_fields: ['username'] }],
  flow_stage_bindings: [{ pk: 'fsb1', target: 'f1', stage: 's1', order: 10, evaluate_on_plan: true }],
  applications: [{ pk: APP, slug: 'grafana', name: 'Grafana', meta_launch_url: 'https://grafana.example' }],
  application_entitlements: [{ pbm_uuid: 'e1', name: 'editor', app: APP, attributes: { role: 'editor' } }],
  targets: [{ pbm_uuid: 't1', kind: 'notification_rule', empty_result: false }, { pbm_uuid: 't2', kind: 'my-kind' }],
  events: [{ action: 'login', user: 1, created: '2026-01-01T00:00:00Z', client_ip: '10.0.0.1' }],
  reputations: [{ ip: '10.0.0.1', score: -3 }],
};

const limits: Partial<Limits> = { max_objects: 10_000 };
const engine = new Engine(snapshot, { limits });
new Engine(JSON.stringify(snapshot));
Engine.fromBytes(new TextEncoder().encode('{}'));
const users: number = engine.stats.users;

const inline: User = { username: 'pending', backend: 'django.contrib.auth.backends.ModelBackend' };
const request: Request = {
  user: 'jane',
  http: { client_ip: '10.1.2.3', user: null, geoip: { country: 'DE' }, outpost: false },
  context: { pending_user: inline, is_sso: true, prompt_data: { email: 'x@example.com' }, custom: [1, 2] },
  now: '2026-06-01T12:00:00Z',
};
const alsoRequest: FlowgateRequest = { user: 1, now: Date.now() };

// Policy engine
const result: PolicyResult = engine.evaluate('app:grafana', request, { trace: true });
const trace: BindingTrace[] = result.trace ?? [];
for (const b of trace) {
  const kind: 'policy' | 'group' | 'user' = b.kind;
  const why: string | undefined = b.error;
  void kind; void why;
}
const many: PolicyResult[] = engine.evaluateMany(APP, [request, alsoRequest, {}]);
const passingUsers: number[] = engine.filterUsers(APP, [1, 'bob'], { now: 0 });
engine.filterUsers(APP);
engine.testPolicy('always', request).passing satisfies boolean;

// Applications
const access: PolicyResult = engine.checkAccess('grafana', request);
const apps: AppView[] = engine.applications(request, { includeHidden: true, onlyWithLaunchUrl: false });
const launch: string | null = apps[0].launch_url;
const ents: EntitlementView[] = engine.entitlements('grafana', request).entitlements;

// Flows: outcomes are discriminated unions
const outcome: PlanOutcome = engine.plan('login', request, { context: { redirect: '/next' }, allowEmpty: false });
if (outcome.ok) {
  const stages: StageView[] = outcome.stages;
  let plan: Plan = engine.signPlan(outcome.plan, 'secret');
  plan = engine.verifyPlan(plan, new Uint8Array([1, 2, 3]));
  const step: StepOutcome = engine.next(plan, request);
  if (step.done) {
    const redirect: string | undefined = step.redirect;
    void redirect;
  } else {
    const current: StageView = step.stage;
    plan = engine.stageOk(step.plan);
    void current;
  }
  const invalid = engine.stageInvalid(plan, request);
  if ('ok' in invalid) {
    assertType<Exact<typeof invalid, PlanFailure>>();
  } else if (!invalid.done) {
    invalid.stage.component satisfies string;
  }
  void stages;
} else {
  const reason: 'denied' | 'empty' | 'auth_required' = outcome.reason;
  outcome.denied_action satisfies 'message_continue' | 'message' | 'continue';
  void reason;
}
const mermaid: string = engine.diagram('login');

// Errors
try {
  new Engine({ users: [{ pk: 1, username: 'x' }, { pk: 1, username: 'y' }] });
} catch (e) {
  if (e instanceof FlowgateError) {
    const code: ErrorCode = e.code;
    switch (code) {
      case 'invalid_snapshot': for (const p of e.errors ?? []) console.log(p.path, p.message); break;
      case 'invalid_request': case 'not_found': case 'invalid_plan': case 'stale_plan':
      case 'limit_exceeded': case 'invalid_blueprint': case 'engine_error': break;
      default: { const never: never = code; void never; }
    }
  }
}
const err = new FlowgateError('not_found', 'no such app');
err.name satisfies 'FlowgateError';

// Module functions
const actions: ConditionalActions = { version: 2, actions: [{ type: 'stop', result: 'pass' }] };
const checked = validateConditional(actions);
const problems: Record<string, string[]> = checked.errors;
const converted = blueprintsToSnapshot(['version: 1\nentries: []\n'], { env: { A: 'b' } });
const fromBlueprint: Snapshot = converted.snapshot;
converted.warnings[0]?.entry satisfies number | undefined;
const v: string = version;

// Loading (no-ops where the entry is already loaded)
await init();
await init(new URL('https://cdn.example/flowgate.wasm'));
// The blueprint module (the core plus blueprintsToSnapshot), by default or from elsewhere
await init({ blueprint: true });
await init({ module_or_path: '/flowgate.wasm', blueprint: new URL('https://cdn.example/blueprint.wasm') });
initSync({ module: new Uint8Array(8) });
initSync({ blueprint: new Uint8Array(8) });
engine.free();

// The answers are typed, not `any`
assertType<Exact<ReturnType<Engine['evaluate']>, PolicyResult>>();
assertType<Exact<ReturnType<Engine['filterUsers']>, number[]>>();
assertType<Exact<typeof version, string>>();
assertType<Exact<ReturnType<typeof init>, Promise<void>>>();

// Wrong calls must not compile
// @ts-expect-error the target is a string
engine.evaluate(42);
// @ts-expect-error unknown trace option type
engine.evaluate(APP, request, { trace: 'yes' });
// @ts-expect-error a plan is not a plan outcome
engine.next(outcome, request);
// @ts-expect-error unknown error code
new FlowgateError('oops', 'message');
// @ts-expect-error a binding needs `order`
const noOrder: Snapshot = { policy_bindings: [{ target: APP, policy: 'p1' }] };
// @ts-expect-error the designation is not one of authentik's
const badFlow: Snapshot = { flows: [{ pk: 'f', slug: 'f', designation: 'login' }] };
// @ts-expect-error users need a pk in the snapshot
const noPk: Snapshot = { users: [{ username: 'x' }] };
// @ts-expect-error the snapshot key is `users`
const typo: Snapshot = { user: [] };
// @ts-expect-error evaluate answers a PolicyResult, not a boolean
const notBool: boolean = engine.evaluate(APP);
// @ts-expect-error plan keys are text or bytes
engine.signPlan({} as Plan, 42);

void [users, many, passingUsers, access, launch, ents, mermaid, problems, fromBlueprint, v,
  noOrder, badFlow, noPk, typo, notBool];
