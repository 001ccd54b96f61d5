// The hand-written declarations (js/index.d.ts) type-check and describe the API: `tsc --noEmit`
// (strict, skipLibCheck off, so the package's own .d.ts is checked too) compiles
// js-tests/types/usage.ts (ESM) and usage-cjs.cts (CommonJS) against the built package, resolved
// through its `exports` map, under Node's and bundlers' module resolution. Their @ts-expect-error
// lines must fail to compile; a separate wrong program must be rejected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { here, linkPackage, pkgDir, root, scratch } from './helpers.mjs';

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const dir = scratch('types');
linkPackage(dir);
writeFileSync(join(dir, 'package.json'), '{ "private": true, "type": "module" }\n');
for (const f of ['usage.ts', 'usage-cjs.cts']) copyFileSync(join(here, 'types', f), join(dir, f));

const base = { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', lib: ['ES2022', 'DOM'], types: [] };
function compile(name, compilerOptions, files) {
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ compilerOptions: { ...base, ...compilerOptions }, files }, null, 2));
  return spawnSync(process.execPath, [tsc, '-p', `${name}.json`], { cwd: dir, encoding: 'utf8' });
}

test('the declarations contain no `any`', () => {
  const dts = readFileSync(join(pkgDir, 'index.d.ts'), 'utf8')
    .replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '') // comments
    .replace(/'[^'\n]*'/g, "''"); // string literal types such as 'any' | 'all'
  assert.doesNotMatch(dts, /\bany\b/);
  assert.equal(readFileSync(join(pkgDir, 'index.d.cts'), 'utf8'), readFileSync(join(pkgDir, 'index.d.ts'), 'utf8'));
});

test('usage compiles under Node16/NodeNext resolution (import and require)', () => {
  const r = compile('tsconfig.node', { module: 'NodeNext', moduleResolution: 'NodeNext' }, ['usage.ts', 'usage-cjs.cts']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('usage compiles under bundler resolution', () => {
  const r = compile('tsconfig.bundler', { module: 'ESNext', moduleResolution: 'Bundler' }, ['usage.ts']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('a wrong call does not compile', () => {
  writeFileSync(join(dir, 'wrong.ts'), `import { Engine } from 'flowgate';
const engine = new Engine({});
const passing: boolean = engine.evaluate('app:x', { user: 1 }).passing;
engine.checkAccess(7);
export const x: string = passing;
`);
  const r = compile('tsconfig.wrong', { module: 'NodeNext', moduleResolution: 'NodeNext' }, ['wrong.ts']);
  assert.notEqual(r.status, 0);
  assert.match(r.stdout, /wrong\.ts\(4,20\): error TS2345: Argument of type 'number' is not assignable to parameter of type 'string'/);
  assert.match(r.stdout, /wrong\.ts\(5,14\): error TS2322: Type 'boolean' is not assignable to type 'string'/);
});
