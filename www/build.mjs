#!/usr/bin/env node
// Builds the playground into www/dist/: the page's JS (esbuild; mermaid and lz-string bundled
// from node_modules, mermaid split into lazily loaded chunks), its CSS, the flowgate Wasm modules
// (the core, and the blueprint module fetched when a blueprint is opened) and the sample snapshot. Nothing is fetched from the network, at build time or at run time.
//
//   node www/build.mjs [--pkg <dir>]     (default: pkg/, or $FLOWGATE_PKG)
//
// flowgate comes from the built npm package's browser entry (<pkg>/browser.js, which wraps the
// shared facade js/api.cjs, and its .wasm modules): run scripts/build.sh first.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const www = dirname(fileURLToPath(import.meta.url));
const root = resolve(www, '..');
const dist = join(www, 'dist');
const args = process.argv.slice(2);
const pkgArg = args.includes('--pkg') ? args[args.indexOf('--pkg') + 1] : process.env.FLOWGATE_PKG;
const pkg = resolve(root, pkgArg ?? 'pkg');

function flowgateSource() {
  const entry = join(pkg, 'browser.js');
  const wasm = join(pkg, 'flowgate_wasm_bg.wasm');
  const blueprintWasm = join(pkg, 'flowgate_blueprint_bg.wasm');
  if (![entry, wasm, blueprintWasm].every(existsSync)) {
    throw new Error(`${relative(root, entry) || entry} or its .wasm modules are missing: build the package first (scripts/build.sh)`);
  }
  return { entry, wasm, blueprintWasm, from: relative(root, entry) };
}

const t0 = performance.now();
let source;
try {
  source = flowgateSource();
} catch (e) {
  console.error(`www/build.mjs: ${e.message}`);
  process.exit(1);
}
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { main: join(www, 'src/main.mjs'), 'main.css': join(www, 'src/style.css') },
  outdir: dist,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome111', 'firefox115', 'safari16.4'],
  minify: true,
  legalComments: 'linked',
  alias: { flowgate: source.entry },
  define: { 'process.env.NODE_ENV': '"production"' },
  metafile: true,
  logLevel: 'warning',
});
// esbuild names a CSS entry after its key: main.css.css → main.css.
const cssOut = join(dist, 'main.css.css');
if (existsSync(cssOut)) {
  writeFileSync(join(dist, 'main.css'), readFileSync(cssOut));
  rmSync(cssOut);
}
copyFileSync(source.wasm, join(dist, 'flowgate.wasm'));
copyFileSync(source.blueprintWasm, join(dist, 'flowgate-blueprint.wasm'));
copyFileSync(join(root, 'examples/sample-snapshot.json'), join(dist, 'sample-snapshot.json'));

// Sizes: what the first paint needs (page JS, CSS, Wasm) and what the diagram adds on demand.
const size = (file) => {
  const bytes = readFileSync(join(dist, file));
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};
const initial = ['main.js', 'main.css', 'flowgate.wasm'].map((f) => [f, size(f)]);
const chunks = Object.keys(result.metafile.outputs).filter((f) => f.includes('/chunks/') && f.endsWith('.js'));
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`www/dist built in ${((performance.now() - t0) / 1000).toFixed(1)} s; flowgate from ${source.from}`);
for (const [f, s] of initial) console.log(`  ${f.padEnd(15)} ${kb(s.raw).padStart(10)}  ${kb(s.gzip).padStart(9)} gzip`);
const chunkGzip = chunks.reduce((n, f) => n + gzipSync(readFileSync(join(root, f)), { level: 9 }).length, 0);
console.log(`  ${String(chunks.length).padStart(3)} lazy chunks (mermaid, loaded as needed): ${kb(chunkGzip)} gzip in all`);
console.log(`  flowgate-blueprint.wasm (loaded on the first blueprint): ${kb(size('flowgate-blueprint.wasm').gzip)} gzip`);
