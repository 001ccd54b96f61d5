// The published artefact: `npm pack` the built package, install the tarball into a scratch
// project (offline: it has no dependencies) and use it the way users do, through the package
// name and its `exports` map. The conformance vectors run against this installed copy too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { conformanceFiles, pkgDir, pkgJson, scratch, sharedConformance } from './helpers.mjs';

const dir = scratch('pack');
const app = join(dir, 'app');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
const npm = (args, cwd) => run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd });

let packed;
test('npm pack ships exactly the listed files, each .wasm module once', (t) => {
  [packed] = JSON.parse(npm(['pack', pkgDir, '--pack-destination', dir, '--json'], dir));
  const files = packed.files.map((f) => f.path).sort();
  assert.deepEqual(files, [...pkgJson.files.filter((f) => f !== 'README.md' || files.includes(f)), 'package.json'].sort());
  assert.deepEqual(files.filter((f) => f.endsWith('.wasm')), ['flowgate_blueprint_bg.wasm', 'flowgate_wasm_bg.wasm']);
  t.diagnostic(`${packed.filename}: ${packed.files.length} files, tarball ${packed.size} B, unpacked ${packed.unpackedSize} B`);
});

test('the tarball installs offline and loads through the package name', () => {
  run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), '{ "private": true }\n');
  npm(['install', '--offline', join(dir, packed.filename)], app);
  const snapshot = JSON.stringify({
    users: [{ pk: 1, username: 'ann', groups: ['g1'] }], groups: [{ pk: 'g1', name: 'staff' }],
    applications: [{ pk: 'a1', slug: 'wiki', name: 'Wiki' }],
    policy_bindings: [{ target: 'a1', group: 'g1', order: 0 }],
  });
  const decide = `new Engine(${snapshot}).evaluate('app:wiki', { user: 'ann' }).passing`;
  const cjs = run(process.execPath, ['-e', `const { Engine, version } = require('flowgate');
    console.log(version, ${decide}, require.resolve('flowgate'))`], { cwd: app });
  assert.match(cjs, new RegExp(`^${pkgJson.version} true .*/node_modules/flowgate/index\\.cjs\\n$`));
  const esm = run(process.execPath, ['--input-type=module', '-e', `import init, { Engine, version } from 'flowgate';
    await init(); console.log(version, ${decide}, import.meta.resolve('flowgate'))`], { cwd: app });
  assert.match(esm, new RegExp(`^${pkgJson.version} true file://.*/node_modules/flowgate/index\\.mjs\\n$`));
  // The explicit web entry, loaded synchronously from the installed .wasm.
  const web = run(process.execPath, ['--input-type=module', '-e', `import { readFileSync } from 'node:fs';
    import { createRequire } from 'node:module';
    import { initSync, Engine } from 'flowgate/web';
    initSync({ module: readFileSync(createRequire(import.meta.url).resolve('flowgate/flowgate.wasm')) });
    console.log(${decide})`], { cwd: app });
  assert.equal(web, 'true\n');
  // Blueprint import from the installed package: Node loads the blueprint module on first use.
  const yaml = 'version: 1\nentries:\n  - model: authentik_core.user\n    identifiers: {username: bo}\n';
  const imported = run(process.execPath, ['-e', `const { blueprintsToSnapshot } = require('flowgate');
    console.log(blueprintsToSnapshot([${JSON.stringify(yaml)}]).snapshot.users[0].username)`], { cwd: app });
  assert.equal(imported, 'bo\n');
});

test('conformance vectors pass against the installed package',
  { skip: !existsSync(sharedConformance) && 'no ../shared/conformance' }, () => {
    // Resolved by name from the scratch project, as a user's require('flowgate') would.
    const entry = join(app, 'entry.cjs');
    writeFileSync(entry, "module.exports = require('flowgate');\n");
    const args = [join(sharedConformance, 'run.mjs'), '--module', entry];
    for (const f of conformanceFiles()) args.push('--dir', f);
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    const summary = r.stdout.trim().split('\n').pop();
    assert.match(summary, /^\d+ passed, 0 failed$/, r.stdout + r.stderr);
    assert.equal(r.status, 0);
    assert.ok(readFileSync(join(app, 'node_modules', 'flowgate', 'package.json'), 'utf8').includes(pkgJson.version));
  });
