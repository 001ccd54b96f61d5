// Browsers and bundlers (also the `default` condition): wasm-bindgen's web glue. The Wasm is
// fetched and compiled asynchronously, so call `await init()` once before anything else, or
// `initSync({ module })` with a compiled WebAssembly.Module or the file's bytes.
import loadWasm, * as glue from './flowgate_wasm.js';
import { createApi } from './api.js';

let ready = false;
const api = createApi(glue, () => ready);

export const { Engine, FlowgateError, validateConditional, blueprintsToSnapshot } = api;
/** Set by init()/initSync() (a live binding: importers see it once loaded). */
export let version;

function loaded() {
  ready = true;
  version = api.version;
}

/**
 * Loads the Wasm. `input` is where to find it: a URL (default: flowgate_wasm_bg.wasm beside this
 * package's files, resolved from import.meta.url), a Response, bytes or a WebAssembly.Module.
 */
export default async function init(input) {
  if (ready) return;
  const arg = input === undefined || isOptionsObject(input, 'module_or_path') ? input : { module_or_path: input };
  await loadWasm(arg);
  loaded();
}

/** Loads the Wasm synchronously from `{ module }`: a WebAssembly.Module or the file's bytes. */
export function initSync(input) {
  if (ready) return;
  glue.initSync(isOptionsObject(input, 'module') ? input : { module: input });
  loaded();
}

function isOptionsObject(v, key) {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && key in v;
}

export { init };
