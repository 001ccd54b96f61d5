// Browsers and bundlers (also the `default` condition): wasm-bindgen's web glue. The Wasm is
// fetched and compiled asynchronously, so call `await init()` once before anything else, or
// `initSync({ module })` with a compiled WebAssembly.Module or the file's bytes.
//
// Two modules: the core (flowgate_wasm_bg.wasm) and the blueprint module (the core plus
// blueprint import, flowgate_blueprint_bg.wasm). `await init({ blueprint: true })` loads the
// blueprint module *instead of* the core when it comes first (one download, everything runs in
// it), or in addition when the core is already loaded (then only blueprintsToSnapshot uses it).
import loadCore, * as coreGlue from './flowgate_wasm.js';
import loadBlueprint, * as blueprintGlue from './flowgate_blueprint.js';
import { createApi } from './api.js';

/** The glue new Engines run on: set by the first init. */
let engineGlue;
let blueprintReady = false;

const api = createApi(() => {
  if (engineGlue === undefined) {
    throw new Error('flowgate is not initialised: call `await init()` (or `initSync({ module })`) first');
  }
  return engineGlue;
}, () => {
  if (engineGlue?.blueprintsToSnapshot) return engineGlue;
  if (blueprintReady) return blueprintGlue;
  throw new Error('flowgate: blueprintsToSnapshot needs the blueprint module: load it with '
    + '`await init({ blueprint: true })` (or `initSync({ blueprint: <its module or bytes> })`)');
});

export const { Engine, FlowgateError, validateConditional, blueprintsToSnapshot } = api;
/** Set by init()/initSync() (a live binding: importers see it once loaded). */
export let version;

function loaded(glue) {
  engineGlue ??= glue;
  if (glue === blueprintGlue) blueprintReady = true;
  version = api.version;
}

const wanted = (v) => v !== undefined && v !== false;

/**
 * Loads the Wasm. `input`: where the core module is (a URL, default flowgate_wasm_bg.wasm beside
 * this file, resolved from import.meta.url; a Response; bytes; a WebAssembly.Module), or
 * `{ module_or_path?, blueprint? }` with `blueprint: true` (the blueprint module beside this
 * file) or where the blueprint module is. Safe to call again, e.g. to add the blueprint module.
 */
export default async function init(input) {
  const options = isOptionsObject(input, 'module_or_path', 'blueprint') ? input : { module_or_path: input };
  const jobs = [];
  if (wanted(options.blueprint) && !blueprintReady) {
    const arg = options.blueprint === true ? undefined : { module_or_path: options.blueprint };
    jobs.push(loadBlueprint(arg).then(() => loaded(blueprintGlue)));
  } else if (engineGlue === undefined) {
    const arg = options.module_or_path === undefined ? undefined : { module_or_path: options.module_or_path };
    jobs.push(loadCore(arg).then(() => loaded(coreGlue)));
  }
  await Promise.all(jobs);
}

/**
 * Loads the Wasm synchronously: the core module (a WebAssembly.Module or the file's bytes), or
 * `{ module?, blueprint? }` where `blueprint` is the blueprint module (it then serves everything
 * when it comes first, as in init()).
 */
export function initSync(input) {
  const options = isOptionsObject(input, 'module', 'blueprint') ? input : { module: input };
  if (wanted(options.blueprint) && !blueprintReady) {
    blueprintGlue.initSync({ module: options.blueprint });
    loaded(blueprintGlue);
  } else if (engineGlue === undefined && options.module !== undefined) {
    coreGlue.initSync({ module: options.module });
    loaded(coreGlue);
  }
}

function isOptionsObject(v, ...keys) {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype
    && keys.some((key) => key in v);
}

export { init };
