// Runs the shared conformance vectors (../shared/conformance/run.mjs) against the built
// package, for every file listed in conformance.list. FLOWGATE_MODULE picks another entry
// (pack.test.mjs runs the same list against the installed tarball).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { conformanceFiles, pkgDir, sharedConformance } from './helpers.mjs';

const moduleEntry = process.env.FLOWGATE_MODULE ?? join(pkgDir, 'index.cjs');

test('conformance vectors pass', { skip: !existsSync(sharedConformance) && 'no ../shared/conformance' }, () => {
  const args = [join(sharedConformance, 'run.mjs'), '--module', moduleEntry];
  for (const f of conformanceFiles()) args.push('--dir', f);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  const summary = r.stdout.trim().split('\n').pop();
  assert.match(summary, /^\d+ passed, 0 failed$/);
  assert.equal(r.status, 0);
});
