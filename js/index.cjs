'use strict';
// Node (CommonJS): the Wasm module is compiled synchronously when this file is required.
const { createApi } = require('./api.cjs');
module.exports = createApi(require('./flowgate_wasm.js'));
