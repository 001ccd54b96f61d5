// Tiny DOM helpers: the page builds its panels from plain elements (no framework).

/**
 * h('button', { class: 'x', onclick }, 'text', child) → element. Attributes starting with `on`
 * become listeners; `false`/`null`/`undefined` attributes and children are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the children of `el` (same rules as h(): arrays flattened, null/false skipped). */
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Calls `fn` once `ms` have passed without another call. */
export function debounce(fn, ms) {
  let timer = null;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; fn(...args); }, ms);
  };
  debounced.flush = (...args) => { clearTimeout(timer); timer = null; fn(...args); };
  /** Runs a pending call now (e.g. before sharing the state); nothing if none is pending. */
  debounced.settle = () => { if (timer !== null) debounced.flush(); };
  debounced.cancel = () => { clearTimeout(timer); timer = null; };
  return debounced;
}

/** A pass/fail badge with a text label (never colour alone). */
export function verdict(passing, yes = 'passes', no = 'fails') {
  return h('span', { class: `verdict ${passing ? 'pass' : 'fail'}` }, passing ? `✓ ${yes}` : `✗ ${no}`);
}

/** Renders an error thrown by the engine: its code, message and listed errors. */
export function errorNotice(err, what) {
  const code = err?.code;
  const pending = code === 'engine_error';
  return h('div', { class: `notice ${pending ? 'pending' : 'error'}`, role: 'note' },
    h('p', {},
      what ? h('strong', {}, `${what}: `) : null,
      code ? h('code', { class: 'code' }, code) : null, ' ',
      String(err?.message ?? err)),
    Array.isArray(err?.errors) && err.errors.length
      ? h('ul', {}, err.errors.slice(0, 20).map((e) => h('li', {}, h('code', {}, e.path || '(root)'), ` ${e.message}`)))
      : null,
    pending ? h('p', { class: 'hint' }, 'This part of the engine is not available in this build yet; the rest of the page keeps working.') : null);
}

/** `value` if it is an array, else [] (snapshot lists may be absent or, while broken, anything). */
export function list(value) {
  return Array.isArray(value) ? value : [];
}

export function json(value) {
  return JSON.stringify(value, null, 2);
}
