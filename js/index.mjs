// Node, ES modules: the CommonJS build, so that `import` and `require` share one Wasm instance
// (one FlowgateError class, one memory).
import api from './index.cjs';

export const { Engine, FlowgateError, validateConditional, blueprintsToSnapshot, version, init, initSync } = api;
export default init;
