// Renders a PolicyResult with its trace (spec §4 BindingTrace): one entry per binding that took
// part, in binding order, with the condition nodes of conditional policies (the deciding one
// marked). A list rather than a table, so it reads well in a narrow column and on phones.
import { h, verdict } from './dom.mjs';

const KIND_LABEL = { policy: 'Policy', group: 'Group', user: 'User' };
let labels = new Map();

/** ctx.names: Map pk → name (groups, users, policies…) to show names instead of uuids. */
export function renderResult(result, { caption, names } = {}) {
  labels = names ?? new Map();
  return h('div', { class: 'result' },
    h('p', { class: 'result-head' }, verdict(result.passing), caption ? ` ${caption}` : null),
    result.messages?.length
      ? h('ul', { class: 'messages', 'aria-label': 'Messages' }, result.messages.map((m) => h('li', {}, m)))
      : null,
    result.trace ? renderTrace(result.trace) : null);
}

export function renderTrace(trace) {
  if (!trace.length) {
    return h('p', { class: 'muted' }, 'No bindings took part: the result is the target\u2019s empty result.');
  }
  return h('ol', { class: 'trace', 'aria-label': 'Bindings evaluated, in order' }, trace.map(traceEntry));
}

function traceEntry(t) {
  const messages = (t.messages ?? []).filter((m) => m !== t.error);
  const why = [
    t.error ? h('p', { class: 'err' }, h('span', { class: 'tag warn' }, 'error'), ' ', t.error,
      h('span', { class: 'muted' }, ` → failure_result (${t.passing ? 'pass' : 'fail'})`)) : null,
    messages.length ? h('ul', { class: 'messages' }, messages.map((m) => h('li', {}, m))) : null,
    t.nodes?.length ? renderNodes(t.nodes) : null,
    !t.error && !messages.length && !t.nodes?.length && staticWhy(t) ? h('p', { class: 'muted' }, staticWhy(t)) : null,
  ].filter(Boolean);
  return h('li', { class: t.dry_run ? 'dry' : null, dataset: { binding: t.binding ?? '' } },
    h('div', { class: 'trace-head' },
      h('span', { class: 'order', title: 'order' }, String(t.order)),
      h('span', { class: 'kind' }, KIND_LABEL[t.kind] ?? t.kind),
      h('strong', { class: 'name' }, t.name ?? ''),
      t.negate ? h('span', { class: 'tag' }, 'negated') : null,
      t.dry_run ? h('span', { class: 'tag' }, 'dry run: ignored') : null,
      h('span', { class: 'outcome' }, verdict(t.passing, 'passed', 'failed'))),
    why.length ? h('div', { class: 'trace-why' }, why) : null);
}

function staticWhy(t) {
  const member = t.passing !== Boolean(t.negate);
  if (t.kind === 'group') return member ? 'member of the group (or of a child group)' : 'not a member of the group';
  if (t.kind === 'user') return member ? 'this is the user' : 'another user';
  return '';
}

/** The node where evaluation was decided: the last leaf reached (a comparison, a missing value
 * or a referenced policy); action nodes after it only carry its result out. */
function decidingIndex(nodes) {
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i] ?? {};
    if ('variable' in n || 'missing' in n || 'policy' in n) return i;
  }
  return nodes.length - 1;
}

function renderNodes(nodes) {
  const deciding = decidingIndex(nodes);
  return h('details', { class: 'nodes', open: true },
    h('summary', {}, `Condition nodes (${nodes.length})`),
    h('ol', {}, nodes.map((node, i) => h('li', { class: i === deciding ? 'deciding' : null },
      describeNode(node ?? {}),
      i === deciding ? h('span', { class: 'tag decide' }, 'deciding') : null,
      node?.node ? h('code', { class: 'node-path' }, node.node) : null))));
}

function describeNode(n) {
  const result = typeof n.result === 'boolean' ? verdict(n.result, 'true', 'false') : null;
  if ('missing' in n) {
    return h('span', {}, h('code', {}, String(n.missing)), ' is not set ', h('span', { class: 'tag warn' }, 'missing'));
  }
  if ('variable' in n) {
    return h('span', {}, h('code', {}, String(n.variable)),
      'value' in n ? [' = ', h('code', { class: 'value' }, short(n.value))] : null,
      n.operator ? [' · ', h('code', {}, String(n.operator))] : null, ' → ', result);
  }
  if ('action' in n) return h('span', {}, h('code', {}, String(n.action)), result ? [' → ', result] : null);
  if ('policy' in n) return h('span', {}, 'policy ', h('code', {}, String(n.policy)), result ? [' → ', result] : null);
  const rest = Object.fromEntries(Object.entries(n).filter(([k]) => k !== 'node' && k !== 'result'));
  return h('span', {}, h('code', { class: 'value' }, short(rest)), result ? [' → ', result] : null);
}

function named(value) {
  if (typeof value === 'string' && labels.has(value)) return labels.get(value);
  return Array.isArray(value) ? value.map(named) : value;
}

function short(value) {
  const text = JSON.stringify(named(value)) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}
