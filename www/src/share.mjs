// Shareable state: the snapshot and the request settings live in the URL fragment, compressed
// with lz-string (`#s=<snapshot>&r=<settings>`). The fragment never reaches a server.
import LZString from 'lz-string';

export function encodeState({ snapshot, settings }) {
  const parts = [];
  if (snapshot !== undefined) parts.push(`s=${LZString.compressToEncodedURIComponent(snapshot)}`);
  if (settings !== undefined) parts.push(`r=${LZString.compressToEncodedURIComponent(JSON.stringify(settings))}`);
  return `#${parts.join('&')}`;
}

/** Returns { snapshot?, settings? } from a fragment; broken parts are ignored (and reported). */
export function decodeState(hash) {
  const out = { problems: [] };
  // Not URLSearchParams: it would turn lz-string's '+' into a space.
  const params = new Map(hash.replace(/^#/, '').split('&').map((kv) => {
    const eq = kv.indexOf('=');
    return eq < 0 ? [kv, ''] : [kv.slice(0, eq), kv.slice(eq + 1)];
  }));
  const s = params.get('s');
  if (s) {
    const text = LZString.decompressFromEncodedURIComponent(s);
    if (typeof text === 'string' && text.length) out.snapshot = text;
    else out.problems.push('the snapshot in the link is damaged');
  }
  const r = params.get('r');
  if (r) {
    try {
      const settings = JSON.parse(LZString.decompressFromEncodedURIComponent(r) ?? '');
      if (settings && typeof settings === 'object' && !Array.isArray(settings)) out.settings = settings;
      else throw new Error('not an object');
    } catch {
      out.problems.push('the request settings in the link are damaged');
    }
  }
  return out;
}
