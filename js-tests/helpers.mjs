// Shared by the packaging tests: where the built package is, scratch folders, linking the
// package into a scratch node_modules so that resolution goes through its `exports` map.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..');
/** The built package (scripts/build.sh); FLOWGATE_PKG points elsewhere (e.g. PKG_DIR builds). */
export const pkgDir = resolve(process.env.FLOWGATE_PKG ?? join(root, 'pkg'));
export const pkgJson = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
export const sharedConformance = join(root, '..', 'shared', 'conformance');

/** A fresh scratch folder js-tests/out/<name> (git-ignored; left behind for inspection). */
export function scratch(name) {
  const dir = join(here, 'out', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Makes `dir/node_modules/flowgate` a link to the built package; returns that node_modules. */
export function linkPackage(dir) {
  const modules = join(dir, 'node_modules');
  mkdirSync(modules, { recursive: true });
  symlinkSync(pkgDir, join(modules, 'flowgate'), 'dir');
  return modules;
}

/** Vector files CI runs (js-tests/conformance.list), as absolute paths. */
export function conformanceFiles() {
  return readFileSync(join(here, 'conformance.list'), 'utf8')
    .split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((f) => join(sharedConformance, f));
}

export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const haveChromium = existsSync(chromiumPath);

/** Launch flags that work headless as root, offline (toolchain.md §4b). */
export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Bundles examples/worker as wrangler does (esbuild; conditions workerd/worker/browser; the .wasm
 * kept as a module import, copied beside the bundle; JSON inlined) into `outDir`/dist, and
 * returns the Miniflare options that run it in workerd, plus the bundle's input files.
 */
export async function bundleWorker(outDir, bindings = {}) {
  const { build } = await import('esbuild');
  const example = join(root, 'examples', 'worker');
  const dist = join(outDir, 'dist');
  const result = await build({
    entryPoints: [join(example, 'src', 'index.js')], bundle: true, format: 'esm', platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'], mainFields: ['module', 'main'],
    nodePaths: [linkPackage(join(outDir, 'deps'))], outdir: dist,
    loader: { '.wasm': 'copy', '.json': 'json' }, metafile: true, logLevel: 'silent',
  });
  return {
    inputs: Object.keys(result.metafile.inputs).map((f) => resolve(f)),
    options: {
      modules: true, modulesRoot: dist, scriptPath: join(dist, 'index.js'),
      modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
      compatibilityDate: '2025-01-01', bindings,
    },
  };
}

/**
 * Runs `source`, an ES module worker that imports `./pkg/worker.js`, in workerd through
 * Miniflare, with the package files `files` of `fromDir` copied to `<dir>/pkg` and `.wasm`
 * imported as compiled modules (wrangler's default rules). Returns the ready Miniflare.
 */
export async function startWorker(dir, fromDir, files, source) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'pkg'), { recursive: true });
  for (const f of files) copyFileSync(join(fromDir, f), join(dir, 'pkg', f));
  writeFileSync(join(dir, 'index.mjs'), source);
  const { Miniflare } = await import('miniflare');
  const mf = new Miniflare({
    modules: true, modulesRoot: dir, scriptPath: join(dir, 'index.mjs'),
    modulesRules: [{ type: 'ESModule', include: ['**/*.js', '**/*.mjs'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2025-01-01',
  });
  await mf.ready;
  return mf;
}
