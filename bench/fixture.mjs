// Deterministic fixtures shared by every bench script (and mirrored in benches/engine.rs).
// The RBAC fixture follows reference/peers.md §1.6 and §8 exactly, so that flowgate, cedar-wasm,
// casbin and hand-written JS answer the same 20,000 questions on the same data.

export const RBAC = { users: 1000, groups: 100, apps: 50, requests: 20000, seed: 42 };

/** Groups of user i (indices): unique{i%100, (7i+3)%100, (13i+5)%100} (peers §8). */
export function userGroups(i, groups = RBAC.groups) {
  return [...new Set([i % groups, (7 * i + 3) % groups, (13 * i + 5) % groups])];
}

/** Groups bound to application k: [k%100, (3k+50)%100] (peers §8; app 25 names group 25 twice). */
export function appGroups(k, groups = RBAC.groups) {
  return [k % groups, (3 * k + 50) % groups];
}

/** The LCG of peers §8: s = (s*1103515245 + 12345) & 0x7fffffff (exact mod 2^31 via Math.imul). */
export function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return s;
  };
}

/** `n` (user index, app index) pairs. */
export function requestStream(n = RBAC.requests, users = RBAC.users, apps = RBAC.apps, seed = RBAC.seed) {
  const next = lcg(seed);
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = [next() % users, next() % apps];
  return out;
}

/** A uuid-shaped pk: 8 hex digits of namespace, then n. */
export function uuid(ns, n) {
  return `${ns}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}
export const NS = { group: 'a0000000', app: 'a1000000', binding: 'a2000000', policy: 'a3000000',
  flow: 'a4000000', stage: 'a5000000', fsb: 'a6000000' };
export const groupPk = (g) => uuid(NS.group, g);
export const appPk = (k) => uuid(NS.app, k);
export const userPk = (i) => i + 1;

function users(n, groupsOf, groups) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = {
      pk: userPk(i), username: `u${i}`, name: `User ${i}`, email: `u${i}@example.com`, is_active: true,
      groups: groupsOf(i, groups).map(groupPk), attributes: { department: `d${i % 7}` },
    };
  }
  return out;
}

function groupList(n, parentOf = () => null) {
  const out = new Array(n);
  for (let g = 0; g < n; g++) {
    const p = parentOf(g);
    out[g] = { pk: groupPk(g), name: `g${g}`, is_superuser: false, ...(p === null ? {} : { parents: [groupPk(p)] }) };
  }
  return out;
}

function apps(n) {
  const out = new Array(n);
  for (let k = 0; k < n; k++) out[k] = { pk: appPk(k), slug: `a${k}`, name: `App ${k}`, meta_launch_url: `https://a${k}.example.com/` };
  return out;
}

/**
 * The RBAC snapshot for flowgate.
 * variant 'static': each app bound to its 2 groups (mode any) — the pure static decision.
 * variant 'conditional': each app bound to one conditional policy
 *   all(user.groups has_any [g1, g2], user.is_active is_true).
 */
export function rbacSnapshot(variant = 'static') {
  const snap = {
    users: users(RBAC.users, userGroups, RBAC.groups),
    groups: groupList(RBAC.groups),
    applications: apps(RBAC.apps),
    policies: [],
    policy_bindings: [],
  };
  let b = 0;
  for (let k = 0; k < RBAC.apps; k++) {
    const gs = appGroups(k);
    if (variant === 'static') {
      gs.forEach((g, j) => snap.policy_bindings.push({ pk: uuid(NS.binding, b++), target: appPk(k), group: groupPk(g), order: j }));
    } else {
      const pk = uuid(NS.policy, k);
      snap.policies.push({
        pk, name: `app-${k}-access`, type: 'conditional', missing_behavior: 'fail', failure_message: '',
        actions: { version: 2, actions: [{ type: 'condition', condition: { type: 'group', op: 'all', children: [
          { type: 'compare', variable: { key: 'user.groups' }, operator: 'has_any',
            value: { type: 'literal', value: gs.map(groupPk) } },
          { type: 'compare', variable: { key: 'user.is_active' }, operator: 'is_true' },
        ] } }] },
      });
      snap.policy_bindings.push({ pk: uuid(NS.binding, b++), target: appPk(k), policy: pk, order: 0 });
    }
  }
  return snap;
}

/** Expected decision (non-empty intersection), the reference every engine is checked against. */
export function expectedDecisions(stream) {
  const ug = Array.from({ length: RBAC.users }, (_, i) => new Set(userGroups(i)));
  return stream.map(([u, a]) => appGroups(a).some((g) => ug[u].has(g)));
}

/** Cedar (peers §1.6): 100 permits + 1 forbid unless is_active; entities sliced per request. */
export function cedarFixture() {
  const permits = [];
  for (let k = 0; k < RBAC.apps; k++) {
    for (const g of appGroups(k)) {
      permits.push(`permit(principal in Group::"g${g}", action == Action::"access", resource == Application::"a${k}");`);
    }
  }
  permits.push('forbid(principal, action, resource) unless { principal.is_active };');
  const userEntity = (i) => ({ uid: { type: 'User', id: `u${i}` }, attrs: { username: `u${i}`, is_active: true },
    parents: userGroups(i).map((g) => ({ type: 'Group', id: `g${g}` })) });
  const groupEntity = (g) => ({ uid: { type: 'Group', id: `g${g}` }, attrs: { name: `g${g}` }, parents: [] });
  const appEntity = (k) => ({ uid: { type: 'Application', id: `a${k}` }, attrs: { slug: `a${k}` }, parents: [] });
  /** The 4–5 entities one decision needs: the user, its groups and the application. */
  const sliced = (u, a) => [userEntity(u), ...userGroups(u).map(groupEntity), appEntity(a)];
  return { policyText: permits.join('\n'), sliced };
}

/** Casbin (peers §2.3, §8): the RBAC model and its 100 p + 3,000 g lines. */
export function casbinFixture() {
  const model = `[request_definition]
r = sub, obj, act
[policy_definition]
p = sub, obj, act
[role_definition]
g = _, _
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act
`;
  const lines = [];
  for (let k = 0; k < RBAC.apps; k++) for (const g of appGroups(k)) lines.push(`p, g${g}, a${k}, access`);
  for (let i = 0; i < RBAC.users; i++) for (const g of userGroups(i)) lines.push(`g, u${i}, g${g}`);
  return { model, policy: lines.join('\n') };
}

/** Hand-written JS: Map<user, Set<group>> and Map<app, group[]> (peers §8). */
export function jsBaseline() {
  const userSets = new Map();
  for (let i = 0; i < RBAC.users; i++) userSets.set(userPk(i), new Set(userGroups(i).map(groupPk)));
  const appLists = new Map();
  for (let k = 0; k < RBAC.apps; k++) appLists.set(appPk(k), appGroups(k).map(groupPk));
  return (user, app) => {
    const set = userSets.get(user);
    const list = appLists.get(app);
    if (set === undefined || list === undefined) return false;
    for (let i = 0; i < list.length; i++) if (set.has(list[i])) return true;
    return false;
  };
}

/**
 * The large snapshot of the construction scenario: 10k users (3 groups each), 1k groups (a
 * two-level hierarchy), 500 apps with 40 bindings each (36 group, 4 user) = 20k bindings.
 */
export function largeSnapshot({ users: nu = 10000, groups: ng = 1000, apps: na = 500, perApp = 40 } = {}) {
  const snap = {
    users: users(nu, userGroups, ng),
    groups: groupList(ng, (g) => (g >= 100 ? g % 100 : null)),
    applications: apps(na),
    policy_bindings: [],
  };
  let b = 0;
  for (let k = 0; k < na; k++) {
    for (let j = 0; j < perApp; j++) {
      const base = { pk: uuid(NS.binding, b++), target: appPk(k), order: j };
      if (j < perApp - 4) base.group = groupPk((k * 37 + j * 13) % ng);
      else base.user = userPk((k * 101 + j * 7919) % nu);
      snap.policy_bindings.push(base);
    }
  }
  return snap;
}

/** Scaling: one target with `n` group bindings (mode any); the asking user matches only the last. */
export function bindingsScalingSnapshot(n) {
  const snap = {
    users: [{ pk: 1, username: 'probe', groups: [groupPk(n - 1)] }],
    groups: groupList(n),
    applications: [{ pk: appPk(0), slug: 'scaled', name: 'Scaled' }],
    policy_bindings: [],
  };
  for (let j = 0; j < n; j++) snap.policy_bindings.push({ pk: uuid(NS.binding, j), target: appPk(0), group: groupPk(j), order: j });
  return snap;
}

/** Scaling: the RBAC application set with `n` users (3 groups each, same formulas). */
export function usersScalingSnapshot(n) {
  const snap = rbacSnapshot('static');
  snap.users = users(n, userGroups, RBAC.groups);
  return snap;
}

/**
 * A 5-stage flow, 3 policy bindings per stage (2 group bindings + 1 dummy policy, all passing for
 * the asking user), every stage `evaluate_on_plan` and `re_evaluate_policies`, so that `plan`
 * evaluates 15 bindings and `next` re-evaluates the head's 3.
 */
export function flowSnapshot() {
  const snap = {
    users: [{ pk: 1, username: 'alice', groups: [groupPk(0)] }, { pk: 2, username: 'bob', groups: [groupPk(1)] }],
    groups: groupList(3),
    policies: [{ pk: uuid(NS.policy, 0), name: 'always', type: 'dummy', result: true }],
    flows: [{ pk: uuid(NS.flow, 0), slug: 'login', name: 'Login', title: 'Login', designation: 'authentication' }],
    stages: [],
    flow_stage_bindings: [],
    policy_bindings: [],
  };
  let b = 0;
  for (let s = 0; s < 5; s++) {
    snap.stages.push({ pk: uuid(NS.stage, s), name: `stage-${s}`, component: 'ak-stage-dummy' });
    const fsb = uuid(NS.fsb, s);
    snap.flow_stage_bindings.push({ pk: fsb, target: uuid(NS.flow, 0), stage: uuid(NS.stage, s), order: s * 10,
      evaluate_on_plan: true, re_evaluate_policies: true });
    snap.policy_bindings.push({ pk: uuid(NS.binding, b++), target: fsb, group: groupPk(0), order: 0 });
    snap.policy_bindings.push({ pk: uuid(NS.binding, b++), target: fsb, group: groupPk(2), order: 1 });
    snap.policy_bindings.push({ pk: uuid(NS.binding, b++), target: fsb, policy: uuid(NS.policy, 0), order: 2 });
  }
  return snap;
}
