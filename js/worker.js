// Cloudflare Workers / workerd (conditions `workerd` and `worker`): code generation is not
// allowed there, so the Wasm comes in as a compiled WebAssembly.Module through a `.wasm` import
// (wrangler's default CompiledWasm rule) and is instantiated once per isolate, at import.
// blueprintsToSnapshot needs the blueprint module (the core plus the importer), which a worker
// passes in only if it needs it (workers cannot fetch files beside the package):
//   import blueprintWasm from 'flowgate/blueprint.wasm'; initSync({ blueprint: blueprintWasm });
import * as coreGlue from './flowgate_wasm.js';
import * as blueprintGlue from './flowgate_blueprint.js';
import wasmModule from './flowgate_wasm_bg.wasm';
import { createApi } from './api.js';

coreGlue.initSync({ module: wasmModule });
let blueprintReady = false;
const HOW = "`import blueprintWasm from 'flowgate/blueprint.wasm'; initSync({ blueprint: blueprintWasm })`";
const api = createApi(() => coreGlue, () => {
  if (coreGlue.blueprintsToSnapshot) return coreGlue;
  if (blueprintReady) return blueprintGlue;
  throw new Error(`flowgate: blueprintsToSnapshot needs the blueprint module; in a worker, pass it once: ${HOW}`);
});

export const { Engine, FlowgateError, validateConditional, blueprintsToSnapshot } = api;
export const version = api.version;

/** The core is loaded at import; `{ blueprint }` (the blueprint module, compiled) adds the importer. */
export function initSync(input) {
  const blueprint = input !== null && typeof input === 'object' ? input.blueprint : undefined;
  if (blueprint === undefined || blueprint === false || blueprintReady) return;
  if (blueprint === true) {
    throw new Error(`flowgate: a worker cannot fetch the blueprint module; pass it: ${HOW}`);
  }
  blueprintGlue.initSync({ module: blueprint });
  blueprintReady = true;
}
// The same, so that one piece of code (`await init(…)`) runs in every host.
export async function init(input) { initSync(input); }
export default init;
