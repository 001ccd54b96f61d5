// Flows panel: plan a flow for the request (stages kept and dropped, and why), then walk it with
// next / stageOk / stageInvalid and watch the plan context change.
import { h, setChildren, verdict, errorNotice, list } from './dom.mjs';
import { renderResult } from './trace.mjs';

/** The flow's stage bindings in plan order (stable sort by order, as the engine does). */
export function stageBindingsOf(model, flow) {
  const stages = new Map(list(model.stages).filter(Boolean).map((s) => [String(s.pk), s]));
  return list(model.flow_stage_bindings)
    .map((b, index) => ({ b, index }))
    .filter(({ b }) => b && String(b.target) === String(flow.pk))
    .sort((x, y) => (Number(x.b.order) - Number(y.b.order)) || (x.index - y.index))
    .map(({ b }) => ({
      pk: String(b.pk),
      pbm: String(b.pbm_uuid ?? b.policybindingmodel_ptr_id ?? b.pk),
      order: b.order,
      stage: stages.get(String(b.stage)) ?? { name: String(b.stage), component: '' },
      evaluateOnPlan: b.evaluate_on_plan === true,
      reEvaluate: b.re_evaluate_policies !== false,
      invalidAction: b.invalid_response_action ?? 'retry',
    }));
}

export function flowsOf(model) {
  return list(model.flows).filter((f) => f && typeof f.slug === 'string');
}

/** The request and plan options the page uses for a flow (pending_user per the picker). */
export function planArgs(ctx) {
  const { request, settings, model } = ctx;
  const { context = {}, ...req } = request;
  const planContext = { ...context };
  const username = typeof request.user === 'string' ? request.user : null;
  if (username && settings.pending === 'user') planContext.pending_user = username;
  if (username && settings.pending === 'backend') {
    // An inline user carrying `backend`: a backend (password, source, passkey…) already
    // authenticated it in this flow (spec §3), so `plan.pending_user_authenticated` is true.
    const u = list(model.users).find((x) => x?.username === username);
    planContext.pending_user = { ...u, backend: 'authentik.core.auth.InbuiltBackend' };
  }
  return { req, options: { context: planContext } };
}

/** plan() for the selected flow; { outcome } or { error }. */
export function planFlow(ctx, slug) {
  const { req, options } = planArgs(ctx);
  try {
    return { outcome: ctx.engine.plan(slug, req, options), req, options };
  } catch (error) {
    return { error, req, options };
  }
}

// The walk survives re-renders; it restarts when the snapshot or the flow changes.
let run = null;

export function renderFlows(panel, ctx) {
  const { model, settings } = ctx;
  const flows = flowsOf(model);
  const flow = flows.find((f) => f.slug === settings.flow) ?? flows[0];

  const picker = flowPicker(flows, flow, ctx, 'flows-flow');
  const pending = h('select', { id: 'flows-pending', onchange: (e) => ctx.update({ pending: e.target.value }) },
    h('option', { value: 'user', selected: settings.pending === 'user' }, 'the user (identified)'),
    h('option', { value: 'backend', selected: settings.pending === 'backend' }, 'the user, authenticated by a backend'),
    h('option', { value: 'none', selected: settings.pending === 'none' }, 'none'));
  const bar = h('div', { class: 'panel-bar' },
    h('div', { class: 'field inline' }, h('label', { for: 'flows-flow' }, 'Flow'), picker),
    h('div', { class: 'field inline' }, h('label', { for: 'flows-pending' }, 'Planning user ', h('span', { class: 'muted' }, '(pending_user)')), pending));

  if (!flow) {
    setChildren(panel, bar, h('p', { class: 'muted empty' }, 'The snapshot has no flows.'));
    return;
  }

  const bindings = stageBindingsOf(model, flow);
  const planned = planFlow(ctx, flow.slug);
  const key = `${ctx.snapshotId}|${flow.slug}`;
  if (!run || run.key !== key) run = newRun(key, planned);
  else if (!run.steps.length) Object.assign(run, newRun(key, planned)); // not started: follow the request

  const outcome = planned.outcome;
  const planIds = new Set(outcome?.ok ? outcome.stages.map((s) => s.binding) : []);
  const markers = new Map(outcome?.ok ? outcome.plan.bindings.map((b, i) => [b, outcome.plan.markers?.[i]]) : []);

  const summary = h('div', { class: 'plan-summary', id: 'plan-summary' },
    h('p', { class: 'muted' }, h('code', {}, `plan('${flow.slug}', request, { context })`), ` — ${flow.designation ?? ''} flow`,
      flow.authentication && flow.authentication !== 'none' ? `, requires ${flow.authentication}` : ''),
    planned.error ? errorNotice(planned.error, 'plan()')
      : outcome.ok
        ? h('p', {}, verdict(true, 'planned'), ` ${outcome.stages.length} of ${bindings.length} stage${bindings.length === 1 ? '' : 's'} kept for ${ctx.planningWho(planned.options)}.`)
        : h('div', {},
          h('p', {}, verdict(false, '', reasonText(outcome.reason)), ' ', h('span', { class: 'muted' }, `denied_action: ${outcome.denied_action ?? '—'}`)),
          outcome.messages?.length ? h('ul', { class: 'messages' }, outcome.messages.map((m) => h('li', {}, m))) : null));

  const rows = bindings.map((b, i) => stageRow(b, i, { outcome, planIds, markers, planned, ctx }));
  const table = h('div', { class: 'table-wrap' }, h('table', { class: 'stages', id: 'plan-stages' },
    h('caption', { class: 'visually-hidden' }, 'Stage bindings of the flow and what the planner did with them'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Order'), h('th', { scope: 'col' }, 'Stage'),
      h('th', { scope: 'col' }, 'Plan'), h('th', { scope: 'col' }, 'Run'))),
    h('tbody', {}, rows)));

  setChildren(panel, bar, summary, table, runSection(ctx, bindings));
}

function reasonText(reason) {
  return { denied: 'denied', empty: 'empty: no stages', auth_required: 'authentication requirement not met' }[reason] ?? String(reason);
}

export function flowPicker(flows, flow, ctx, id) {
  return h('select', { id, onchange: (e) => ctx.update({ flow: e.target.value }) },
    flows.map((f) => h('option', { value: f.slug, selected: f === flow }, `${f.name ?? f.slug} (${f.slug})`)));
}

function stageRow(b, i, { outcome, planIds, markers, planned, ctx }) {
  const kept = planIds.has(b.pk);
  const status = run.status.get(b.pk);
  let planCell;
  if (!outcome?.ok) {
    planCell = h('span', { class: 'muted' }, planned.error ? 'unknown' : 'not planned');
  } else if (kept) {
    const reeval = markers.get(b.pk) === 'reevaluate';
    planCell = h('div', {},
      h('span', { class: 'tag ok' }, 'kept'), ' ',
      h('span', { class: 'muted' }, b.evaluateOnPlan ? 'its policies passed at plan time' : 'not checked at plan time'),
      reeval ? h('div', { class: 'muted small' }, 're-checked when reached (re_evaluate_policies)') : null);
  } else {
    planCell = h('div', {},
      h('span', { class: 'tag off' }, 'dropped'), ' ',
      h('span', { class: 'muted' }, 'its policies failed at plan time'),
      whyDropped(b, planned, ctx));
  }
  return h('tr', { class: `${outcome?.ok && !kept ? 'dropped' : ''} ${status ?? ''}`, dataset: { binding: b.pk, index: String(i) } },
    h('td', { class: 'num' }, String(b.order)),
    h('td', {}, h('strong', {}, b.stage.name), h('div', { class: 'muted small' }, b.stage.component || b.stage.meta_model_name || '')),
    h('td', {}, planCell),
    h('td', {}, status ? h('span', { class: `tag run-${status}` }, { current: 'current', done: 'done', dropped: 'dropped' }[status]) : h('span', { class: 'muted' }, '—')));
}

/** Why a stage was dropped: its bindings evaluated again, with the plan's user and context. */
function whyDropped(b, planned, ctx) {
  const request = { ...planned.req, user: planned.options.context.pending_user ?? planned.req.user, context: planned.options.context };
  let body;
  try {
    const result = ctx.engine.evaluate(b.pbm, request, { trace: true });
    body = [renderResult(result, { names: ctx.names }),
      result.passing ? h('p', { class: 'muted small' }, 'It passes when evaluated on its own: the planner saw different facts (its plan context).') : null];
  } catch (e) {
    body = errorNotice(e, 'evaluate()');
  }
  return h('details', { class: 'why' }, h('summary', {}, 'Why?'),
    h('p', { class: 'muted small' }, 'The stage binding evaluated again with the planning user and context: ',
      h('code', {}, `evaluate('${b.pbm}', request, { trace: true })`)), body);
}

function newRun(key, planned) {
  return { key, plan: planned.outcome?.ok ? planned.outcome.plan : null, steps: [], current: null, done: false,
    status: new Map(), prevContext: null, error: null };
}

function runSection(ctx, bindings) {
  const names = new Map(bindings.map((b) => [b.pk, b.stage.name]));
  const actions = new Map(bindings.map((b) => [b.pk, b.invalidAction]));
  const call = (name, fn) => () => {
    run.error = null;
    const before = run.plan;
    try {
      fn(before, names);
    } catch (e) {
      run.error = { call: name, e };
    }
    ctx.rerender({ focus: '#run-next' });
    const last = run.steps[run.steps.length - 1];
    ctx.say(run.error ? `${name} failed: ${run.error.e.message}` : last ? `${last.call} ${last.text}` : '');
  };
  const canStep = Boolean(run.plan) && !run.done;
  const buttons = h('div', { class: 'buttons', role: 'group', 'aria-label': 'Step through the flow' },
    h('button', { type: 'button', id: 'run-next', disabled: !canStep, onclick: call('next()', (p) => stepNext(ctx, p, names)) },
      h('code', {}, 'next()')),
    h('button', { type: 'button', id: 'run-ok', disabled: !canStep || !run.current, onclick: call('stageOk()', (p) => stepOk(ctx, p, names)) },
      h('code', {}, 'stageOk()')),
    h('button', { type: 'button', id: 'run-invalid', disabled: !canStep || !run.current, onclick: call('stageInvalid()', (p) => stepInvalid(ctx, p, actions)) },
      h('code', {}, 'stageInvalid()')),
    h('button', { type: 'button', id: 'run-restart', class: 'quiet', disabled: !run.steps.length, onclick: () => { run = null; ctx.rerender({ focus: '#run-next' }); } },
      'Restart'));

  const hint = !run.plan ? 'Nothing to run: the flow was not planned.'
    : run.done ? 'The flow is done.'
      : run.current ? `In stage “${run.current.name}”. Complete it with stageOk(), or answer wrongly with stageInvalid().`
        : run.steps.length ? 'Call next() to enter the next stage (its policies are re-checked if marked).'
          : 'Call next() to enter the first stage.';

  const context = run.plan?.context ?? null;
  return h('section', { class: 'run', 'aria-labelledby': 'run-title' },
    h('h3', { id: 'run-title' }, 'Run the flow'),
    buttons,
    h('p', { class: 'hint', id: 'run-hint' }, hint),
    run.error ? errorNotice(run.error.e, run.error.call) : null,
    h('div', { class: 'run-grid' },
      h('div', {},
        h('h4', {}, 'Steps'),
        run.steps.length
          ? h('ol', { class: 'log', id: 'run-log' }, run.steps.map((s) => h('li', {}, h('code', {}, s.call), ' ', s.text,
            s.messages?.length ? h('ul', { class: 'messages' }, s.messages.map((m) => h('li', {}, m))) : null)))
          : h('p', { class: 'muted', id: 'run-log' }, 'No steps yet.')),
      h('div', {},
        h('h4', {}, 'Plan context'),
        context ? contextView(context, run.prevContext) : h('p', { class: 'muted' }, '—'),
        run.plan ? h('details', {}, h('summary', {}, 'Plan (plain JSON)'), h('pre', { id: 'run-plan' }, JSON.stringify(run.plan, null, 2))) : null)));
}

function stepNext(ctx, plan, names) {
  const out = ctx.engine.next(structuredClone(plan), ctx.stepRequest());
  const dropped = droppedHeads(plan, out.plan);
  for (const pk of dropped) run.status.set(pk, 'dropped');
  record('next()', out.done
    ? `→ done${out.redirect ? `, redirect to ${out.redirect}` : ''}${dropped.length ? `; dropped ${stageNames(dropped, names)}` : ''}`
    : `→ stage “${out.stage.name}”${dropped.length ? `; dropped ${stageNames(dropped, names)} first` : ''}`, out.messages, out.plan);
  run.done = out.done;
  run.current = out.done ? null : out.stage;
  if (!out.done) run.status.set(out.stage.binding, 'current');
}

function stepOk(ctx, plan, names) {
  const head = plan.bindings[0];
  const out = ctx.engine.stageOk(structuredClone(plan));
  if (head) run.status.set(head, 'done');
  record('stageOk()', `→ “${names.get(head) ?? head}” completed; ${out.bindings.length} stage${out.bindings.length === 1 ? '' : 's'} left`, [], out);
  run.current = null;
}

function stepInvalid(ctx, plan, actions) {
  const head = plan.bindings[0];
  const action = actions.get(head) ?? 'retry';
  const out = ctx.engine.stageInvalid(structuredClone(plan), ctx.stepRequest());
  if (out.ok === false) {
    record('stageInvalid()', `→ ${action}: the new plan failed (${reasonText(out.reason)})`, out.messages, run.plan);
    run.done = true;
    run.current = null;
    return;
  }
  if (action !== 'retry') run.status = new Map();
  record('stageInvalid()', out.done ? `→ ${action}: done` : `→ ${action}: stage “${out.stage.name}”`, out.messages, out.plan);
  run.done = out.done;
  run.current = out.done ? null : out.stage;
  if (!out.done) run.status.set(out.stage.binding, 'current');
}

function record(call, text, messages, plan) {
  run.prevContext = run.plan?.context ?? null;
  run.steps.push({ call, text, messages });
  run.plan = plan;
}

function droppedHeads(before, after) {
  const kept = new Set(after.bindings);
  return before.bindings.filter((b) => !kept.has(b));
}

function stageNames(pks, names) {
  return pks.map((pk) => `“${names.get(pk) ?? pk}”`).join(', ');
}

/** The plan context, one top-level key per line; keys that changed in the last step marked. */
function contextView(context, prev) {
  const keys = Object.keys(context);
  if (!keys.length) return h('p', { class: 'muted', id: 'run-context' }, '{} (empty)');
  return h('dl', { class: 'context', id: 'run-context' }, keys.map((k) => {
    const changed = prev !== null && JSON.stringify(prev?.[k]) !== JSON.stringify(context[k]);
    return [
      h('dt', { class: changed ? 'changed' : null }, k, changed ? h('span', { class: 'tag' }, prev && k in prev ? 'changed' : 'new') : null),
      h('dd', {}, h('code', {}, short(context[k]))),
    ];
  }));
}

function short(value) {
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 197)}…` : text;
}

/** For the diagram: stage-binding pks dropped for this user (at plan time, and in the walk). */
export function droppedForDiagram(planned, bindings, key) {
  if (!planned.outcome?.ok) return { all: true, reason: planned.error ? null : planned.outcome.reason, indexes: [], current: -1 };
  const kept = new Set(planned.outcome.stages.map((s) => s.binding));
  const runDropped = run?.key === key ? run.status : new Map();
  return {
    all: false,
    indexes: bindings.flatMap((b, i) => (!kept.has(b.pk) || runDropped.get(b.pk) === 'dropped' ? [i] : [])),
    current: bindings.findIndex((b) => runDropped.get(b.pk) === 'current'),
  };
}
