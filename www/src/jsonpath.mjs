// Maps the engine's error paths (`policy_bindings[3].group`) to character ranges in the editor
// text, so errors can be marked where they are. A small tolerant JSON scanner records where
// every value (and every object key) starts and ends; it never throws.

/** Splits `a.b[3].c` into ['a', 'b', 3, 'c']. */
export function splitPath(path) {
  const parts = [];
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  let m;
  while ((m = re.exec(path)) !== null) parts.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return parts;
}

/**
 * Scans `text` and returns a Map from path key (parts joined by \u0000) to
 * { start, end, keyStart?, keyEnd? } character offsets. Stops quietly at the first syntax error.
 */
export function scan(text) {
  const spans = new Map();
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\r\n'.includes(text[i])) i++; };
  const fail = () => { throw new Error('syntax'); };
  const string = () => {
    const start = i;
    i++; // opening quote
    let out = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        const c = text[i + 1];
        if (c === 'u') { out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16)); i += 6; continue; }
        out += { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' }[c] ?? c;
        i += 2;
        continue;
      }
      out += text[i++];
    }
    if (text[i] !== '"') fail();
    i++;
    return { value: out, start, end: i };
  };
  const value = (path) => {
    ws();
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') i++;
      else {
        for (;;) {
          ws();
          if (text[i] !== '"') fail();
          const key = string();
          ws();
          if (text[i] !== ':') fail();
          i++;
          const child = [...path, key.value];
          value(child);
          const span = spans.get(child.join('\u0000'));
          if (span) { span.keyStart = key.start; span.keyEnd = key.end; }
          ws();
          if (text[i] === ',') { i++; continue; }
          if (text[i] === '}') { i++; break; }
          fail();
        }
      }
    } else if (c === '[') {
      i++; ws();
      if (text[i] === ']') i++;
      else {
        for (let n = 0; ; n++) {
          value([...path, n]);
          ws();
          if (text[i] === ',') { i++; continue; }
          if (text[i] === ']') { i++; break; }
          fail();
        }
      }
    } else if (c === '"') {
      string();
    } else {
      const m = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
      if (!m) fail();
      i += m[0].length;
    }
    spans.set(path.join('\u0000'), { start, end: i });
  };
  try { value([]); } catch { /* partial map up to the syntax error */ }
  return spans;
}

/**
 * The range to mark for an error at `path`: the value (with its key) when it exists, otherwise the
 * first line of the nearest existing ancestor (e.g. the binding that lacks a required key).
 */
export function locate(text, path, spans = scan(text)) {
  const parts = splitPath(path);
  // Dotted attribute keys (`attributes.goauthentik.io/x`) split too far: rejoin greedily.
  for (let n = parts.length; n >= 0; n--) {
    const span = spans.get(parts.slice(0, n).join('\u0000')) ?? joinedSpan(spans, parts.slice(0, n));
    if (!span) continue;
    if (n === parts.length) return { start: span.keyStart ?? span.start, end: span.end, exact: true };
    const lineEnd = text.indexOf('\n', span.start);
    return { start: span.start, end: Math.min(span.end, lineEnd < 0 ? text.length : lineEnd), exact: false };
  }
  return null;
}

function joinedSpan(spans, parts) {
  for (let k = parts.length - 2; k >= 0; k--) {
    const tail = parts.slice(k);
    if (tail.some((p) => typeof p !== 'string')) break;
    const span = spans.get([...parts.slice(0, k), tail.join('.')].join('\u0000'));
    if (span) return span;
  }
  return undefined;
}

/** Offset → { line, column }, both 1-based. */
export function lineCol(text, offset) {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, column: offset - last };
}

/** serde_json's "… at line L column C" → offset in `text` (column 0 = start of the line). */
export function offsetOfLineCol(text, message) {
  const m = /line (\d+) column (\d+)/.exec(message);
  if (!m) return null;
  let offset = 0;
  for (let line = 1; line < Number(m[1]); line++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  return Math.min(text.length, offset + Math.max(0, Number(m[2]) - 1));
}
