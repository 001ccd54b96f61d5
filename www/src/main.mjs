// flowgate playground: everything runs in the browser. The snapshot editor builds an Engine as
// the user types (debounced); the request form and the three result panels ask it questions.
import init, * as flowgate from 'flowgate';
import { h, setChildren, $, debounce, errorNotice, list } from './dom.mjs';
import { scan, locate, lineCol, offsetOfLineCol } from './jsonpath.mjs';
import { encodeState, decodeState } from './share.mjs';
import { renderApps } from './apps.mjs';
import { renderFlows, flowsOf } from './flows.mjs';
import { renderDiagram } from './diagram.mjs';

const { Engine } = flowgate;
const WASM_URL = new URL('./flowgate.wasm', import.meta.url);
// The blueprint module (the core plus blueprintsToSnapshot): fetched on the first blueprint only.
const BLUEPRINT_WASM_URL = new URL('./flowgate-blueprint.wasm', import.meta.url);
const SAMPLE_URL = new URL('./sample-snapshot.json', import.meta.url);

const DEFAULTS = {
  user: 'alice', httpUser: 'anon', hasHttp: true, ip: '10.1.2.3', country: 'DE', asn: '64500',
  now: '2026-06-01T12:00:00Z', context: '{}', tab: 'apps', flow: '', app: '', hidden: false, pending: 'user',
};

// Exposed for tests and the curious: readiness and load timings (ms since navigation start).
const probe = { ready: false, timings: {}, errors: [] };
window.flowgatePlayground = probe;

const state = {
  engine: null,        // Engine of the last valid snapshot
  model: null,         // that snapshot, parsed (lists for pickers and panels)
  snapshotId: 0,       // bumps on every new valid snapshot (resets flow runs)
  settings: { ...DEFAULTS },
  request: {},         // the last valid request built from the form
  tab: 'apps',
  dirty: new Set(),    // panels to re-render when shown
  lastHash: '',
};

const el = {
  editor: $('#snapshot'), marks: $('#editor-marks'), errors: $('#snapshot-errors'), snapState: $('#snapshot-state'),
  status: $('#status'), version: $('#version'),
  user: $('#req-user'), httpUser: $('#req-http-user'), now: $('#req-now'), hasHttp: $('#req-has-http'),
  ip: $('#req-ip'), country: $('#req-country'), asn: $('#req-asn'), context: $('#req-context'),
  requestJson: $('#request-json'),
  panels: { apps: $('#panel-apps'), flows: $('#panel-flows'), diagram: $('#panel-diagram') },
  tabs: { apps: $('#tab-apps'), flows: $('#tab-flows'), diagram: $('#tab-diagram') },
};

function say(message, { error = false } = {}) {
  el.status.textContent = message;
  el.status.classList.toggle('error', error);
}

// ---------------------------------------------------------------- snapshot editor

/** Builds an Engine from the editor text; on failure shows every error where it is. */
function loadSnapshot(text) {
  let engine;
  const t0 = performance.now();
  try {
    engine = new Engine(text);
  } catch (e) {
    showSnapshotErrors(text, e);
    if (!state.model) {
      // Nothing valid yet (e.g. a shared link with a broken snapshot): still offer its users.
      try { state.model = JSON.parse(text); } catch { state.model = {}; }
      if (!state.model || typeof state.model !== 'object') state.model = {};
      fillPickers();
    }
    return false;
  }
  probe.timings.engineMs ??= performance.now() - t0;
  let model;
  try { model = JSON.parse(text); } catch { model = {}; }
  state.engine?.free();
  state.engine = engine;
  state.model = model;
  state.snapshotId++;
  showSnapshotErrors(text, null);
  const s = engine.stats;
  setChildren(el.snapState, h('span', { class: 'verdict pass' }, '✓ valid'),
    ` ${s.users} users · ${s.groups} groups · ${s.policies} policies · ${s.bindings} bindings · ${s.flows} flows · ${s.stages} stages · ${s.applications} apps`);
  fillPickers();
  return true;
}

function showSnapshotErrors(text, err) {
  el.editor.setAttribute('aria-invalid', String(Boolean(err)));
  if (!err) {
    setChildren(el.marks);
    setChildren(el.errors, h('p', { class: 'muted' }, 'No errors.'));
    return;
  }
  const errors = Array.isArray(err.errors) && err.errors.length ? err.errors : [{ path: '', message: String(err.message ?? err) }];
  const spans = scan(text);
  const located = errors.map((e) => {
    let range = e.path ? locate(text, e.path, spans) : null;
    if (!e.path) {
      const at = offsetOfLineCol(text, e.message);
      if (at !== null) range = { start: at, end: Math.min(text.length, at + 1), exact: true };
    }
    return { ...e, range };
  });
  setChildren(el.snapState, h('span', { class: 'verdict fail' }, `✗ ${errors.length} error${errors.length === 1 ? '' : 's'}`),
    state.engine ? ' — results show the last valid snapshot' : ' — fix them to see results');
  setChildren(el.errors, h('ul', { id: 'snapshot-error-list', 'aria-label': 'Snapshot errors' }, located.map((e) => {
    const where = e.range ? lineCol(text, e.range.start) : null;
    return h('li', {}, h('button', {
      type: 'button', class: 'error-item', dataset: { path: e.path },
      onclick: () => e.range && select(e.range),
      disabled: !e.range,
    }, h('code', { class: 'path' }, e.path || '(document)'), ' ', h('span', {}, e.message),
    where ? h('span', { class: 'where muted' }, ` line ${where.line}:${where.column}`) : null));
  })));
  markRanges(text, located.map((e) => e.range).filter(Boolean));
}

/** Paints error ranges behind the (transparent) textarea: same font, same scroll. */
function markRanges(text, ranges) {
  const sorted = ranges.slice(0, 200).sort((a, b) => a.start - b.start);
  const nodes = [];
  let at = 0;
  for (const r of sorted) {
    if (r.end <= at) continue;
    const start = Math.max(r.start, at);
    nodes.push(text.slice(at, start), h('mark', {}, text.slice(start, r.end) || ' '));
    at = r.end;
  }
  nodes.push(`${text.slice(at)}\n `);
  setChildren(el.marks, ...nodes);
  syncScroll();
}

function select({ start, end }) {
  el.editor.focus();
  el.editor.setSelectionRange(start, end);
  const { line } = lineCol(el.editor.value, start);
  const lineHeight = parseFloat(getComputedStyle(el.editor).lineHeight) || 18;
  el.editor.scrollTop = Math.max(0, (line - 1) * lineHeight - el.editor.clientHeight / 3);
  syncScroll();
}

function syncScroll() {
  el.marks.scrollTop = el.editor.scrollTop;
  el.marks.scrollLeft = el.editor.scrollLeft;
}

const validate = debounce(() => {
  if (loadSnapshot(el.editor.value)) refresh();
  syncUrl();
}, 300);

el.editor.addEventListener('input', () => {
  setChildren(el.marks); // stale marks would point at the wrong characters
  validate();
});
el.editor.addEventListener('scroll', syncScroll, { passive: true });

function setSnapshotText(text, message) {
  el.editor.value = text;
  el.editor.scrollTop = 0;
  validate.cancel();
  const ok = loadSnapshot(text);
  if (ok) refresh();
  syncUrl.flush();
  if (message) say(ok ? message : `${message} — it has errors, see below the editor.`, { error: !ok });
}

// ---------------------------------------------------------------- request form

function fillPickers() {
  const users = list(state.model.users).filter((u) => u && typeof u.username === 'string');
  const s = state.settings;
  if (s.user && !users.some((u) => u.username === s.user)) s.user = state.engine ? users[0]?.username ?? '' : s.user;
  setChildren(el.user,
    h('option', { value: '', selected: !s.user }, 'anonymous (no user)'),
    s.user && !users.some((u) => u.username === s.user) ? h('option', { value: s.user, selected: true }, s.user) : null,
    users.map((u) => h('option', { value: u.username, selected: u.username === s.user }, u.name ? `${u.username} — ${u.name}` : u.username)));
  if (s.httpUser.startsWith('u:') && !users.some((u) => `u:${u.username}` === s.httpUser)) s.httpUser = 'anon';
  setChildren(el.httpUser,
    h('option', { value: 'same', selected: s.httpUser === 'same' }, 'logged in as the user (http.user absent)'),
    h('option', { value: 'anon', selected: s.httpUser === 'anon' }, 'anonymous browser (null)'),
    h('optgroup', { label: 'logged in as…' },
      users.map((u) => h('option', { value: `u:${u.username}`, selected: s.httpUser === `u:${u.username}` }, u.username))));
  const flows = flowsOf(state.model);
  if (state.engine && !flows.some((f) => f.slug === s.flow)) s.flow = flows[0]?.slug ?? '';
}

function fillForm() {
  const s = state.settings;
  el.now.value = s.now;
  el.hasHttp.checked = s.hasHttp;
  el.ip.value = s.ip;
  el.country.value = s.country;
  el.asn.value = s.asn;
  el.context.value = s.context;
  syncHttpDisabled();
}

function syncHttpDisabled() {
  for (const input of [el.httpUser, el.ip, el.country, el.asn]) input.disabled = !el.hasHttp.checked;
}

/** The request object for the engine, or field errors (the last valid request stays in use). */
export function buildRequest(s) {
  const errors = {};
  const req = { user: s.user ? s.user : null };
  if (s.hasHttp) {
    const http = {};
    if (s.httpUser === 'anon') http.user = null;
    else if (s.httpUser.startsWith('u:')) http.user = s.httpUser.slice(2);
    if (s.ip.trim()) http.client_ip = s.ip.trim();
    if (s.country.trim()) http.geoip = { country: s.country.trim().toUpperCase() };
    if (s.asn.trim()) {
      const n = Number(s.asn.trim());
      if (Number.isInteger(n) && n >= 0) http.asn = { asn: n };
      else errors.asn = 'An AS number, e.g. 64500.';
    }
    req.http = http;
  }
  const now = s.now.trim();
  if (/^\d+$/.test(now)) req.now = Number(now);
  else if (now && Number.isNaN(Date.parse(now))) errors.now = 'Use ISO-8601 (2026-06-01T12:00:00Z) or epoch milliseconds.';
  else if (now) req.now = now;
  if (s.context.trim()) {
    try {
      const c = JSON.parse(s.context);
      if (c === null || typeof c !== 'object' || Array.isArray(c)) errors.context = 'The context must be a JSON object.';
      else if (Object.keys(c).length) req.context = c;
    } catch (e) {
      errors.context = `Not valid JSON: ${e.message}`;
    }
  }
  return { req, errors };
}

function readForm() {
  Object.assign(state.settings, {
    user: el.user.value, httpUser: el.httpUser.value, hasHttp: el.hasHttp.checked, now: el.now.value,
    ip: el.ip.value, country: el.country.value, asn: el.asn.value, context: el.context.value,
  });
}

/** Rebuilds the request; returns false (and shows why) when a field is invalid. */
function applyRequest() {
  const { req, errors } = buildRequest(state.settings);
  for (const [field, input] of [['now', el.now], ['asn', el.asn], ['context', el.context]]) {
    $(`#req-${field}-error`).textContent = errors[field] ?? '';
    input.setAttribute('aria-invalid', String(Boolean(errors[field])));
  }
  if (Object.keys(errors).length) return false;
  state.request = req;
  el.requestJson.textContent = JSON.stringify(req, null, 2);
  return true;
}

const onRequestInput = debounce(() => {
  readForm();
  if (applyRequest()) refresh();
  syncUrl();
}, 200);
for (const input of [el.now, el.ip, el.country, el.asn, el.context]) input.addEventListener('input', onRequestInput);
for (const input of [el.user, el.httpUser, el.hasHttp]) {
  input.addEventListener('change', () => { syncHttpDisabled(); onRequestInput.flush(); });
}
$('#request').addEventListener('submit', (e) => e.preventDefault());

// ---------------------------------------------------------------- panels and tabs

const renderers = { apps: renderApps, flows: renderFlows, diagram: renderDiagram };

function panelCtx() {
  const s = state.settings;
  const who = s.user || 'anonymous';
  return {
    engine: state.engine, model: state.model, request: state.request, settings: s, snapshotId: state.snapshotId, who,
    names: namesOf(state.model),
    update(patch, opts) {
      Object.assign(s, patch);
      syncUrl();
      refresh(opts);
    },
    rerender(opts) {
      // The diagram mirrors the walk (dropped and current stages): redraw it when shown.
      state.dirty.add('diagram');
      renderPanel(state.tab, opts);
    },
    say,
    /** next()/stageInvalid() take the request without `context`: the plan carries its own. */
    stepRequest() {
      const req = { ...state.request };
      delete req.context;
      return req;
    },
    planningWho(options) {
      const p = options?.context?.pending_user;
      if (typeof p === 'string') return `pending_user ${p}`;
      if (p && typeof p === 'object') return `pending_user ${p.username ?? '(inline)'} (authenticated by a backend)`;
      return who;
    },
  };
}

/** pk → name of the snapshot's groups, users, policies, applications and flows (for traces). */
let namesCache = { model: null, names: new Map() };
function namesOf(model) {
  if (namesCache.model !== model) {
    const names = new Map();
    for (const key of ['groups', 'policies', 'applications', 'flows', 'stages']) {
      for (const x of list(model?.[key])) if (x && typeof x.name === 'string') names.set(String(x.pk), x.name);
    }
    namesCache = { model, names };
  }
  return namesCache.names;
}

/** Re-renders the visible panel now and the others when they are shown. */
function refresh(opts) {
  state.dirty = new Set(Object.keys(renderers));
  renderPanel(state.tab, opts);
}

function renderPanel(tab, opts = {}) {
  const panel = el.panels[tab];
  state.dirty.delete(tab);
  if (!state.engine) {
    setChildren(panel, h('p', { class: 'notice error' }, 'The snapshot has errors: fix them in the editor to see results.'));
    return;
  }
  // Panels are rebuilt from scratch: keep keyboard focus on the same control if it survives.
  const active = document.activeElement;
  const focusId = panel.contains(active) && active.id ? active.id : null;
  const t0 = performance.now();
  const done = renderers[tab](panel, { ...panelCtx(), opts });
  if (!probe.timings.firstDecision) {
    probe.timings.firstRenderMs = performance.now() - t0;
    probe.timings.firstDecision = performance.now();
  }
  Promise.resolve(done).catch((e) => {
    probe.errors.push(String(e?.stack ?? e));
    panel.append(errorNotice(e, 'playground'));
  });
  let target = focusId ? document.getElementById(focusId) : null;
  if ((!target || target.disabled) && opts.focus) target = panel.querySelector(opts.focus);
  if (target && !target.disabled) target.focus({ preventScroll: true });
}

function showTab(tab, { focus = false } = {}) {
  if (tab !== state.tab) say(''); // a step or access message belongs to the panel it came from
  state.tab = tab;
  state.settings.tab = tab;
  for (const [name, button] of Object.entries(el.tabs)) {
    const on = name === tab;
    button.setAttribute('aria-selected', String(on));
    button.tabIndex = on ? 0 : -1;
    el.panels[name].hidden = !on;
  }
  if (focus) el.tabs[tab].focus();
  if (state.dirty.has(tab)) renderPanel(tab);
  syncUrl();
}

const tabOrder = Object.keys(el.tabs);
for (const [name, button] of Object.entries(el.tabs)) {
  button.addEventListener('click', () => showTab(name));
  button.addEventListener('keydown', (e) => {
    const i = tabOrder.indexOf(name);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabOrder.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    showTab(tabOrder[(next + tabOrder.length) % tabOrder.length], { focus: true });
  });
}

// ---------------------------------------------------------------- sharing, files, blueprints

// Browsers cap URLs (Chromium at 2 MB): past this, the link carries the request only.
const MAX_HASH = 1_500_000;
const syncUrl = debounce(() => {
  let hash = encodeState({ snapshot: el.editor.value, settings: state.settings });
  state.urlTooLong = hash.length > MAX_HASH;
  if (state.urlTooLong) hash = encodeState({ settings: state.settings });
  try {
    if (hash !== location.hash) history.replaceState(null, '', hash);
  } catch {
    state.urlTooLong = true;
  }
  state.lastHash = location.hash;
}, 400);

window.addEventListener('hashchange', () => {
  if (location.hash === state.lastHash) return;
  applyUrlState(decodeState(location.hash));
});

function applyUrlState(decoded) {
  state.settings = { ...DEFAULTS, ...pickKnown(decoded.settings ?? {}) };
  state.tab = state.settings.tab in renderers ? state.settings.tab : 'apps';
  if (decoded.snapshot !== undefined) {
    el.editor.value = decoded.snapshot;
    loadSnapshot(decoded.snapshot);
  }
  if (state.model) fillPickers(); // the pickers show the link's choices
  fillForm();
  applyRequest();
  refresh();
  showTab(state.tab);
  if (decoded.problems?.length) say(`This link could not be read fully: ${decoded.problems.join('; ')}.`, { error: true });
}

function pickKnown(settings) {
  return Object.fromEntries(Object.entries(settings).filter(([k, v]) => k in DEFAULTS && typeof v === typeof DEFAULTS[k]));
}

$('#open-file').addEventListener('change', async (e) => {
  const file = e.target.files?.[0];
  e.target.value = '';
  if (!file) return;
  setSnapshotText(await file.text(), `Opened ${file.name}.`);
});

$('#open-blueprint').addEventListener('change', async (e) => {
  const files = [...(e.target.files ?? [])];
  e.target.value = '';
  if (!files.length) return;
  const texts = await Promise.all(files.map((f) => f.text()));
  const names = files.map((f) => f.name).join(', ');
  let result;
  try {
    await init({ blueprint: BLUEPRINT_WASM_URL });
    result = flowgate.blueprintsToSnapshot(texts);
  } catch (err) {
    say(`Could not convert ${names}: ${err.code ? `${err.code}: ` : ''}${err.message}`, { error: true });
    return;
  }
  const warnings = result.warnings ?? [];
  setSnapshotText(JSON.stringify(result.snapshot, null, 1),
    `Converted ${names} with blueprintsToSnapshot()${warnings.length ? ` — ${warnings.length} warning${warnings.length === 1 ? '' : 's'}: ${warnings.slice(0, 3).map((w) => `${files[w.file]?.name ?? w.file} entry ${w.entry}: ${w.message}`).join('; ')}${warnings.length > 3 ? '…' : ''}` : ''}.`);
});

$('#download').addEventListener('click', () => {
  const url = URL.createObjectURL(new Blob([el.editor.value], { type: 'application/json' }));
  const a = h('a', { href: url, download: 'flowgate-snapshot.json' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  say('Downloaded flowgate-snapshot.json.');
});

$('#copy-link').addEventListener('click', async () => {
  validate.settle();
  onRequestInput.settle();
  syncUrl.flush();
  const kb = (location.href.length / 1024).toFixed(1);
  const carries = state.urlTooLong
    ? 'it carries the request only: the snapshot is too large for a link, download it instead'
    : 'it carries the snapshot and the request';
  try {
    await navigator.clipboard.writeText(location.href);
    say(`Link copied (${kb} KB): ${carries}.`);
  } catch {
    say(`The link (${kb} KB) is in the address bar, copy it from there: ${carries}.`);
  }
});

$('#reset-sample').addEventListener('click', async () => {
  setSnapshotText(await (await fetch(SAMPLE_URL)).text(), 'Loaded the sample snapshot.');
});

// ---------------------------------------------------------------- start

async function start() {
  const decoded = decodeState(location.hash);
  const sample = decoded.snapshot === undefined ? fetch(SAMPLE_URL).then((r) => {
    if (!r.ok) throw new Error(`sample snapshot: HTTP ${r.status}`);
    return r.text();
  }) : null;
  await init(WASM_URL);
  probe.timings.wasmReady = performance.now();
  el.version.textContent = `flowgate ${flowgate.version}`;
  if (sample) decoded.snapshot = await sample;
  const t0 = performance.now();
  applyUrlState(decoded);
  probe.timings.loadToDecisionMs = performance.now() - t0;
  state.lastHash = location.hash;
  if (!decoded.problems.length) say('');
  probe.ready = true;
  document.documentElement.dataset.ready = 'true';
}

start().catch((e) => {
  probe.errors.push(String(e?.stack ?? e));
  say(`The playground could not start: ${e.message}`, { error: true });
  document.documentElement.dataset.ready = 'error';
});
