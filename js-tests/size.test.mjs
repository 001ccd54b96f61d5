// Size gate: the shipped .wasm modules must stay within the gzip budgets kept in
// ../size-budget.json: the core (every host) and the blueprint module (the core plus blueprint
// import, only for hosts that import blueprints). Also reports raw / gzip / brotli sizes and the
// package's unpacked size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { pkgDir, pkgJson, root } from './helpers.mjs';

const budget = JSON.parse(readFileSync(join(root, 'size-budget.json'), 'utf8'));
const wasm = readFileSync(join(pkgDir, 'flowgate_wasm_bg.wasm'));
const blueprintWasm = readFileSync(join(pkgDir, 'flowgate_blueprint_bg.wasm'));
const sizes = (bytes) => [bytes.length, gzipSync(bytes, { level: 9 }).length,
  brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length];

/** Names of the custom sections of a Wasm binary. */
function customSections(bytes) {
  const names = [];
  let i = 8; // magic + version
  const leb = () => { let n = 0, shift = 0, b; do { b = bytes[i++]; n += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80); return n; };
  while (i < bytes.length) {
    const id = bytes[i++];
    const size = leb();
    const end = i + size;
    if (id === 0) { const len = leb(); names.push(bytes.subarray(i, i + len).toString('utf8')); }
    i = end;
  }
  return names;
}

test(`the core .wasm is within the gzip budget (${budget.wasm_gzip_max_bytes} B)`, (t) => {
  const [raw, gzip, brotli] = sizes(wasm);
  const shipped = [...pkgJson.files, 'package.json'].filter((f) => existsSync(join(pkgDir, f)));
  const unpacked = shipped.reduce((n, f) => n + statSync(join(pkgDir, f)).size, 0);
  t.diagnostic(`flowgate_wasm_bg.wasm: raw ${raw} B, gzip -9 ${gzip} B, brotli q11 ${brotli} B ` +
    `(${(100 * gzip / budget.wasm_gzip_max_bytes).toFixed(0)} % of the budget); package unpacked ${unpacked} B`);
  assert.ok(gzip <= budget.wasm_gzip_max_bytes,
    `gzip size ${gzip} B exceeds the budget ${budget.wasm_gzip_max_bytes} B in size-budget.json`);
});

test(`the blueprint .wasm is within its gzip budget (${budget.blueprint_wasm_gzip_max_bytes} B)`, (t) => {
  const [raw, gzip, brotli] = sizes(blueprintWasm);
  t.diagnostic(`flowgate_blueprint_bg.wasm: raw ${raw} B, gzip -9 ${gzip} B, brotli q11 ${brotli} B ` +
    `(${(100 * gzip / budget.blueprint_wasm_gzip_max_bytes).toFixed(0)} % of the budget)`);
  assert.ok(gzip <= budget.blueprint_wasm_gzip_max_bytes,
    `gzip size ${gzip} B exceeds the budget ${budget.blueprint_wasm_gzip_max_bytes} B in size-budget.json`);
});

// CI ships what wasm-opt made (it drops the `name` section); local WASM_OPT=0 builds keep it.
test('the .wasm modules went through wasm-opt', { skip: !process.env.CI && 'only checked in CI (CI=true)' }, () => {
  for (const bytes of [wasm, blueprintWasm]) {
    assert.ok(!customSections(bytes).includes('name'), 'the name section is still there: was wasm-opt skipped (WASM_OPT=0)?');
  }
});
