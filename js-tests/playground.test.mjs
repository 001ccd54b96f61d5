// The browser playground (www/), end to end in headless Chromium: served from 127.0.0.1, it must
// answer every question in the page, keep its state in a shareable URL, and never reach the
// network. Screenshots go to js-tests/out/ (look at them). Builds www/dist first unless
// FLOWGATE_WWW_PREBUILT=1. Skips when Chromium is missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const OUT = `${root}js-tests/out/`;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}`;
const LAUNCH = {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

let server;
let browser;
let page;
const requests = [];   // every request any page made: { url, page }
const pageErrors = [];
const metrics = {};

function isLocal(url) {
  if (/^(data|blob|about):/.test(url)) return true;
  try { return new URL(url).hostname === '127.0.0.1'; } catch { return false; }
}

async function newPage(viewport = { width: 1366, height: 860 }) {
  const p = await browser.newPage({ viewport });
  p.on('request', (r) => requests.push({ url: r.url(), at: Date.now() }));
  p.on('pageerror', (e) => pageErrors.push(String(e?.stack ?? e)));
  p.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`); });
  return p;
}

async function ready(p) {
  await p.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 30_000 });
  assert.equal(await p.evaluate(() => document.documentElement.dataset.ready), 'true',
    `the page did not start: ${await p.textContent('#status')}`);
}

async function shot(p, name) {
  await p.evaluate(() => window.scrollTo(0, 0)); // full-page shots of a scrolled page misplace sticky parts
  await p.screenshot({ path: `${OUT}${name}.png`, fullPage: true });
}
const texts = (p, selector) => p.$$eval(selector, (els) => els.map((e) => e.textContent.trim()));

before(async () => {
  if (skip) return;
  mkdirSync(OUT, { recursive: true });
  if (process.env.FLOWGATE_WWW_PREBUILT !== '1') {
    const r = spawnSync(process.execPath, ['www/build.mjs'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, `www/build.mjs failed:\n${r.stdout}\n${r.stderr}`);
    metrics.build = r.stdout.trim();
  }
  const { serve } = await import('../www/serve.mjs');
  server = await serve({ port: 0 });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch(LAUNCH);
  page = await newPage();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (!skip) writeFileSync(`${OUT}playground-metrics.json`, `${JSON.stringify(metrics, null, 2)}\n`);
});

test('loads the package and the sample snapshot; reports weight and time to first decision', { skip }, async (t) => {
  await page.goto(server.url);
  await ready(page);
  assert.match(await page.textContent('#snapshot-state'), /✓ valid\s+20 users/);
  assert.match(await page.inputValue('#snapshot'), /"default-authentication-flow"/);
  assert.match(await page.textContent('#version'), /^flowgate \d+\.\d+\.\d+/);

  const timings = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    return { ...window.flowgatePlayground.timings, domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd };
  });
  // Page weight: what this first load fetched (JS + Wasm; CSS apart), gzip -9 of the served files.
  const fetched = [...new Set(requests.map((r) => new URL(r.url).pathname))];
  const weigh = (filter) => fetched.filter(filter).reduce((sum, path) => {
    const body = readFileSync(`${root}www${path === '/' ? '/index.html' : path}`);
    return { raw: sum.raw + body.length, gzip: sum.gzip + gzipSync(body, { level: 9 }).length };
  }, { raw: 0, gzip: 0 });
  metrics.firstLoad = {
    files: fetched,
    js: weigh((p) => p.endsWith('.js')),
    wasm: weigh((p) => p.endsWith('.wasm')),
    css: weigh((p) => p.endsWith('.css')),
    timingsMs: timings,
  };
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  t.diagnostic(`first load: JS ${kb(metrics.firstLoad.js.gzip)} + wasm ${kb(metrics.firstLoad.wasm.gzip)} gzip`
    + ` (raw ${kb(metrics.firstLoad.js.raw)} + ${kb(metrics.firstLoad.wasm.raw)})`);
  t.diagnostic(`first decision ${timings.firstDecision.toFixed(0)} ms after navigation start (wasm ready at ${timings.wasmReady.toFixed(0)} ms,`
    + ` snapshot loaded in ${timings.engineMs.toFixed(1)} ms, first panel in ${timings.firstRenderMs.toFixed(1)} ms)`);
  assert.ok(timings.firstDecision > 0);
  await shot(page, '01-loaded');

  // The machine is shared: load twice more and report the median.
  const runs = [timings];
  for (let i = 0; i < 2; i++) {
    await page.goto(`${server.url}?run=${i}`);
    await ready(page);
    runs.push(await page.evaluate(() => window.flowgatePlayground.timings));
  }
  const median = (key) => runs.map((r) => r[key]).sort((a, b) => a - b)[1];
  metrics.medianMs = { firstDecision: median('firstDecision'), wasmReady: median('wasmReady'), engineMs: median('engineMs') };
  t.diagnostic(`median of 3 loads: first decision ${median('firstDecision').toFixed(0)} ms, wasm ready ${median('wasmReady').toFixed(0)} ms`);
});

test('picks a user: visible applications with launch URLs and entitlements', { skip }, async () => {
  await page.selectOption('#req-user', 'erin');
  await page.waitForFunction(() => document.querySelector('#apps-summary')?.textContent.startsWith('erin'));
  const notice = await page.$('#panel-apps .notice');
  assert.equal(notice, null, `the panel shows an error: ${await notice?.textContent()}`);
  // erin: backend (→ engineering → staff) and admins; from 10.1.2.3 (office network).
  const slugs = await page.$$eval('#apps-visible li.app', (els) => els.map((e) => e.dataset.slug));
  assert.deepEqual(slugs, ['admin-console', 'grafana', 'wiki'], 'visible applications, ordered by name');
  assert.equal(await page.getAttribute('#apps-visible li[data-slug="grafana"] a.launch', 'href'),
    'https://grafana.example.com/login?user=erin', 'launch URL formatted for the user');
  assert.deepEqual((await texts(page, '#apps-visible li[data-slug="grafana"] .chip')).sort(), ['grafana-admin', 'grafana-editor']);
  assert.deepEqual(await texts(page, '#apps-visible li[data-slug="wiki"] .chip'), []);
  const others = await page.$$eval('#apps-other li.app', (els) => els.map((e) => e.dataset.slug));
  assert.deepEqual(others, ['hr-portal', 'legacy-bridge', 'payroll']);
});

test('explains an application: checkAccess with the full trace', { skip }, async () => {
  await page.click('#app-open-hr-portal');
  await page.waitForSelector('#app-detail ol.trace');
  assert.match(await page.textContent('#app-detail .result-head'), /✗ fails/);
  const rows = await page.$$('#app-detail ol.trace > li');
  assert.equal(rows.length, 1);
  const row = await rows[0].textContent();
  assert.match(row, /hr-department-only/);
  assert.match(row, /✗ failed/);
  assert.match(row, /Only the HR department may open the HR portal\./, 'the policy message');
  const deciding = await rows[0].$('details.nodes li.deciding');
  assert.ok(deciding, 'a conditional policy shows its deciding node (trace[i].nodes)');
  assert.match(await deciding.textContent(), /user\.attributes = "engineering" · eq → ✗ false/);

  await page.click('#app-open-wiki');
  await page.waitForFunction(() => document.querySelector('#app-detail h3')?.textContent === 'Access to Wiki');
  assert.match(await page.textContent('#app-detail .result-head'), /✓ passes/);
  const wiki = await texts(page, '#app-detail ol.trace > li');
  assert.equal(wiki.length, 2, 'the group binding and the dry-run policy binding');
  assert.match(wiki[0], /contractors.*negated.*✓ passed/s);
  assert.equal((await page.$$('#app-detail ol.trace > li.dry')).length, 1);
  assert.match(wiki[1], /from-office-network.*dry run/s);
  assert.equal(await page.getAttribute('#app-open-wiki', 'aria-pressed'), 'true');
  await shot(page, '02-applications-trace');
});

test('plans a flow (kept and dropped stages, and why) and steps through it', { skip }, async () => {
  await page.click('#tab-flows');
  await page.selectOption('#req-user', 'carol'); // HR: no MFA, decided at plan time
  await page.selectOption('#flows-flow', 'default-authentication-flow');
  await page.selectOption('#flows-pending', 'user');
  await page.waitForFunction(() => /carol/.test(document.querySelector('#plan-summary')?.textContent));
  assert.match(await page.textContent('#plan-summary'), /✓ planned\s+3 of 4 stages kept for pending_user carol/);
  const dropped = await page.$$eval('#plan-stages tr.dropped', (els) => els.map((e) => e.dataset.index));
  assert.deepEqual(dropped, ['2'], 'the MFA stage is dropped at plan time');
  await page.click('#plan-stages tr.dropped details.why summary');
  const why = await page.textContent('#plan-stages tr.dropped details.why');
  assert.match(why, /mfa-for-admins-and-engineering/);
  assert.match(why, /✗ failed/);

  const step = async (button, expect) => {
    const before = (await page.$$('#run-log > li')).length;
    await page.click(button);
    await page.waitForFunction((n) => document.querySelectorAll('#run-log > li').length > n, before);
    const log = await texts(page, '#run-log > li');
    assert.match(log.at(-1), expect);
  };
  await step('#run-next', /next\(\) → stage “default-authentication-identification”/);
  assert.match(await page.textContent('#plan-stages tr[data-index="0"]'), /current/);
  await step('#run-invalid', /stageInvalid\(\) → retry: stage “default-authentication-identification”/);
  await step('#run-ok', /stageOk\(\) → “default-authentication-identification” completed; 2 stages left/);
  await step('#run-next', /→ stage “default-authentication-password”/);
  await step('#run-ok', /completed; 1 stage left/);
  await step('#run-next', /→ stage “default-authentication-login”/);
  await step('#run-ok', /completed; 0 stages left/);
  await step('#run-next', /next\(\) → done/);
  assert.equal(await page.isDisabled('#run-next'), true);
  assert.match(await page.textContent('#run-context'), /pending_user\s*"carol"/);
  await shot(page, '03-flow-run');

  // A pending user already authenticated by a backend: the password stage is dropped when reached.
  await page.click('#run-restart');
  await page.selectOption('#flows-pending', 'backend');
  await step('#run-next', /→ stage “default-authentication-identification”/);
  await step('#run-ok', /2 stages left/);
  await step('#run-next', /→ stage “default-authentication-login”; dropped “default-authentication-password” first/);

  // The enrollment flow writes the plan context (a conditional `set` action): watch it change.
  await page.selectOption('#flows-flow', 'default-enrollment-flow');
  await page.selectOption('#flows-pending', 'none');
  await page.waitForFunction(() => /enrollment/.test(document.querySelector('#plan-summary')?.textContent));
  assert.match(await page.textContent('#plan-summary'), /✓ planned\s+4 of 4 stages/);
  await step('#run-next', /→ stage “default-enrollment-prompt-first”/);
  await step('#run-ok', /3 stages left/);
  await step('#run-next', /→ stage “default-enrollment-prompt-second”/);
  await step('#run-ok', /2 stages left/);
  await step('#run-next', /→ stage “default-enrollment-user-write”/);
  assert.deepEqual(await texts(page, '#run-context dt.changed'), ['user_pathnew']);
  assert.match(await page.textContent('#run-context'), /"users\/self-enrolled"/);
  await shot(page, '04-flow-context');
});

test('diagram: Mermaid SVG with the dropped stages greyed', { skip }, async (t) => {
  const seen = requests.length;
  await page.click('#tab-diagram');
  await page.selectOption('#diagram-flow', 'default-authentication-flow');
  await page.waitForSelector('#diagram-svg svg', { timeout: 30_000 });
  // mermaid is loaded on first use: what the diagram adds to the page.
  const lazy = [...new Set(requests.slice(seen).map((r) => new URL(r.url).pathname))].filter((p) => p.endsWith('.js'));
  metrics.diagramChunks = lazy.reduce((sum, path) => {
    const body = readFileSync(`${root}www${path}`);
    return { files: sum.files + 1, raw: sum.raw + body.length, gzip: sum.gzip + gzipSync(body, { level: 9 }).length };
  }, { files: 0, raw: 0, gzip: 0 });
  t.diagnostic(`the diagram loads ${metrics.diagramChunks.files} mermaid chunks: ${(metrics.diagramChunks.gzip / 1024).toFixed(1)} KB gzip`
    + ` (raw ${(metrics.diagramChunks.raw / 1024).toFixed(1)} KB)`);
  await page.waitForFunction(() => document.querySelector('#diagram')?.getAttribute('aria-busy') === 'false');
  assert.match(await page.textContent('#diagram-source'), /^graph TD\n/);
  const nodes = await page.$$eval('#diagram-svg svg g.node', (els) => els.map((e) => ({ id: e.id, cls: e.getAttribute('class') })));
  const stage = (i) => nodes.find((n) => new RegExp(`-stage_${i}-`).test(n.id));
  assert.equal(nodes.filter((n) => /-stage_\d+-/.test(n.id)).length, 4, `four stage nodes in ${JSON.stringify(nodes)}`);
  assert.match(stage(2).cls, /\bdropped\b/, 'the MFA stage (dropped for carol) is greyed');
  for (const i of [0, 1, 3]) assert.doesNotMatch(stage(i).cls, /\bdropped\b/);
  assert.match(await page.textContent('#diagram-legend'), /1 stage dropped for carol/);
  await shot(page, '05-diagram');
});

test('an invalid binding shows its error at its path, while typing, without layout jumps', { skip }, async () => {
  await page.click('#tab-apps');
  const boxes = () => page.evaluate(() => ['#snapshot', '.results-card', '.request-card'].map((s) => {
    const r = document.querySelector(s).getBoundingClientRect();
    return [Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)];
  }));
  const layout = await boxes();
  await page.$eval('#snapshot', (ta) => {
    const at = ta.value.indexOf('"policy_bindings": [') + '"policy_bindings": ['.length;
    ta.focus();
    ta.setSelectionRange(at, at);
    ta.scrollTop = 0;
  });
  const bad = '{"target": "app:nope", "order": 0, "group": "missing-group"},';
  await page.keyboard.type(bad, { delay: 5 });
  await page.waitForSelector('#snapshot-error-list');
  const errors = await texts(page, '#snapshot-error-list li');
  assert.ok(errors.some((e) => /^policy_bindings\[0\]\.group\b.*missing-group/.test(e)), `errors: ${errors}`);
  assert.ok(errors.every((e) => /^policy_bindings\[0\]\./.test(e)), 'only the new binding is wrong');
  assert.match(await page.textContent('#snapshot-state'), /✗ \d+ errors?/);
  assert.equal(await page.getAttribute('#snapshot', 'aria-invalid'), 'true');
  assert.ok((await page.$$('#editor-marks mark')).length >= 1, 'the error is marked in the editor');
  assert.deepEqual(await boxes(), layout, 'editor, request and results did not move or resize');
  // The results keep showing the last valid snapshot.
  assert.match(await page.textContent('#apps-summary'), /^carol sees \d+ of 6 applications/);
  // Clicking the error selects the faulty value.
  await page.click('#snapshot-error-list button[data-path="policy_bindings[0].group"]');
  const selected = await page.$eval('#snapshot', (ta) => ta.value.slice(ta.selectionStart, ta.selectionEnd));
  assert.equal(selected, '"group": "missing-group"');
  await shot(page, '06-snapshot-error');

  // Shared while broken: the link reproduces the errors.
  await page.click('#copy-link');
  const brokenUrl = page.url();
  const other = await newPage();
  await other.goto(brokenUrl);
  await ready(other);
  assert.ok((await texts(other, '#snapshot-error-list li')).some((e) => e.startsWith('policy_bindings[0].group')));
  await other.close();

  // Remove the binding again: valid, no marks.
  await page.$eval('#snapshot', (ta, text) => {
    const at = ta.value.indexOf(text);
    ta.focus();
    ta.setSelectionRange(at, at + text.length);
  }, bad);
  await page.keyboard.press('Backspace');
  await page.waitForFunction(() => document.querySelector('#snapshot').getAttribute('aria-invalid') === 'false');
  assert.equal((await page.$$('#editor-marks mark')).length, 0);
});

test('reloads the same configuration from a shared URL, at laptop and phone widths', { skip }, async () => {
  await page.selectOption('#req-user', 'heidi');
  await page.fill('#req-country', 'NL');
  await page.fill('#req-context', '{"source": "playground-test"}');
  await page.click('#tab-apps');
  await page.waitForFunction(() => document.querySelector('#apps-summary')?.textContent.startsWith('heidi'));
  await page.click('#app-open-payroll');
  await page.waitForFunction(() => document.querySelector('#app-detail h3')?.textContent === 'Access to Payroll');
  await page.click('#copy-link');
  const url = page.url();
  assert.match(url, /#s=[^&]+&r=/);
  const snapshot = await page.inputValue('#snapshot');

  const shared = await newPage();
  await shared.goto(url);
  await ready(shared);
  assert.equal(await shared.inputValue('#snapshot'), snapshot);
  assert.equal(await shared.inputValue('#req-user'), 'heidi');
  assert.equal(await shared.inputValue('#req-country'), 'NL');
  assert.equal(await shared.inputValue('#req-context'), '{"source": "playground-test"}');
  assert.equal(await shared.getAttribute('#tab-apps', 'aria-selected'), 'true');
  assert.equal(await shared.textContent('#app-detail h3'), 'Access to Payroll');
  // heidi is in HR and comes from NL: payroll is open to her.
  assert.deepEqual(await shared.$$eval('#apps-visible li.app', (els) => els.map((e) => e.dataset.slug)),
    ['hr-portal', 'payroll', 'wiki']);
  await shot(shared, '07-shared-url');
  await shared.close();

  const phone = await newPage({ width: 390, height: 844 });
  await phone.goto(url);
  await ready(phone);
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling at phone width (overflow ${overflow}px)`);
  await shot(phone, '08-phone');
  // Keyboard: the tabs follow the arrow keys.
  await phone.focus('#tab-apps');
  await phone.keyboard.press('ArrowRight');
  assert.equal(await phone.evaluate(() => document.activeElement.id), 'tab-flows');
  assert.equal(await phone.isVisible('#panel-flows'), true);
  await phone.close();
});

test('loads a blueprint, downloads the snapshot, opens a snapshot file', { skip }, async () => {
  const blueprint = [
    'version: 1',
    'metadata: {name: playground test}',
    'entries:',
    '  - {model: authentik_core.group, id: testers, identifiers: {name: testers}}',
    '  - model: authentik_core.application',
    '    id: app',
    '    identifiers: {slug: test-app}',
    '    attrs: {name: Test App, meta_launch_url: "https://test.example.com/"}',
    '  - {model: authentik_policies.policybinding, identifiers: {order: 0, target: !KeyOf app, group: !KeyOf testers}}',
    '',
  ].join('\n');
  // The blueprint module is fetched when the first blueprint is opened, not with the page.
  const blueprintWasm = () => requests.filter((r) => r.url.endsWith('/flowgate-blueprint.wasm')).length;
  assert.equal(blueprintWasm(), 0);
  await page.setInputFiles('#open-blueprint', { name: 'test.yaml', mimeType: 'text/yaml', buffer: Buffer.from(blueprint) });
  await page.waitForFunction(() => /Converted test\.yaml/.test(document.querySelector('#status').textContent));
  assert.equal(blueprintWasm(), 1);
  assert.match(await page.textContent('#status'), /Converted test\.yaml with blueprintsToSnapshot\(\)/);
  assert.match(await page.textContent('#snapshot-state'), /✓ valid\s+0 users · 1 groups · 0 policies · 1 bindings/);
  assert.deepEqual(await page.$$eval('#apps-other li.app', (els) => els.map((e) => e.dataset.slug)), ['test-app']);

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  assert.equal(download.suggestedFilename(), 'flowgate-snapshot.json');
  assert.equal(readFileSync(await download.path(), 'utf8'), await page.inputValue('#snapshot'));

  const sample = readFileSync(`${root}examples/sample-snapshot.json`);
  await page.setInputFiles('#open-file', { name: 'sample.json', mimeType: 'application/json', buffer: sample });
  await page.waitForFunction(() => /Opened sample\.json/.test(document.querySelector('#status').textContent));
  assert.match(await page.textContent('#snapshot-state'), /✓ valid\s+20 users/);
  assert.equal(await page.inputValue('#snapshot'), sample.toString('utf8'));
});

test('no request leaves 127.0.0.1, and the page raised no errors', { skip }, () => {
  assert.ok(requests.length > 5);
  const outside = requests.filter((r) => !isLocal(r.url)).map((r) => r.url);
  assert.deepEqual(outside, []);
  assert.deepEqual(pageErrors, []);
  metrics.requests = requests.length;
});
