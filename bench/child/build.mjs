// Child process (fresh Wasm memory): builds the large snapshot (10k users, 1k groups, 20k
// bindings, 500 apps) and prints one JSON line: build times and Wasm memory.
import { largeSnapshot } from '../fixture.mjs';
import { loadFlowgate, measureRuns, wasmMemory } from '../lib.mjs';

const { api, raw } = loadFlowgate();
const snapshot = largeSnapshot();
const text = JSON.stringify(snapshot);
const memBefore = wasmMemory(raw);
const t0 = process.hrtime.bigint();
const engine = new api.Engine(text);
const firstMs = Number(process.hrtime.bigint() - t0) / 1e6;
const memAfter = wasmMemory(raw);
const stats = engine.stats;
engine.free();
const fromText = measureRuns(() => new api.Engine(text).free(), 5, 0);
const fromObject = measureRuns(() => new api.Engine(snapshot).free(), 3, 0);
const stringify = measureRuns(() => JSON.stringify(snapshot), 3, 0);
console.log(JSON.stringify({
  text_bytes: Buffer.byteLength(text), stats, first_build_ms: firstMs,
  from_text: fromText, from_object: fromObject, stringify,
  wasm_memory_before: memBefore, wasm_memory_after_first_build: memAfter,
  wasm_memory_after_all: wasmMemory(raw),
}));
