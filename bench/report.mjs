// The report: figures table, goals (met / missed), and the SVG chart of the scaling curves
// (hand-rolled: no charting dependency).
import { fmtBytes, fmtRatio, fmtUs } from './lib.mjs';

const MB = 20_000_000; // "20 MB" read as 20·10⁶ bytes (stricter than 20 MiB)

function row(cells, widths) {
  return `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
}

function table(head, rows) {
  const widths = head.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...String(r[i])].length)));
  const line = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [row(head, widths), line, ...rows.map((r) => row(r, widths))].join('\n');
}

/** Every figure of the run as a Markdown table (also printed to stdout). */
export function figuresTable(r) {
  const e = r.rbac.engines;
  const js = e.js.median_us;
  const cedar = e['cedar.statefulIsAuthorized'].median_us;
  const n = r.native ?? {};
  const rows = [];
  const eng = (label, key, note = '') => {
    const x = e[key];
    if (!x) return;
    if (x.unavailable) {
      rows.push([label, 'unavailable', '', '', '', x.unavailable]);
      return;
    }
    rows.push([label, fmtUs(x.median_us), x.p90_us === undefined ? '–' : fmtUs(x.p90_us), fmtRatio(x.median_us / js), fmtRatio(cedar / x.median_us), note]);
  };
  eng('hand-written JS (Set intersection)', 'js');
  eng('flowgate `evaluate` (static group bindings)', 'flowgate.evaluate', 'from JS, through the public API');
  eng('flowgate `checkAccess` (same, by slug)', 'flowgate.checkAccess');
  eng('flowgate `evaluate` (conditional policy)', 'flowgate.conditional', 'all(user.groups has_any […], user.is_active is_true)');
  eng('flowgate core, looped inside Wasm', 'flowgate.core', 'no boundary crossing per call');
  if (n['rbac/evaluate']) {
    rows.push(['flowgate core, native (divan)', fmtUs(n['rbac/evaluate'].median_us), '–', fmtRatio(n['rbac/evaluate'].median_us / js), fmtRatio(cedar / n['rbac/evaluate'].median_us), '`cargo bench`, release profile']);
  }
  eng(`cedar-wasm ${e['cedar.statefulIsAuthorized'].version} statefulIsAuthorized`, 'cedar.statefulIsAuthorized', 'preparsed, 4–5 sliced entities per call');
  eng(`casbin ${e['casbin.enforceSync'].version} enforceSync`, 'casbin.enforceSync', `${e['casbin.enforceSync'].p_lines} p + ${e['casbin.enforceSync'].g_lines?.toLocaleString('en')} g lines`);
  if (r.workerd?.warm) {
    rows.push(['flowgate `evaluate` in workerd', fmtUs(r.workerd.warm.median_us), '–', fmtRatio(r.workerd.warm.median_us / js), fmtRatio(cedar / r.workerd.warm.median_us), '20,000 per request, timed outside']);
  }
  const decisions = table(['RBAC decision (20,000 requests, all cross-checked)', 'median', 'p90', '× JS', 'cedar ÷', 'note'], rows);

  const s = [];
  const em = r.evaluateMany;
  if (em) s.push(['`evaluateMany` of 1,000 requests', `${em.median_ms.toFixed(3)} ms`, `${fmtUs(em.per_request_us)} per request`]);
  if (r.flows && !r.flows.unavailable) {
    s.push(['`plan` (5 stages × 3 bindings)', fmtUs(r.flows.plan.median_us), r.flows.plan.core_us ? `core in Wasm ${fmtUs(r.flows.plan.core_us)}` : '']);
    s.push(['`next` (head re-evaluated)', fmtUs(r.flows.next.median_us), r.flows.next.core_us ? `core in Wasm ${fmtUs(r.flows.next.core_us)}` : '']);
  } else if (r.flows) {
    s.push(['`plan` / `next`', 'unavailable', r.flows.unavailable]);
  }
  const b = r.build;
  if (b) {
    s.push([`Engine build, large snapshot (JSON text, ${(b.text_bytes / 1e6).toFixed(1)} MB)`, `${b.from_text.median_ms.toFixed(1)} ms`, '10k users, 1k groups, 20k bindings, 500 apps']);
    s.push(['Engine build, same from a JS object', `${b.from_object.median_ms.toFixed(1)} ms`, `incl. JSON.stringify ${b.stringify.median_ms.toFixed(1)} ms`]);
    s.push(['Wasm memory after that build', fmtBytes(b.wasm_memory_after_first_build), `${fmtBytes(b.wasm_memory_before)} before (fresh module)`]);
  }
  s.push(['Engine build, RBAC snapshot (1k users)', `${r.rbac.build_rbac_ms.toFixed(2)} ms`, '']);
  const c = r.cold;
  if (c?.flowgate) {
    s.push(['Cold start, Node: load → first decision', `${c.flowgate.load_to_first_decision_ms.toFixed(1)} ms`,
      `load ${c.flowgate.load_ms.toFixed(1)} + build ${c.flowgate.build_ms.toFixed(1)} + first call ${c.flowgate.first_decision_ms.toFixed(2)} ms; process start → decision ${c.flowgate.process_start_to_first_decision_ms.toFixed(0)} ms`]);
  }
  if (c?.flowgate_small) {
    s.push(['Cold start, Node, 22 KB example snapshot', `${c.flowgate_small.load_to_first_decision_ms.toFixed(1)} ms`,
      `load ${c.flowgate_small.load_ms.toFixed(1)} + build ${c.flowgate_small.build_ms.toFixed(1)} + first call ${c.flowgate_small.first_decision_ms.toFixed(2)} ms`]);
  }
  if (c?.cedar) {
    s.push(['Cold start, Node, cedar-wasm (same steps)', `${c.cedar.load_to_first_decision_ms.toFixed(1)} ms`,
      `load ${c.cedar.load_ms.toFixed(1)} + preparse ${c.cedar.build_ms.toFixed(1)} + first call ${c.cedar.first_decision_ms.toFixed(1)} ms`]);
  }
  if (r.workerd && !r.workerd.unavailable) {
    s.push(['Cold start, workerd: Miniflare start → first decision', `${r.workerd.flowgate.total_ms.toFixed(0)} ms`,
      `empty worker ${r.workerd.empty_worker.total_ms.toFixed(0)} ms → flowgate's share ${r.workerd.flowgate_share_ms.toFixed(0)} ms (load ${r.workerd.load_share_ms.toFixed(0)}, build + first decision ${r.workerd.build_and_decide_share_ms.toFixed(0)})`]);
  }
  for (const [label, ratio] of Object.entries(r.wasm_native ?? {})) {
    s.push([`Wasm ÷ native: ${label}`, fmtRatio(ratio.ratio), `${fmtUs(ratio.wasm_us)} vs ${fmtUs(ratio.native_us)}`]);
  }
  const scenarios = table(['flowgate scenario', 'figure', 'detail'], s);
  return `${decisions}\n\n${scenarios}`;
}

/** The goals of the assignment, each with its figure and whether this run met it. */
export function goals(r) {
  const e = r.rbac.engines;
  const fg = e['flowgate.evaluate'].median_us;
  const list = [];
  const add = (goal, figure, met, bound) => list.push({ goal, figure, met, bound });
  add('`evaluate` RBAC median ≤ 2 µs from JS', fmtUs(fg), fg <= 2);
  add('≥ 100× faster than cedar-wasm stateful', fmtRatio(r.rbac.ratios.cedar_over_flowgate), r.rbac.ratios.cedar_over_flowgate >= 100);
  add('within 15× of hand-written JS', fmtRatio(r.rbac.ratios.flowgate_over_js), r.rbac.ratios.flowgate_over_js <= 15);
  if (r.evaluateMany) add('`evaluateMany` of 1,000 ≤ 1 ms', `${r.evaluateMany.median_ms.toFixed(3)} ms`, r.evaluateMany.median_ms <= 1);
  if (r.flows && !r.flows.unavailable) {
    add('`plan` ≤ 5 µs', fmtUs(r.flows.plan.median_us), r.flows.plan.median_us <= 5);
    add('`next` ≤ 3 µs', fmtUs(r.flows.next.median_us), r.flows.next.median_us <= 3);
  } else {
    add('`plan` ≤ 5 µs, `next` ≤ 3 µs', 'unavailable', null);
  }
  if (r.build) {
    add('Engine build of the large snapshot ≤ 50 ms', `${r.build.from_text.median_ms.toFixed(1)} ms`, r.build.from_text.median_ms <= 50);
    add('… and ≤ 20 MB of Wasm memory', fmtBytes(r.build.wasm_memory_after_first_build), r.build.wasm_memory_after_first_build <= MB);
  }
  if (r.cold?.flowgate) add('cold start ≤ 15 ms in Node (load → first decision, RBAC snapshot)', `${r.cold.flowgate.load_to_first_decision_ms.toFixed(1)} ms`, r.cold.flowgate.load_to_first_decision_ms <= 15);
  if (r.cold?.flowgate_small) add('… with the 22 KB example snapshot', `${r.cold.flowgate_small.load_to_first_decision_ms.toFixed(1)} ms`, r.cold.flowgate_small.load_to_first_decision_ms <= 15);
  for (const [label, x] of Object.entries(r.wasm_native ?? {})) add(`Wasm/native ≤ 2×: ${label}`, fmtRatio(x.ratio), x.ratio <= 2);
  return list;
}

export function goalsTable(list) {
  return table(['goal', 'this run', 'met?'], list.map((g) => [g.goal, g.figure, g.met === null ? 'n/a' : g.met ? 'yes' : '**no**']));
}

// ---- SVG ----------------------------------------------------------------------------------

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** One log-x panel: series = [{ name, color, points: [[x, y]] }]. */
function panel({ x0, y0, w, h, title, xLabel, yLabel, series, logY = false }) {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const lx = (v) => Math.log10(v);
  const [xmin, xmax] = [Math.floor(lx(Math.min(...xs))), Math.ceil(lx(Math.max(...xs)))];
  let ymin = 0;
  let ymax = Math.max(...ys) * 1.15;
  const ly = logY ? (v) => Math.log10(v) : (v) => v;
  if (logY) {
    ymin = Math.floor(Math.log10(Math.min(...ys)));
    ymax = Math.ceil(Math.log10(Math.max(...ys)));
  }
  const px = (v) => x0 + ((lx(v) - xmin) / (xmax - xmin || 1)) * w;
  const py = (v) => y0 + h - ((ly(v) - ymin) / (ymax - ymin || 1)) * h;
  const out = [`<text x="${x0 + w / 2}" y="${y0 - 12}" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#999"/>`];
  for (let d = xmin; d <= xmax; d++) {
    const x = x0 + ((d - xmin) / (xmax - xmin || 1)) * w;
    out.push(`<line x1="${x}" y1="${y0}" x2="${x}" y2="${y0 + h}" stroke="#eee"/>`,
      `<text x="${x}" y="${y0 + h + 16}" text-anchor="middle">${esc(fmtCount(10 ** d))}</text>`);
  }
  const yTicks = logY ? range(ymin, ymax).map((d) => 10 ** d) : niceTicks(ymax);
  for (const t of yTicks) {
    const y = py(t);
    out.push(`<line x1="${x0}" y1="${y}" x2="${x0 + w}" y2="${y}" stroke="#eee"/>`,
      `<text x="${x0 - 6}" y="${y + 4}" text-anchor="end">${esc(fmtTick(t))}</text>`);
  }
  out.push(`<text x="${x0 + w / 2}" y="${y0 + h + 34}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(${x0 - 46},${y0 + h / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const [x, y] of s.points) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.color}"><title>${esc(`${s.name}: ${fmtCount(x)} → ${fmtTick(y)}`)}</title></circle>`);
    out.push(`<text x="${x0 + 8}" y="${y0 + 16 + 14 * i}" fill="${s.color}">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
function niceTicks(max) {
  const step = 10 ** Math.floor(Math.log10(max / 4 || 1));
  const mult = [1, 2, 5, 10].find((m) => max / (m * step) <= 6) ?? 10;
  const out = [];
  for (let t = 0; t <= max; t += mult * step) out.push(Number(t.toPrecision(6)));
  return out;
}
const fmtCount = (n) => (n >= 1000 ? `${n / 1000}k` : String(n));
const fmtTick = (v) => (v >= 100 ? v.toFixed(0) : v >= 1 ? String(Number(v.toPrecision(3))) : String(Number(v.toPrecision(2))));

export function scalingSvg(r) {
  const s = r.scaling;
  const W = 1080;
  const H = 380;
  const cedar = r.rbac.engines['cedar.statefulIsAuthorized']?.median_us;
  const panels = [
    panel({ x0: 70, y0: 50, w: 260, h: 250, title: 'evaluate vs bindings per target', xLabel: 'group bindings on the target (mode any)', yLabel: 'µs per call (median)', logY: true,
      series: [{ name: 'flowgate evaluate (JS → Wasm)', color: '#1f6feb', points: s.bindings.map((p) => [p.n, p.median_us]) },
        ...(cedar ? [{ name: 'cedar-wasm stateful, RBAC fixture (reference)', color: '#d1242f', points: s.bindings.map((p) => [p.n, cedar]) }] : [])] }),
    panel({ x0: 430, y0: 50, w: 260, h: 250, title: 'evaluate vs snapshot users', xLabel: 'users in the snapshot (3 groups each)', yLabel: 'µs per call (median)',
      series: [{ name: 'flowgate evaluate (RBAC apps)', color: '#1f6feb', points: s.users.map((p) => [p.n, p.median_us]) }] }),
    panel({ x0: 790, y0: 50, w: 260, h: 250, title: 'Engine build vs snapshot users', xLabel: 'users in the snapshot', yLabel: 'ms (JSON text → engine)', logY: true,
      series: [{ name: 'flowgate build', color: '#8250df', points: s.users.map((p) => [p.n, p.build_ms]) }] }),
  ];
  const note = `flowgate ${esc(r.meta.flowgate_version ?? '')} · ${esc(r.meta.cpu)} × ${r.meta.cores} · Node ${esc(r.meta.node)} · ${esc(r.meta.date)}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
${panels.join('\n')}
<text x="${W / 2}" y="${H - 8}" text-anchor="middle" fill="#555">${note}</text>
</svg>
`;
}
