// Runs the shared conformance vectors (../shared/conformance/run.mjs) against the built
// package, for every file listed in conformance.list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const shared = join(root, '..', 'shared', 'conformance');
const list = readFileSync(join(here, 'conformance.list'), 'utf8')
  .split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const moduleEntry = process.env.FLOWGATE_MODULE ?? join(root, 'pkg', 'index.cjs');

test('conformance vectors pass', { skip: !existsSync(shared) && 'no ../shared/conformance' }, () => {
  const args = [join(shared, 'run.mjs'), '--module', moduleEntry];
  for (const f of list) args.push('--dir', join(shared, f));
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  const summary = r.stdout.trim().split('\n').pop();
  assert.match(summary, /^\d+ passed, 0 failed$/);
  assert.equal(r.status, 0);
});
