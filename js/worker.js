// Cloudflare Workers / workerd (conditions `workerd` and `worker`): code generation is not
// allowed there, so the Wasm comes in as a compiled WebAssembly.Module through a `.wasm` import
// (wrangler's default CompiledWasm rule) and is instantiated once per isolate, at import.
import * as glue from './flowgate_wasm.js';
import wasmModule from './flowgate_wasm_bg.wasm';
import { createApi } from './api.js';

glue.initSync({ module: wasmModule });
const api = createApi(glue);

export const { Engine, FlowgateError, validateConditional, blueprintsToSnapshot } = api;
export const version = api.version;

// Already loaded: these exist so that one piece of code (`await init()`) runs in every host.
export async function init() {}
export function initSync() {}
export default init;
