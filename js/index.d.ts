// Type declarations of the npm package `flowgate` (spec §4). Hand-written and checked by
// js-tests/types.test.mjs (tsc --noEmit over js-tests/types/usage.ts). Every entry (Node require and
// import, browsers and bundlers, workerd) exports this same API; only how the Wasm is loaded differs.

/** A primary key as the snapshot gives it: authentik uses integers (users) and UUID strings. */
export type Pk = string | number;
/** A date: ISO-8601 text (`2026-01-01T00:00:00Z`) or epoch milliseconds. */
export type DateInput = string | number;
/** Free-form JSON-like data (attributes, contexts). */
export type Attributes = Record<string, unknown>;
/** `policy_engine_mode`. */
export type PolicyEngineMode = 'any' | 'all';

// ---------------------------------------------------------------------------------------------
// Snapshot (spec §2): authentik's REST names, every key optional; unknown keys are ignored.

export type UserType = 'internal' | 'external' | 'service_account' | 'internal_service_account';

/** A user: in the snapshot (`pk` required, see SnapshotUser) or inline in a request. */
export interface User {
  pk?: number;
  username: string;
  name?: string;
  email?: string;
  /** Default true. The engine itself never looks at it; policies may. */
  is_active?: boolean;
  type?: UserType;
  /** Direct group pks; membership also covers every ancestor group. */
  groups?: Pk[];
  attributes?: Attributes;
  path?: string;
  last_login?: string | null;
  date_joined?: string | null;
  password_change_date?: string | null;
  /** e.g. `["totp", "webauthn"]` */
  authenticator_types?: string[];
  /** Default true. */
  has_usable_password?: boolean;
  /** Django password hashes, newest first (unique_password policies). */
  password_history?: string[];
  /** Inline pending users: the backend that already authenticated this user in the flow. */
  backend?: string;
}

export interface SnapshotUser extends User {
  pk: number;
}

export interface Group {
  pk: Pk;
  name: string;
  is_superuser?: boolean;
  parents?: Pk[];
  /** Legacy single parent. */
  parent?: Pk | null;
  attributes?: Attributes;
}

export type PolicyType =
  | 'dummy' | 'expression' | 'conditional' | 'password_expiry' | 'reputation' | 'geoip'
  | 'event_matcher' | 'password' | 'unique_password';

/**
 * A policy: the type is given by `type`, or by authentik's `meta_model_name` / `component`
 * (e.g. `authentik_policies_dummy.dummypolicy`, `ak-policy-dummy-form`). The type's own fields
 * follow (reference policies §1.6); typed here for the common ones.
 */
export interface Policy {
  pk: Pk;
  name: string;
  type?: PolicyType;
  meta_model_name?: string;
  component?: string;
  verbose_name?: string;
  execution_logging?: boolean;
  // dummy
  result?: boolean;
  wait_min?: number;
  wait_max?: number;
  // expression
  expression?: string;
  // conditional
  actions?: ConditionalActions;
  missing_behavior?: 'fail' | 'false';
  failure_message?: string;
  // password_expiry
  days?: number;
  deny_only?: boolean;
  // reputation
  check_ip?: boolean;
  check_username?: boolean;
  threshold?: number;
  // geoip
  asns?: number[];
  countries?: string[];
  distance_tolerance_km?: number;
  check_history_distance?: boolean;
  history_max_distance_km?: number;
  history_login_count?: number;
  check_impossible_travel?: boolean;
  impossible_tolerance_km?: number;
  // event_matcher
  query?: string | null;
  action?: string | null;
  app?: string | null;
  model?: string | null;
  client_ip?: string | null;
  // password, unique_password
  password_field?: string;
  check_static_rules?: boolean;
  check_have_i_been_pwned?: boolean;
  check_zxcvbn?: boolean;
  amount_digits?: number;
  amount_uppercase?: number;
  amount_lowercase?: number;
  amount_symbols?: number;
  length_min?: number;
  symbol_charset?: string;
  error_message?: string;
  hibp_allowed_count?: number;
  zxcvbn_score_threshold?: number;
  num_historical_passwords?: number;
  /** Other fields of REST dumps are ignored. */
  [field: string]: unknown;
}

/** A policy binding: exactly one of `policy`, `group`, `user`. */
export type PolicyBinding = PolicyBindingBase & (
  | { policy: Pk; group?: null; user?: null }
  | { group: Pk; policy?: null; user?: null }
  | { user: number; policy?: null; group?: null }
);

export interface PolicyBindingBase {
  pk?: Pk;
  /** The bound object's pbm uuid. */
  target: Pk;
  order: number;
  negate?: boolean;
  enabled?: boolean;
  dry_run?: boolean;
  timeout?: number;
  failure_result?: boolean;
  expiring?: boolean;
  expires?: string | null;
}

export type FlowDesignation =
  | 'authentication' | 'authorization' | 'invalidation' | 'enrollment' | 'unenrollment'
  | 'recovery' | 'stage_configuration' | 'account_selection';

export type FlowAuthentication =
  | 'none' | 'require_authenticated' | 'require_unauthenticated' | 'require_superuser'
  | 'require_redirect' | 'require_outpost' | 'require_token';

export type DeniedAction = 'message_continue' | 'message' | 'continue';

export interface Flow {
  pk: Pk;
  slug: string;
  designation: FlowDesignation;
  pbm_uuid?: Pk;
  policybindingmodel_ptr_id?: Pk;
  name?: string;
  title?: string;
  authentication?: FlowAuthentication;
  denied_action?: DeniedAction;
  policy_engine_mode?: PolicyEngineMode;
  layout?: string;
}

/** A stage: flowgate keeps its configuration as opaque data for the host. */
export interface Stage {
  pk: Pk;
  name: string;
  /** e.g. `ak-stage-password-form` */
  component?: string;
  meta_model_name?: string;
  verbose_name?: string;
  [field: string]: unknown;
}

export type InvalidResponseAction = 'retry' | 'restart' | 'restart_with_context';

export interface FlowStageBinding {
  pk: Pk;
  /** The flow's pk. */
  target: Pk;
  /** The stage's pk. */
  stage: Pk;
  order: number;
  pbm_uuid?: Pk;
  policybindingmodel_ptr_id?: Pk;
  evaluate_on_plan?: boolean;
  re_evaluate_policies?: boolean;
  invalid_response_action?: InvalidResponseAction;
  policy_engine_mode?: PolicyEngineMode;
}

export interface Application {
  /** Also the application's pbm uuid. */
  pk: Pk;
  slug: string;
  name: string;
  group?: string;
  provider?: unknown;
  meta_launch_url?: string;
  /** The provider's default launch URL, used when `meta_launch_url` is empty. */
  launch_url?: string | null;
  open_in_new_tab?: boolean;
  meta_icon?: string;
  meta_description?: string;
  meta_publisher?: string;
  meta_hide?: boolean;
  policy_engine_mode?: PolicyEngineMode;
}

export interface ApplicationEntitlement {
  pbm_uuid: Pk;
  name: string;
  /** The application's pk. */
  app: Pk;
  attributes?: Attributes;
}

/** Kinds with a meaning; any other text is a generic target (user + http facts). */
export type TargetKind =
  | 'source' | 'notification_rule' | 'device' | 'device_group' | 'rac_endpoint' | 'prompt_stage';

/** Any other bindable object (sources, notification rules, devices, RAC endpoints, …). */
export interface Target {
  pbm_uuid: Pk;
  kind?: TargetKind | (string & {});
  name?: string;
  slug?: string;
  policy_engine_mode?: PolicyEngineMode;
  /** Default true; false for notification rules. */
  empty_result?: boolean;
  /** RAC endpoints: that application must pass too. */
  application?: Pk;
}

/** An authentik Event (snapshot history, or `request.event` for notification rules). */
export interface FlowgateEvent {
  action?: string;
  /** The user's pk, or authentik's `{pk, username, …}` object. */
  user?: number | { pk: number; [field: string]: unknown } | null;
  created?: string;
  client_ip?: string | null;
  app?: string | null;
  context?: Attributes;
}

export interface Reputation {
  ip?: string | null;
  identifier?: string | null;
  score: number;
}

export interface Snapshot {
  users?: SnapshotUser[];
  groups?: Group[];
  policies?: Policy[];
  policy_bindings?: PolicyBinding[];
  /** Alias of `policy_bindings`. */
  bindings?: PolicyBinding[];
  flows?: Flow[];
  stages?: Stage[];
  flow_stage_bindings?: FlowStageBinding[];
  applications?: Application[];
  application_entitlements?: ApplicationEntitlement[];
  targets?: Target[];
  events?: FlowgateEvent[];
  reputations?: Reputation[];
}

// ---------------------------------------------------------------------------------------------
// Conditional policies (reference policies §5.2), the schema `validateConditional` checks.

export interface ConditionalActions {
  version: 2;
  actions: ConditionalAction[];
}

export type ConditionalAction = { enabled?: boolean } & (
  | { type: 'condition'; condition: ConditionalNode }
  | { type: 'if'; condition: ConditionalNode; then_actions?: ConditionalAction[]; else_actions?: ConditionalAction[] }
  | { type: 'set'; target: { key: string; param?: string | null }; value: ConditionalOperand }
  | { type: 'stop'; result: 'pass' | 'fail'; message?: string | null }
);

export type ConditionalNode =
  | {
      type: 'compare';
      variable: VariableRef;
      operator: ConditionalOperator;
      value?: ConditionalOperand | null;
      options?: { case_sensitive?: boolean; negate?: boolean };
    }
  | { type: 'group'; op: 'all' | 'any' | 'none'; children: ConditionalNode[] }
  | { type: 'policy'; policy: string };

export interface VariableRef {
  /** e.g. `user.groups`, `request.client_ip`, `plan.context` */
  key: string;
  param?: string | null;
  cast?: 'string' | 'number' | 'boolean' | 'datetime' | 'ip' | null;
}

export type ConditionalOperand =
  | { type: 'literal'; value: unknown }
  | { type: 'variable'; variable: VariableRef };

export type ConditionalOperator =
  | 'is_set' | 'is_not_set' | 'eq' | 'ne' | 'in' | 'not_in' | 'contains' | 'starts_with'
  | 'ends_with' | 'matches' | 'lt' | 'lte' | 'gt' | 'gte' | 'between' | 'is_true' | 'is_false'
  | 'within_last' | 'older_than' | 'is_private' | 'is_global' | 'is_url' | 'in_network'
  | 'has_item' | 'has_any' | 'has_all' | 'is_empty' | 'length_eq' | 'length_gt' | 'length_lt';

// ---------------------------------------------------------------------------------------------
// Requests (spec §3)

/** A user reference: pk, username, an inline user object, or null (anonymous). */
export type UserRef = number | string | User | null;

export interface HttpRequest {
  client_ip?: string;
  user_agent?: string;
  path?: string;
  /** The browser's logged-in user; absent = same as `request.user`, null = anonymous browser. */
  user?: number | string | null;
  geoip?: { country?: string; continent?: string; city?: string; lat?: number; long?: number } | null;
  asn?: { asn?: number; as_org?: string; network?: string } | null;
  /** The request came through an outpost (puts `outpost: true` into plan contexts). */
  outpost?: boolean;
}

/** Well-known plan context keys (authentik's names, flows §1.8); any other key is allowed. */
export interface FlowContext {
  pending_user?: UserRef;
  is_sso?: boolean;
  is_restored?: boolean;
  is_redirected?: boolean;
  redirect?: string;
  /** Application pk or slug. */
  application?: string;
  source?: string;
  prompt_data?: Attributes;
  auth_method?: string;
  auth_method_args?: Attributes;
  [key: string]: unknown;
}

/** Also exported as FlowgateRequest, for files that use the DOM's Request too. */
export interface Request {
  /** absent or null = anonymous (no pk: every static binding fails). */
  user?: UserRef;
  /** absent = no HTTP request (as in background jobs). */
  http?: HttpRequest;
  /** The policy request context; in flows, the plan context. */
  context?: FlowContext;
  /** For notification rules and event matcher policies. */
  event?: FlowgateEvent;
  /** ISO-8601 or epoch ms; default: the current time. */
  now?: DateInput;
}

export type FlowgateRequest = Request;

// ---------------------------------------------------------------------------------------------
// Answers

export interface PolicyResult {
  passing: boolean;
  /** Concatenated as authentik does (policies §2.6). */
  messages: string[];
  /** With `{ trace: true }`: every binding that took part, dry-run ones included. */
  trace?: BindingTrace[];
}

export interface BindingTrace {
  binding: string;
  order: number;
  kind: 'policy' | 'group' | 'user';
  /** The policy, group or user name. */
  name: string;
  /** The effective result: after `negate`, or `failure_result` on error. */
  passing: boolean;
  negate: boolean;
  dry_run: boolean;
  messages: string[];
  /** The policy failed to execute; the binding's `failure_result` was used. */
  error?: string;
  /** Conditional policies: which node decided. */
  nodes?: Attributes[];
}

/** A flow plan: plain JSON to keep in a cookie, KV, session… */
export interface Plan {
  /** The flow's pk as in the snapshot. */
  flow_pk: string;
  flow_slug: string;
  /** Flow-stage binding pks; the head is the current stage. */
  bindings: string[];
  markers: ('reevaluate' | 'none')[];
  context: FlowContext;
  /** Of the snapshot it was planned on; another snapshot answers FlowgateError('stale_plan'). */
  fingerprint: string;
  /** HMAC-SHA256 added by `signPlan`. */
  signature?: string;
}

export interface PlanFailure {
  ok: false;
  reason: 'denied' | 'empty' | 'auth_required';
  messages: string[];
  denied_action: DeniedAction;
}

export type PlanOutcome = { ok: true; plan: Plan; stages: StageView[] } | PlanFailure;

export type StepOutcome =
  | { done: false; plan: Plan; stage: StageView; messages: string[] }
  | { done: true; plan: Plan; messages: string[]; redirect?: string };

export interface StageView {
  /** The flow-stage binding pk. */
  binding: string;
  /** The stage pk. */
  stage: string;
  name: string;
  /** The stage's `component` from the snapshot. */
  component: string;
  order: number;
}

export interface AppView {
  pk: string;
  slug: string;
  name: string;
  group: string;
  launch_url: string | null;
  open_in_new_tab: boolean;
  meta_icon: string;
  meta_description: string;
  meta_publisher: string;
  meta_hide: boolean;
}

export interface EntitlementView {
  pbm_uuid: string;
  name: string;
  app: string;
  attributes: Attributes;
}

export interface Stats {
  users: number;
  groups: number;
  policies: number;
  bindings: number;
  flows: number;
  stages: number;
  applications: number;
}

/** Resource caps; exceeding one throws FlowgateError('limit_exceeded'). */
export interface Limits {
  /** Snapshot JSON size in bytes (default 32 MiB). */
  max_snapshot_bytes: number;
  /** JSON nesting depth (default 64). */
  max_depth: number;
  /** Objects per snapshot section (default 500 000). */
  max_objects: number;
  /** Length of any string (default 1 MiB). */
  max_string_length: number;
}

export interface EngineOptions {
  limits?: Partial<Limits>;
  /** Runs expression (Python) policies on the host. */
  expression?: (policy: Policy, request: Request) => { passing: boolean; messages?: string[] };
}

export interface TraceOptions {
  trace?: boolean;
}

export interface PlanOptions {
  /** Copied into the plan context. */
  context?: FlowContext;
  /** A flow without stages plans successfully instead of failing with `empty`. */
  allowEmpty?: boolean;
}

export interface ApplicationsOptions {
  onlyWithLaunchUrl?: boolean;
  /** Include `meta_hide` and `blank://blank` applications. */
  includeHidden?: boolean;
}

/** Plan signing keys: text (UTF-8) or raw bytes. */
export type PlanKey = string | Uint8Array;

// ---------------------------------------------------------------------------------------------
// API

export class Engine {
  /** Loads and validates the whole snapshot; throws FlowgateError('invalid_snapshot') listing every problem. */
  constructor(snapshot: Snapshot | string | Uint8Array, options?: EngineOptions);
  /** Builds an engine from the UTF-8 bytes of a JSON snapshot. */
  static fromBytes(bytes: Uint8Array, options?: EngineOptions): Engine;
  readonly stats: Stats;
  /** Releases the Wasm memory of this engine; later calls throw FlowgateError. */
  free(): void;

  /** Any bindable object by pbm uuid, or `flow:<slug>`, `app:<slug>`. */
  evaluate(target: string, request?: Request, options?: TraceOptions): PolicyResult;
  /** Many requests against one target, in one boundary crossing. */
  evaluateMany(target: string, requests: Request[]): PolicyResult[];
  /** The pks of the users (default: all, in snapshot order) that pass the target's bindings. */
  filterUsers(target: string, users?: (number | string)[], request?: Request): number[];
  /** One policy by pk or name, every fact available, no negate, `failure_result` false. */
  testPolicy(policy: string, request?: Request, options?: TraceOptions): PolicyResult;

  checkAccess(appSlug: string, request?: Request, options?: TraceOptions): PolicyResult;
  /** The applications the user may see, ordered by name then slug. */
  applications(request?: Request, options?: ApplicationsOptions): AppView[];
  entitlements(appSlug: string, request?: Request): { entitlements: EntitlementView[]; attributes: Attributes };

  plan(flowSlug: string, request?: Request, options?: PlanOptions): PlanOutcome;
  /** Stage-run: re-evaluates the head, dropping failing heads. */
  next(plan: Plan, request?: Request): StepOutcome;
  /** Pops the current stage. */
  stageOk(plan: Plan): Plan;
  /** Applies the current binding's `invalid_response_action`. */
  stageInvalid(plan: Plan, request?: Request): StepOutcome | PlanFailure;
  /** authentik's Mermaid flow diagram. */
  diagram(flowSlug: string, request?: Request): string;
  /** Adds an HMAC-SHA256 `signature`. */
  signPlan(plan: Plan, key: PlanKey): Plan;
  /** Returns the plan when its signature matches; throws FlowgateError('invalid_plan') otherwise. */
  verifyPlan(plan: Plan, key: PlanKey): Plan;
}

export type ErrorCode =
  | 'invalid_snapshot' | 'invalid_request' | 'not_found' | 'invalid_plan' | 'stale_plan'
  | 'limit_exceeded' | 'invalid_blueprint' | 'engine_error';

/** One problem at one place of the input, e.g. `policy_bindings[3].group`. */
export interface PathError {
  path: string;
  message: string;
}

export class FlowgateError extends Error {
  constructor(code: ErrorCode, message: string, errors?: PathError[]);
  readonly name: 'FlowgateError';
  code: ErrorCode;
  /** Every problem found (invalid snapshots list all of them, in document order). */
  errors?: PathError[];
}

export function validateConditional(actions: ConditionalActions | Attributes): {
  valid: boolean;
  /** Problems by dotted path (`actions.0.condition.operator`). */
  errors: Record<string, string[]>;
};

export interface BlueprintWarning {
  /** Index of the YAML document in the input list. */
  file: number;
  /** Index of the entry in that blueprint. */
  entry: number;
  message: string;
}

export function blueprintsToSnapshot(
  yaml: string | string[],
  options?: { context?: Attributes; env?: Record<string, string> },
): { snapshot: Snapshot; warnings: BlueprintWarning[] };

/** The flowgate version (also the npm package's). */
export const version: string;

// ---------------------------------------------------------------------------------------------
// Loading. Node (require and import) and workerd load the core Wasm synchronously on import, so
// there init() resolves at once; browsers must `await init()` first (or call initSync with the
// compiled module) before any other call.
// blueprintsToSnapshot runs in the blueprint module (the core plus blueprint import, a separate
// file that only hosts importing blueprints load): Node loads it on the first call; browsers
// `await init({ blueprint: true })`; workers `initSync({ blueprint: <the imported .wasm> })`.

/** Where the browser entry finds a Wasm module: default beside the glue (import.meta.url). */
export type InitInput =
  | string | URL | globalThis.Request | globalThis.Response | BufferSource | WebAssembly.Module;

export interface InitOptions {
  /** The core module (default `flowgate_wasm_bg.wasm` beside the package's files). */
  module_or_path?: InitInput | Promise<InitInput>;
  /**
   * Also load the blueprint module: `true` for `flowgate_blueprint_bg.wasm` beside the package's
   * files, or where it is. When it is the first module loaded it serves everything and the core
   * module is not fetched at all.
   */
  blueprint?: boolean | InitInput | Promise<InitInput>;
}

export interface InitSyncOptions {
  /** The core module, compiled or as bytes. */
  module?: BufferSource | WebAssembly.Module;
  /** The blueprint module, compiled or as bytes (`import … from 'flowgate/blueprint.wasm'`). */
  blueprint?: BufferSource | WebAssembly.Module;
}

/** Loads the Wasm (fetch + streaming compile in browsers). Safe to call more than once. */
export function init(input?: InitInput | Promise<InitInput> | InitOptions): Promise<void>;
/** Loads the Wasm synchronously from compiled modules or their bytes. Safe to call more than once. */
export function initSync(input?: InitSyncOptions | BufferSource | WebAssembly.Module): void;
export default init;
