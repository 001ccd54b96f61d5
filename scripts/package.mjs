// Assembles the npm package from wasm-bindgen's outputs and the hand-written files in js/:
//   node scripts/package.mjs <web glue dir> <nodejs glue dir> <package dir> \
//     [<blueprint web glue dir> <blueprint nodejs glue dir>]
// The core package has two modules: the core and the blueprint module (the core plus blueprint
// import, flowgate_blueprint*), loaded only by hosts that import blueprints. Without blueprint
// dirs (the python build, whose one module already imports blueprints) flowgate_blueprint.js/.cjs
// are re-exports of the main glue, so that the same entries work unchanged.
// One .wasm serves every entry: wasm-bindgen 0.2.130 emits byte-identical modules for --target
// web and --target nodejs (build.sh checks it), so the package ships the web glue (browsers,
// bundlers, workerd), the nodejs glue renamed .cjs (synchronous Node loading) and one .wasm.
// The facade has one source, js/api.cjs; its ES module copy api.js is derived here.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const [webDir, nodeDir, out, blueprintWebDir, blueprintNodeDir] = process.argv.slice(2);
if (!out || (blueprintWebDir && !blueprintNodeDir)) {
  console.error('usage: package.mjs <web glue dir> <nodejs glue dir> <package dir> [<blueprint web glue dir> <blueprint nodejs glue dir>]');
  process.exit(2);
}
const fail = (msg) => { console.error(`package.mjs: ${msg}`); process.exit(1); };
const js = (name) => join(root, 'js', name);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// Glue and Wasm, for the core module and the blueprint module.
const modules = [['flowgate_wasm', webDir, nodeDir]];
if (blueprintWebDir) modules.push(['flowgate_blueprint', blueprintWebDir, blueprintNodeDir]);
for (const [name, web, node] of modules) {
  const nodeGlue = readFileSync(join(node, `${name}.js`), 'utf8');
  if (!nodeGlue.includes(`\`\${__dirname}/${name}_bg.wasm\``)) {
    fail(`the nodejs glue no longer reads ${name}_bg.wasm beside itself: check the wasm-bindgen output`);
  }
  writeFileSync(join(out, `${name}.cjs`), nodeGlue);
  for (const f of [`${name}.js`, `${name}.d.ts`, `${name}_bg.wasm`]) copyFileSync(join(web, f), join(out, f));
}

if (!blueprintWebDir) {
  const note = '// This build\'s main module imports blueprints itself: the blueprint module is the main one.\n';
  writeFileSync(join(out, 'flowgate_blueprint.js'), `${note}export * from './flowgate_wasm.js';\nexport { default } from './flowgate_wasm.js';\n`);
  writeFileSync(join(out, 'flowgate_blueprint.cjs'), `${note}module.exports = require('./flowgate_wasm.cjs');\n`);
  writeFileSync(join(out, 'flowgate_blueprint.d.ts'), `${note}export * from './flowgate_wasm.js';\nexport { default } from './flowgate_wasm.js';\n`);
}

// The facade: CommonJS source and its derived ES module.
const api = readFileSync(js('api.cjs'), 'utf8');
const cjsExport = /^module\.exports = \{ createApi \};\n?$/m;
if (!cjsExport.test(api) || /\brequire\(/.test(api) || api.match(/module\.exports/g).length !== 1) {
  fail('js/api.cjs must end with `module.exports = { createApi };` and require nothing (it is copied as ESM)');
}
writeFileSync(join(out, 'api.cjs'), api);
writeFileSync(join(out, 'api.js'),
  `// Generated from api.cjs by scripts/package.mjs: edit js/api.cjs.\n${api.replace(/^'use strict';\n/, '').replace(cjsExport, 'export { createApi };\n')}`);

// Entries and types (index.d.cts: the same declarations, read as CommonJS by TypeScript).
for (const f of ['index.cjs', 'index.mjs', 'browser.js', 'worker.js', 'index.d.ts']) copyFileSync(js(f), join(out, f));
copyFileSync(js('index.d.ts'), join(out, 'index.d.cts'));
if (existsSync(join(root, 'README.md'))) copyFileSync(join(root, 'README.md'), join(out, 'README.md'));

// package.json: the template with the crate's version.
const cargo = readFileSync(join(root, 'Cargo.toml'), 'utf8');
const version = cargo.match(/^\[package\][^[]*?^version\s*=\s*"([^"]+)"/m)?.[1] ?? fail('no [package] version in Cargo.toml');
const pkg = JSON.parse(readFileSync(js('package.json'), 'utf8'));
pkg.version = version;
if (!blueprintWebDir) {
  pkg.files = pkg.files.filter((f) => f !== 'flowgate_blueprint_bg.wasm');
  pkg.exports['./blueprint.wasm'] = pkg.exports['./flowgate.wasm'];
}
writeFileSync(join(out, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);

// Everything listed is there, and nothing unlisted.
const present = new Set(readdirSync(out));
for (const f of pkg.files) if (!present.has(f) && f !== 'README.md') fail(`${f} is listed in "files" but was not produced`);
for (const f of present) if (f !== 'package.json' && !pkg.files.includes(f)) fail(`${f} was produced but is not listed in "files"`);
