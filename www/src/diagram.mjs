// Diagram panel: engine.diagram(slug, request) (authentik's Mermaid text) rendered as SVG by a
// locally bundled mermaid, loaded on first use. Stages dropped for the current user are greyed.
import { h, setChildren, errorNotice } from './dom.mjs';
import { flowsOf, stageBindingsOf, planFlow, droppedForDiagram, flowPicker } from './flows.mjs';

const dark = () => window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false;
const PALETTE = {
  light: { node: '#ffffff', border: '#6b7383', text: '#1d2330', line: '#8a93a3', soft: '#f3f5f8',
    dropped: 'fill:#f3f4f6,stroke:#b8bec8,color:#8d95a1,stroke-dasharray:5 4', current: 'stroke:#2557d6,stroke-width:3px' },
  dark: { node: '#1d2229', border: '#8792a2', text: '#e4e8ee', line: '#6f7987', soft: '#232932',
    dropped: 'fill:#15181d,stroke:#3d444e,color:#69717d,stroke-dasharray:5 4', current: 'stroke:#7aa2ff,stroke-width:3px' },
};
const palette = () => PALETTE[dark() ? 'dark' : 'light'];

let mermaidReady = null;
function loadMermaid() {
  mermaidReady ??= import('mermaid').then(({ default: mermaid }) => {
    const p = palette();
    mermaid.initialize({
      startOnLoad: false,
      securityLevel: 'strict',
      theme: 'base',
      themeVariables: {
        primaryColor: p.node, primaryBorderColor: p.border, primaryTextColor: p.text, lineColor: p.line,
        secondaryColor: p.soft, tertiaryColor: p.soft, edgeLabelBackground: p.node, fontSize: '13px',
        fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
      },
      flowchart: { useMaxWidth: true, nodeSpacing: 28, rankSpacing: 34, padding: 10 },
    });
    return mermaid;
  });
  return mermaidReady;
}

let sequence = 0;

/** Greys dropped stage nodes and outlines the current one, with Mermaid class statements. */
export function styleDiagram(text, { indexes, all, current }) {
  const has = (i) => new RegExp(`(^|\\s)stage_${i}\\(\\[`, 'm').test(text);
  const count = (text.match(/(^|\s)stage_\d+\(\[/gm) ?? []).length;
  const greyed = all ? [...Array(count).keys()] : indexes.filter(has);
  const lines = [text.trimEnd()];
  if (greyed.length) {
    lines.push(`classDef dropped ${palette().dropped}`);
    lines.push(`class ${greyed.map((i) => `stage_${i}`).join(',')} dropped`);
  }
  if (!all && current >= 0 && has(current)) {
    lines.push(`classDef current ${palette().current}`);
    lines.push(`class stage_${current} current`);
  }
  return lines.join('\n');
}

export async function renderDiagram(panel, ctx) {
  const flows = flowsOf(ctx.model);
  const flow = flows.find((f) => f.slug === ctx.settings.flow) ?? flows[0];
  const bar = h('div', { class: 'panel-bar' },
    h('div', { class: 'field inline' }, h('label', { for: 'diagram-flow' }, 'Flow'), flowPicker(flows, flow, ctx, 'diagram-flow')));
  if (!flow) {
    setChildren(panel, bar, h('p', { class: 'muted empty' }, 'The snapshot has no flows.'));
    return;
  }
  const seq = ++sequence;
  const planned = planFlow(ctx, flow.slug);
  const bindings = stageBindingsOf(ctx.model, flow);
  const dropped = droppedForDiagram(planned, bindings, `${ctx.snapshotId}|${flow.slug}`);

  let text = null;
  let error = null;
  try { text = ctx.engine.diagram(flow.slug, planned.req); } catch (e) { error = e; }

  const figure = h('figure', { class: 'diagram', id: 'diagram', 'aria-busy': text ? 'true' : 'false' },
    h('div', { class: 'diagram-svg', id: 'diagram-svg' }, text ? h('p', { class: 'muted' }, 'Rendering…') : null),
    h('figcaption', { class: 'visually-hidden' }, `Flow diagram of ${flow.slug}`));
  const legend = h('p', { class: 'legend muted', id: 'diagram-legend' },
    dropped.all
      ? (planned.error ? 'The flow could not be planned; no stage is greyed.' : `The flow does not apply to ${ctx.who} (${planned.outcome?.reason}): every stage is greyed.`)
      : dropped.indexes.length
        ? [h('span', { class: 'swatch dropped', 'aria-hidden': 'true' }), ` Greyed: ${dropped.indexes.length} stage${dropped.indexes.length === 1 ? '' : 's'} dropped for ${ctx.who}.`]
        : `No stage is dropped for ${ctx.who}.`,
    !dropped.all && dropped.current >= 0 ? [' ', h('span', { class: 'swatch current', 'aria-hidden': 'true' }), ' Outlined: the current stage of the run.'] : null);

  setChildren(panel, bar,
    h('p', { class: 'muted' }, h('code', {}, `diagram('${flow.slug}', request)`)),
    error ? errorNotice(error, 'diagram()') : legend,
    planned.error && !error ? errorNotice(planned.error, 'plan() (for greying)') : null,
    text ? figure : null,
    text ? h('details', {}, h('summary', {}, 'Mermaid source (as authentik prints it)'), h('pre', { id: 'diagram-source' }, text)) : null);
  if (!text) return;

  const target = figure.querySelector('#diagram-svg');
  try {
    const mermaid = await loadMermaid();
    const id = `flowgate-diagram-${seq}`;
    const { svg } = await mermaid.render(id, styleDiagram(text, dropped));
    if (seq !== sequence) return; // a newer render superseded this one
    target.innerHTML = svg; // mermaid sanitises its output (securityLevel strict)
    const el = target.querySelector('svg');
    el?.setAttribute('role', 'img');
    el?.setAttribute('aria-label', `Flow diagram of ${flow.slug}`);
  } catch (e) {
    if (seq !== sequence) return;
    document.getElementById(`dflowgate-diagram-${seq}`)?.remove();
    setChildren(target, errorNotice(e, 'mermaid'));
  } finally {
    if (seq === sequence) figure.setAttribute('aria-busy', 'false');
  }
}
