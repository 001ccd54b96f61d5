// The package's Node entries and exports map: require and import resolve through `exports`
// to one synchronously loaded instance; the web entry works from a compiled module; every
// condition maps to a file that exists; one .wasm; the ES facade is derived from js/api.cjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { linkPackage, pkgDir, pkgJson, root, scratch } from './helpers.mjs';

const app = scratch('package');
linkPackage(app);
const requireFromApp = createRequire(join(app, 'index.js'));
const SNAPSHOT = { users: [{ pk: 1, username: 'ann' }], applications: [{ pk: 'a1', slug: 'wiki', name: 'Wiki' }] };

test('require and import resolve through `exports` to one ready instance', async () => {
  assert.equal(requireFromApp.resolve('flowgate'), join(pkgDir, 'index.cjs'));
  const cjs = requireFromApp('flowgate');
  const esm = await import(pathToFileURL(join(pkgDir, 'index.mjs')).href);
  for (const name of ['Engine', 'FlowgateError', 'validateConditional', 'blueprintsToSnapshot', 'init', 'initSync']) {
    assert.equal(typeof cjs[name], 'function', name);
    assert.equal(esm[name], cjs[name], `${name}: import and require share one instance`);
  }
  assert.equal(esm.default, esm.init);
  assert.equal(cjs.version, pkgJson.version);
  assert.equal(esm.version, pkgJson.version);
  // Already loaded: init() and initSync() are no-ops that let one piece of code run anywhere.
  assert.equal(await esm.init(), undefined);
  assert.equal(cjs.initSync(), undefined);
  assert.equal(new cjs.Engine(SNAPSHOT).evaluate('app:wiki', { user: 1 }).passing, true);
});

test('Node loads synchronously: no top-level await, works from a plain CommonJS script', () => {
  const r = spawnSync(process.execPath, ['-e', `const { Engine } = require('flowgate');
    process.stdout.write(String(new Engine(${JSON.stringify(SNAPSHOT)}).stats.users));`], { cwd: app, encoding: 'utf8' });
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, '1');
});

test('the web entry runs in Node from the package\'s .wasm (initSync with bytes or a Module)', async () => {
  const web = await import(pathToFileURL(join(pkgDir, 'browser.js')).href);
  assert.throws(() => new web.Engine(SNAPSHOT), /call `await init\(\)`/);
  assert.equal(web.version, undefined);
  const bytes = readFileSync(requireFromApp.resolve('flowgate/flowgate.wasm'));
  web.initSync({ module: new WebAssembly.Module(bytes) });
  web.initSync(bytes); // a second call is a no-op
  await web.init();
  assert.equal(web.version, pkgJson.version);
  const e = new web.Engine(SNAPSHOT);
  assert.deepEqual(e.evaluate('app:wiki', { user: 'ann' }), { passing: true, messages: [] });
  assert.throws(() => e.evaluate('app:none'), (err) => err instanceof web.FlowgateError && err.code === 'not_found');
});

test('every export target exists; each .wasm module is shipped once', () => {
  const targets = [];
  const walk = (v) => (typeof v === 'string' ? targets.push(v) : Object.values(v).forEach(walk));
  walk(pkgJson.exports);
  for (const t of [...targets, pkgJson.main, pkgJson.types, pkgJson.browser]) assert.ok(existsSync(join(pkgDir, t)), t);
  assert.deepEqual(Object.keys(pkgJson.exports['.']), ['types', 'workerd', 'worker', 'browser', 'node', 'default']);
  // Two modules (the core, and the core plus blueprint import), each once for every target.
  assert.deepEqual(readdirSync(pkgDir).filter((f) => f.endsWith('.wasm')).sort(),
    ['flowgate_blueprint_bg.wasm', 'flowgate_wasm_bg.wasm']);
  for (const name of ['flowgate_wasm', 'flowgate_blueprint']) {
    // Both glues of a module load the same file.
    assert.match(readFileSync(join(pkgDir, `${name}.cjs`), 'utf8'), new RegExp(`\\$\\{__dirname\\}/${name}_bg\\.wasm`));
    assert.match(readFileSync(join(pkgDir, `${name}.js`), 'utf8'), new RegExp(`new URL\\('${name}_bg\\.wasm', import\\.meta\\.url\\)`));
  }
  assert.match(readFileSync(join(pkgDir, 'worker.js'), 'utf8'), /from '\.\/flowgate_wasm_bg\.wasm'/);
  assert.equal(pkgJson.exports['./blueprint.wasm'], './flowgate_blueprint_bg.wasm');
});

test('the ES facade is js/api.cjs, and the version is the crate\'s', () => {
  const source = readFileSync(join(root, 'js', 'api.cjs'), 'utf8');
  const derived = readFileSync(join(pkgDir, 'api.js'), 'utf8');
  const body = (s) => s.replace(/^\/\/ Generated.*\n/, '').replace(/^'use strict';\n/, '')
    .replace(/module\.exports = \{ createApi \};|export \{ createApi \};/, 'EXPORT');
  assert.equal(body(derived), body(source), 'pkg/api.js is stale: rebuild (scripts/build.sh)');
  const cargo = readFileSync(join(root, 'Cargo.toml'), 'utf8').match(/^version = "(.+)"$/m)[1];
  assert.equal(pkgJson.version, cargo);
});
