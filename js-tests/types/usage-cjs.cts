// CommonJS TypeScript: `require('flowgate')` gets its types through the `require` types condition.
import flowgate = require('flowgate');

const engine = new flowgate.Engine({ users: [{ pk: 1, username: 'jane' }] });
const result: flowgate.PolicyResult = engine.evaluate('app:wiki', { user: 1 });
const code: flowgate.ErrorCode = new flowgate.FlowgateError('not_found', 'x').code;
const v: string = flowgate.version;
// @ts-expect-error filterUsers answers pks
const names: string[] = engine.filterUsers('app:wiki');
void [result, code, v, names];
