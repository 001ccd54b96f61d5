// blueprintsToSnapshot and the blueprint module. The core module has no blueprint importer (it
// keeps the core within its size budget); the blueprint module is the core plus the importer,
// loaded only when a host imports blueprints: Node loads it on the first call, the web entry
// with init/initSync({ blueprint }), workers with initSync({ blueprint: <compiled module> }).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pkgDir, pkgJson, scratch, startWorker } from './helpers.mjs';

const BLUEPRINT = `
version: 1
metadata: {name: Wiki access}
entries:
  - model: authentik_core.group
    id: staff
    identifiers: {name: staff}
  - model: authentik_core.user
    identifiers: {username: ann}
    attrs: {groups: [!KeyOf staff]}
  - model: authentik_core.application
    id: wiki
    identifiers: {slug: wiki}
    attrs: {name: Wiki}
  - model: authentik_policies.policybinding
    identifiers: {target: !KeyOf wiki, group: !KeyOf staff, order: 0}
  - model: authentik_core.brand
    identifiers: {domain: example.com}
`;
// A problem only the engine sees (the dummy policy's `result` must be a boolean): reported at
// the blueprint entry that wrote it.
const BROKEN = `
version: 1
entries:
  - model: authentik_policies_dummy.dummypolicy
    identifiers: {name: p}
    attrs: {result: maybe}
`;

/** Runs `code` in a fresh Node process (its own module instances), in the package folder. */
function node(code, type = 'commonjs') {
  const args = type === 'module' ? ['--input-type=module', '-e', code] : ['-e', code];
  const r = spawnSync(process.execPath, args, { cwd: pkgDir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function checkImport(out) {
  const { snapshot, warnings } = out;
  assert.deepEqual(snapshot.users.map((u) => u.username), ['ann']);
  assert.deepEqual(warnings.map((w) => [w.file, w.entry]), [[0, 4]]); // the brand: not evaluated
  assert.match(warnings[0].message, /brand/i);
}

describe('Node', () => {
  test('the core module has no importer; the first call loads the blueprint module', () => {
    const out = node(`
      const flowgate = require('./index.cjs');
      const loaded = () => Object.keys(require.cache).filter((f) => f.endsWith('flowgate_blueprint.cjs')).length;
      const before = [typeof require('./flowgate_wasm.cjs').blueprintsToSnapshot, loaded()];
      const { snapshot, warnings } = flowgate.blueprintsToSnapshot([${JSON.stringify(BLUEPRINT)}]);
      const passing = new flowgate.Engine(snapshot).checkAccess('wiki', { user: 'ann' }).passing;
      console.log(JSON.stringify({ before, after: loaded(), passing, snapshot, warnings }));`);
    const r = JSON.parse(out);
    assert.deepEqual(r.before, ['undefined', 0]);
    assert.equal(r.after, 1);
    assert.equal(r.passing, true);
    checkImport(r);
  });

  test('errors are FlowgateErrors with paths into the blueprints', async () => {
    const { blueprintsToSnapshot, FlowgateError } = await import(pathToFileURL(join(pkgDir, 'index.mjs')).href);
    assert.throws(() => blueprintsToSnapshot([BROKEN]), (e) => e instanceof FlowgateError
      && e.code === 'invalid_blueprint' && e.errors[0].path === 'file[0].entries[0].attrs.result');
    assert.throws(() => blueprintsToSnapshot(['version: 1\nentries: [{model: nope.nope}]']),
      (e) => e instanceof FlowgateError && e.code === 'invalid_blueprint');
    assert.throws(() => blueprintsToSnapshot([42]), (e) => e instanceof FlowgateError && e.code === 'invalid_request');
    checkImport(blueprintsToSnapshot(BLUEPRINT)); // one string is one blueprint
  });
});

describe('web entry (in Node, from the package files)', () => {
  const coreBytes = readFileSync(join(pkgDir, 'flowgate_wasm_bg.wasm'));
  const blueprintBytes = readFileSync(join(pkgDir, 'flowgate_blueprint_bg.wasm'));

  test('after the core alone, blueprintsToSnapshot says how to load the blueprint module', () => {
    const out = node(`
      import { readFileSync } from 'node:fs';
      import { initSync, Engine, blueprintsToSnapshot, version } from './browser.js';
      initSync(readFileSync('flowgate_wasm_bg.wasm'));
      let message;
      try { blueprintsToSnapshot([${JSON.stringify(BLUEPRINT)}]); } catch (e) { message = e.message; }
      const early = new Engine({ users: [{ pk: 1, username: 'ann' }] });
      initSync({ blueprint: readFileSync('flowgate_blueprint_bg.wasm') });
      const { snapshot } = blueprintsToSnapshot([${JSON.stringify(BLUEPRINT)}]);
      // The engine made before still works; new ones too.
      console.log(JSON.stringify({ message, version, early: early.stats.users,
        passing: new Engine(snapshot).checkAccess('wiki', { user: 'ann' }).passing }));`, 'module');
    const r = JSON.parse(out);
    assert.match(r.message, /blueprint module.*init\(\{ blueprint: true \}\)/);
    assert.deepEqual([r.version, r.early, r.passing], [pkgJson.version, 1, true]);
    assert.ok(coreBytes.length < blueprintBytes.length);
  });

  test('the blueprint module first: it serves everything, the core is never loaded', () => {
    const out = node(`
      import { readFileSync } from 'node:fs';
      import * as core from './flowgate_wasm.js';
      import { initSync, Engine, blueprintsToSnapshot, version } from './browser.js';
      initSync({ blueprint: new WebAssembly.Module(readFileSync('flowgate_blueprint_bg.wasm')) });
      const { snapshot, warnings } = blueprintsToSnapshot([${JSON.stringify(BLUEPRINT)}]);
      let coreLoaded = true;
      try { core.version(); } catch { coreLoaded = false; }
      console.log(JSON.stringify({ version, coreLoaded, snapshot, warnings,
        passing: new Engine(snapshot).checkAccess('wiki', { user: 'ann' }).passing }));`, 'module');
    const r = JSON.parse(out);
    assert.deepEqual([r.version, r.coreLoaded, r.passing], [pkgJson.version, false, true]);
    checkImport(r);
  });
});

describe('workerd', () => {
  let mf;
  before(async () => {
    // The package's worker entry, with the blueprint module imported the way the README shows.
    mf = await startWorker(scratch('blueprint-worker'), pkgDir, [...pkgJson.files, 'package.json'],
      `import { Engine, blueprintsToSnapshot, initSync } from './pkg/worker.js';
import blueprintWasm from './pkg/flowgate_blueprint_bg.wasm';
export default {
  async fetch(request) {
    const yaml = await request.text();
    let before;
    try { blueprintsToSnapshot([yaml]); } catch (e) { before = e.message; }
    initSync({ blueprint: blueprintWasm });
    const { snapshot, warnings } = blueprintsToSnapshot([yaml]);
    const passing = new Engine(snapshot).checkAccess('wiki', { user: 'ann' }).passing;
    return Response.json({ before, passing, snapshot, warnings });
  },
};
`);
  });
  after(() => mf?.dispose());

  test('initSync({ blueprint }) with the compiled module enables blueprintsToSnapshot', async () => {
    const res = await mf.dispatchFetch('http://worker.test/', { method: 'POST', body: BLUEPRINT });
    const r = await res.json();
    assert.equal(res.status, 200, JSON.stringify(r));
    assert.match(r.before, /import blueprintWasm from 'flowgate\/blueprint\.wasm'/);
    assert.equal(r.passing, true);
    checkImport(r);
  });
});
