// Browsers: headless Debian Chromium (playwright-core, no browser download) loads the package
// from a local static server, (1) as plain ES modules through an import map, `await init()`
// fetching the .wasm beside the glue, and (2) bundled by esbuild from `import 'flowgate'` (the
// `browser` condition; the .wasm as an asset URL passed to init()).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';
import { build } from 'esbuild';
import { chromiumArgs, chromiumPath, haveChromium, linkPackage, pkgDir, pkgJson, scratch } from './helpers.mjs';

const skip = !haveChromium && `no Chromium at ${chromiumPath} (scripts/setup.sh installs it)`;
const SNAPSHOT = {
  users: [{ pk: 1, username: 'ann', groups: ['g1'] }, { pk: 2, username: 'bob' }],
  groups: [{ pk: 'g1', name: 'staff' }],
  applications: [{ pk: 'a1', slug: 'wiki', name: 'Wiki' }],
  policy_bindings: [{ target: 'a1', group: 'g1', order: 0 }],
};
// Runs in the page: the decisions every variant must give.
const PROBE = `
  const engine = new Engine(${JSON.stringify(SNAPSHOT)});
  let error;
  try { engine.evaluate('app:nope', {}); } catch (e) { error = { flowgate: e instanceof FlowgateError, code: e.code }; }
  window.__result = { version, ann: engine.evaluate('app:wiki', { user: 'ann' }), bob: engine.evaluate('app:wiki', { user: 2 }).passing, error };`;
const EXPECTED = { version: pkgJson.version, ann: { passing: true, messages: [] }, bob: false, error: { flowgate: true, code: 'not_found' } };

const www = scratch('browser');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
// /pkg/… is the built package, anything else the scratch folder.
const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
  const file = path.startsWith('/pkg/') ? join(pkgDir, path.slice(5)) : join(www, path);
  if (path.includes('..') || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
});
let browser, base;

before(async () => {
  if (skip) return;
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${server.address().port}`;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
});
after(async () => {
  await browser?.close();
  server.close();
});

async function load(url) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
  await page.goto(url);
  await page.waitForFunction(() => window.__result !== undefined || window.__error !== undefined, null, { timeout: 20000 });
  const error = await page.evaluate(() => window.__error);
  assert.equal(error, undefined);
  return { page, problems };
}

const html = (script) => `<!doctype html><meta charset="utf-8"><title>flowgate</title><link rel="icon" href="data:,">
<script type="importmap">{ "imports": { "flowgate": "/pkg/browser.js" } }</script>
<script type="module">
window.addEventListener('error', (e) => { window.__error = String(e.message); });
window.addEventListener('unhandledrejection', (e) => { window.__error = String(e.reason); });
${script}
</script>`;

test('plain ES modules: import map + await init()', { skip }, async () => {
  writeFileSync(join(www, 'esm.html'), html(`import init, { Engine, FlowgateError, version } from 'flowgate';
    await init();
    ${PROBE}`));
  const { page, problems } = await load(`${base}/esm.html`);
  assert.deepEqual(await page.evaluate(() => window.__result), EXPECTED);
  // Later calls from outside the page's module: the same loaded module, no second fetch.
  const again = await page.evaluate(async () => {
    const { default: init, Engine } = await import('flowgate');
    await init();
    return new Engine({ users: [{ pk: 7, username: 'x' }] }).stats.users;
  });
  assert.equal(again, 1);
  assert.deepEqual(problems, []);
  await page.close();
});

test('calling the API before init() fails clearly', { skip }, async () => {
  writeFileSync(join(www, 'early.html'), html(`import { Engine } from 'flowgate';
    try { new Engine({}); window.__result = 'no error'; } catch (e) { window.__result = e.message; }`));
  const { page } = await load(`${base}/early.html`);
  assert.match(await page.evaluate(() => window.__result), /call `await init\(\)`/);
  await page.close();
});

test('esbuild bundle of `import "flowgate"` runs in Chromium', { skip }, async (t) => {
  const src = join(www, 'src');
  linkPackage(src);
  writeFileSync(join(src, 'app.js'), `import init, { Engine, FlowgateError, version } from 'flowgate';
import wasmUrl from 'flowgate/flowgate.wasm';
try {
  await init(new URL(wasmUrl, import.meta.url));
  ${PROBE}
} catch (e) { window.__error = String(e); }
`);
  const result = await build({
    entryPoints: [join(src, 'app.js')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    outdir: join(www, 'bundle'), loader: { '.wasm': 'file' }, minify: true, metafile: true, logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs).map((f) => resolve(f));
  assert.ok(inputs.includes(join(pkgDir, 'browser.js')), inputs.join(', '));
  assert.ok(!inputs.some((f) => f.endsWith('.cjs')), `Node files in the browser bundle: ${inputs.join(', ')}`);
  const out = Object.entries(result.metafile.outputs);
  const js = out.find(([f]) => f.endsWith('app.js'));
  t.diagnostic(`bundle: app.js ${js[1].bytes} B (${inputs.length} inputs) + ${out.filter(([f]) => f.endsWith('.wasm')).map(([f, o]) => `${f.split('/').pop()} ${o.bytes} B`)}`);
  writeFileSync(join(www, 'bundle.html'), html('').replace(/<script type="importmap">.*<\/script>/, '') +
    '<script type="module" src="/bundle/app.js"></script>');
  const { page, problems } = await load(`${base}/bundle.html`);
  assert.deepEqual(await page.evaluate(() => window.__result), EXPECTED);
  assert.deepEqual(problems, []);
  await page.close();
  assert.equal(readFileSync(join(www, 'bundle', out.find(([f]) => f.endsWith('.wasm'))[0].split('/').pop())).length,
    statSync(join(pkgDir, 'flowgate_wasm_bg.wasm')).size);
});

// Blueprint import needs the blueprint module (the core plus the importer): a page that does not
// import blueprints never fetches it; one that asks first fetches only it.
const BLUEPRINT_YAML = 'version: 1\nentries:\n  - model: authentik_core.user\n    identifiers: {username: ann}\n';
async function loadCounting(url) {
  const page = await browser.newPage();
  const wasm = [];
  page.on('request', (r) => { if (r.url().endsWith('.wasm')) wasm.push(r.url().split('/').pop()); });
  await page.goto(url);
  await page.waitForFunction(() => window.__result !== undefined || window.__error !== undefined, null, { timeout: 20000 });
  assert.equal(await page.evaluate(() => window.__error), undefined);
  return { page, wasm, result: await page.evaluate(() => window.__result) };
}

test('init({ blueprint: true }) first: the blueprint module alone serves everything', { skip }, async () => {
  writeFileSync(join(www, 'blueprint-first.html'), html(`import init, { Engine, FlowgateError, version, blueprintsToSnapshot } from 'flowgate';
    await init({ blueprint: true });
    const imported = blueprintsToSnapshot(${JSON.stringify(BLUEPRINT_YAML)}).snapshot.users.map((u) => u.username);
    ${PROBE}
    window.__result.imported = imported;`));
  const { page, wasm, result } = await loadCounting(`${base}/blueprint-first.html`);
  assert.deepEqual(result, { ...EXPECTED, imported: ['ann'] });
  assert.deepEqual(wasm, ['flowgate_blueprint_bg.wasm']);
  await page.close();
});

test('after init(), blueprintsToSnapshot asks for the blueprint module; init({ blueprint: true }) adds it', { skip }, async () => {
  writeFileSync(join(www, 'blueprint-later.html'), html(`import init, { Engine, blueprintsToSnapshot } from 'flowgate';
    await init();
    const engine = new Engine({ users: [{ pk: 1, username: 'x' }] });
    let before;
    try { blueprintsToSnapshot(${JSON.stringify(BLUEPRINT_YAML)}); } catch (e) { before = e.message; }
    await init({ blueprint: true });
    const after = blueprintsToSnapshot(${JSON.stringify(BLUEPRINT_YAML)}).snapshot.users[0].username;
    window.__result = { before, after, users: engine.stats.users };`));
  const { page, wasm, result } = await loadCounting(`${base}/blueprint-later.html`);
  assert.match(result.before, /needs the blueprint module.*await init\(\{ blueprint: true \}\)/);
  assert.deepEqual([result.after, result.users], ['ann', 1]);
  assert.deepEqual(wasm, ['flowgate_wasm_bg.wasm', 'flowgate_blueprint_bg.wasm']);
  await page.close();
});
