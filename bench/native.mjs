// Reads the table that `cargo bench --bench engine` (divan) prints, saved by scripts/bench.sh to
// bench/out/native.txt: { "rbac/evaluate": { median_us, fastest_us, ... }, ... }.
import { existsSync, readFileSync } from 'node:fs';

const UNIT = { ps: 1e-6, ns: 1e-3, 'µs': 1, us: 1, ms: 1e3, s: 1e6 };

function time(cell) {
  const m = cell.trim().match(/^([\d.]+)\s*(ps|ns|µs|us|ms|s)$/);
  return m ? Number(m[1]) * UNIT[m[2]] : null;
}

export function parseDivan(text) {
  const out = {};
  const path = [];
  for (const line of text.split('\n')) {
    // "│  ├─ name   fastest │ slowest │ median │ mean │ samples │ iters", 3 columns per level.
    const at = Math.max(line.indexOf('├─'), line.indexOf('╰─'));
    if (at < 0) continue;
    const depth = Math.round([...line.slice(0, at)].length / 3);
    const cells = line.slice(at + 2).split('│');
    const head = cells[0].trim().match(/^(\S+)\s*(.*)$/);
    if (!head || cells.length < 6) continue;
    path.length = depth;
    path[depth] = head[1];
    const fastest = time(head[2]);
    if (fastest === null) continue; // a group line
    out[path.join('/')] = {
      fastest_us: fastest, slowest_us: time(cells[1]), median_us: time(cells[2]), mean_us: time(cells[3]),
      samples: Number(cells[4].trim()), iters: Number(cells[5].trim()),
    };
  }
  return out;
}

export function readNative(file) {
  if (!existsSync(file)) return null;
  const parsed = parseDivan(readFileSync(file, 'utf8'));
  return Object.keys(parsed).length ? parsed : null;
}
