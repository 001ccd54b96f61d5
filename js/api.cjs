'use strict';
// The public JS API, built over the raw wasm-bindgen exports of any target. It only adapts:
// strings in, FlowgateError out, argument checks that wasm-bindgen cannot express.
// This file is the single source of the facade: the build derives the ES module copy (api.js)
// that the browser and worker entries import, so every entry shares this code.

/**
 * @param wasm returns the wasm-bindgen glue that new Engines run on (any target; browsers pass a
 *   function that throws a clear Error before `init()`, instead of a TypeError deep in the glue).
 * @param blueprintWasm returns a glue that has `blueprintsToSnapshot`: the core module has not,
 *   the blueprint module (the core plus the importer) and the python build have; entries load it
 *   on demand where they can and otherwise throw a clear Error (docs/packaging.md).
 */
function createApi(wasm, blueprintWasm = wasm) {
  class FlowgateError extends Error {
    constructor(code, message, errors) {
      super(message);
      this.name = 'FlowgateError';
      this.code = code;
      if (errors !== undefined && errors !== null) this.errors = errors;
    }
  }

  function rethrow(e) {
    if (e instanceof FlowgateError) throw e;
    if (e && typeof e === 'object' && !(e instanceof Error) && typeof e.code === 'string') {
      throw new FlowgateError(e.code, String(e.message), e.errors);
    }
    if (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError) {
      // A trap is always a bug (spec §4 engine_error); the handle may be unusable after it.
      throw new FlowgateError('engine_error', `internal error: ${e.message}`);
    }
    throw e;
  }

  function str(value, name) {
    if (typeof value !== 'string') {
      throw new FlowgateError('invalid_request', `${name} must be a string, got ${value === null ? 'null' : typeof value}`,
        [{ path: name, message: 'expected a string' }]);
    }
    return value;
  }

  function snapshotText(snapshot) {
    if (typeof snapshot === 'string') return snapshot;
    if (snapshot instanceof Uint8Array) return new TextDecoder().decode(snapshot);
    if (snapshot === null || typeof snapshot !== 'object') {
      throw new FlowgateError('invalid_snapshot', 'the snapshot must be an object or JSON text',
        [{ path: '', message: 'expected an object' }]);
    }
    try {
      return JSON.stringify(snapshot);
    } catch (e) {
      if (e instanceof RangeError) {
        // JSON.stringify ran out of stack: far deeper than any max_depth the engine accepts.
        const detail = 'the snapshot object is nested too deeply to serialise';
        throw new FlowgateError('limit_exceeded', `limit 'max_depth' exceeded: ${detail}`,
          [{ path: 'max_depth', message: detail }]);
      }
      throw new FlowgateError('invalid_snapshot', `the snapshot cannot be serialised: ${e.message}`,
        [{ path: '', message: String(e.message) }]);
    }
  }

  // src/limits.rs `Limits::default().max_snapshot_bytes`: the Rust check comes after the text
  // has been copied into Wasm memory, which never shrinks; this one comes before.
  const DEFAULT_MAX_SNAPSHOT_BYTES = 32 * 1024 * 1024;
  const hasOwn = Object.prototype.hasOwnProperty;

  /** The snapshot byte limit the engine will apply, or undefined when the override is not a
   *  valid number (the engine then reports the bad option itself). */
  function maxSnapshotBytes(options) {
    const limits = options !== null && typeof options === 'object' ? options.limits : undefined;
    if (limits === undefined || limits === null) return DEFAULT_MAX_SNAPSHOT_BYTES;
    if (typeof limits !== 'object') return undefined;
    const given = hasOwn.call(limits, 'max_snapshot_bytes') ? limits.max_snapshot_bytes
      : hasOwn.call(limits, 'maxSnapshotBytes') ? limits.maxSnapshotBytes : DEFAULT_MAX_SNAPSHOT_BYTES;
    return Number.isSafeInteger(given) && given >= 0 ? given : undefined;
  }

  /** Refuses a snapshot that is over the byte limit before it crosses into Wasm. A string's
   *  UTF-8 length is at least its UTF-16 length, so `length > limit` never refuses one that fits. */
  function checkSnapshotSize(size, options, exact) {
    const limit = maxSnapshotBytes(options);
    if (limit === undefined || size <= limit) return;
    const detail = `the snapshot is ${exact ? '' : 'at least '}${size} bytes, the limit is ${limit}`;
    throw new FlowgateError('limit_exceeded', `limit 'max_snapshot_bytes' exceeded: ${detail}`,
      [{ path: 'max_snapshot_bytes', message: detail }]);
  }

  class Engine {
    #inner;

    constructor(snapshot, options) {
      const WasmEngine = wasm().WasmEngine;
      if (snapshot instanceof Uint8Array) checkSnapshotSize(snapshot.length, options, true);
      const text = snapshotText(snapshot);
      checkSnapshotSize(text.length, options, false);
      try {
        this.#inner = new WasmEngine(text, options);
      } catch (e) {
        rethrow(e);
      }
    }

    /** Builds an Engine from the UTF-8 bytes of a JSON snapshot. */
    static fromBytes(bytes, options) {
      if (!(bytes instanceof Uint8Array)) throw new FlowgateError('invalid_snapshot', 'fromBytes expects a Uint8Array');
      return new Engine(bytes, options);
    }

    #handle() {
      if (!this.#inner) throw new FlowgateError('invalid_request', 'this Engine has been freed');
      return this.#inner;
    }

    get stats() {
      try { return this.#handle().stats; } catch (e) { rethrow(e); }
    }

    /** Releases the Wasm memory of this engine; later calls throw FlowgateError. */
    free() {
      if (this.#inner) {
        this.#inner.free();
        this.#inner = undefined;
      }
    }

    evaluate(target, request, options) {
      try { return this.#handle().evaluate(str(target, 'target'), request, options); } catch (e) { rethrow(e); }
    }

    evaluateMany(target, requests) {
      try { return this.#handle().evaluateMany(str(target, 'target'), requests); } catch (e) { rethrow(e); }
    }

    filterUsers(target, users, request) {
      try { return this.#handle().filterUsers(str(target, 'target'), users, request); } catch (e) { rethrow(e); }
    }

    testPolicy(policy, request, options) {
      try { return this.#handle().testPolicy(str(policy, 'policy'), request, options); } catch (e) { rethrow(e); }
    }

    checkAccess(appSlug, request, options) {
      try { return this.#handle().checkAccess(str(appSlug, 'appSlug'), request, options); } catch (e) { rethrow(e); }
    }

    applications(request, options) {
      try { return this.#handle().applications(request, options); } catch (e) { rethrow(e); }
    }

    entitlements(appSlug, request) {
      try { return this.#handle().entitlements(str(appSlug, 'appSlug'), request); } catch (e) { rethrow(e); }
    }

    plan(flowSlug, request, options) {
      try { return this.#handle().plan(str(flowSlug, 'flowSlug'), request, options); } catch (e) { rethrow(e); }
    }

    next(plan, request) {
      try { return this.#handle().next(plan, request); } catch (e) { rethrow(e); }
    }

    stageOk(plan) {
      try { return this.#handle().stageOk(plan); } catch (e) { rethrow(e); }
    }

    stageInvalid(plan, request) {
      try { return this.#handle().stageInvalid(plan, request); } catch (e) { rethrow(e); }
    }

    diagram(flowSlug, request) {
      try { return this.#handle().diagram(str(flowSlug, 'flowSlug'), request); } catch (e) { rethrow(e); }
    }

    signPlan(plan, key) {
      try { return this.#handle().signPlan(plan, keyBytes(key)); } catch (e) { rethrow(e); }
    }

    verifyPlan(plan, key) {
      try { return this.#handle().verifyPlan(plan, keyBytes(key)); } catch (e) { rethrow(e); }
    }
  }

  function keyBytes(key) {
    if (typeof key === 'string') return new TextEncoder().encode(key);
    if (key instanceof Uint8Array) return key;
    throw new FlowgateError('invalid_request', 'the key must be a string or a Uint8Array', [{ path: 'key', message: 'expected a string or Uint8Array' }]);
  }

  function validateConditional(actions) {
    try { return wasm().validateConditional(actions); } catch (e) { rethrow(e); }
  }

  function blueprintsToSnapshot(yaml, options) {
    const texts = typeof yaml === 'string' ? [yaml] : yaml;
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
      throw new FlowgateError('invalid_request', 'blueprintsToSnapshot expects an array of YAML strings',
        [{ path: 'yaml', message: 'expected an array of strings' }]);
    }
    const glue = blueprintWasm();
    try { return glue.blueprintsToSnapshot(texts, options); } catch (e) { rethrow(e); }
  }

  let version;
  return {
    Engine, FlowgateError, validateConditional, blueprintsToSnapshot,
    /** The crate version, read from the Wasm module once it is loaded. */
    get version() {
      if (version === undefined) version = wasm().version();
      return version;
    },
  };
}

module.exports = { createApi };
