// Node (ES modules): the same synchronous build as the CommonJS entry.
import api from './index.cjs';
export const { Engine, FlowgateError, version, validateConditional, blueprintsToSnapshot } = api;
export default api;
