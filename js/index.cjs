'use strict';
// Node, CommonJS (`require('flowgate')`; `import` goes through index.mjs to this same instance).
// wasm-bindgen's nodejs glue reads flowgate_wasm_bg.wasm beside it and compiles it synchronously
// (fs.readFileSync + new WebAssembly.Module): no top-level await, ready on return. It is the same
// .wasm file the browser and worker entries load. blueprintsToSnapshot runs in the blueprint
// module (the core plus the importer), compiled the same way on its first call.
const { createApi } = require('./api.cjs');

const core = require('./flowgate_wasm.cjs');
const api = createApi(() => core,
  () => (core.blueprintsToSnapshot ? core : require('./flowgate_blueprint.cjs')));

// Already loaded (the blueprint module loads itself when needed): these exist so that one piece
// of code (`await init()`, `await init({ blueprint: true })`) runs in every host.
async function init() {}
function initSync() {}

module.exports = {
  Engine: api.Engine,
  FlowgateError: api.FlowgateError,
  validateConditional: api.validateConditional,
  blueprintsToSnapshot: api.blueprintsToSnapshot,
  version: api.version,
  init,
  initSync,
  default: init,
};
