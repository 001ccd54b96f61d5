// Applications panel: the user's visible applications (engine.applications) with launch URLs and
// entitlements, and for the selected application checkAccess(slug, request, {trace: true}).
import { h, setChildren, errorNotice, json, list as listOf } from './dom.mjs';
import { renderResult } from './trace.mjs';

/** ctx: { engine, model, request, settings, update(patch), who } */
export function renderApps(panel, ctx) {
  const { engine, model, request, settings } = ctx;
  const all = [...listOf(model.applications)]
    .filter((a) => a && typeof a.slug === 'string')
    .sort((a, b) => String(a.name).localeCompare(String(b.name)) || a.slug.localeCompare(b.slug));

  let visible = null;
  let visibleError = null;
  try {
    visible = engine.applications(request, { includeHidden: Boolean(settings.hidden) });
  } catch (e) {
    visibleError = e;
  }

  // Entitlements of each visible app; one engine_error is reported once, not per app.
  let entitlementsError = null;
  const ents = new Map();
  for (const a of visible ?? []) {
    if (entitlementsError) break;
    try { ents.set(a.slug, engine.entitlements(a.slug, request)); } catch (e) { entitlementsError = e; }
  }

  const visibleSlugs = new Set((visible ?? []).map((a) => a.slug));
  const others = all.filter((a) => !visibleSlugs.has(a.slug));
  const selected = settings.app && all.some((a) => a.slug === settings.app) ? settings.app : null;

  const hiddenBox = h('input', {
    type: 'checkbox', id: 'apps-hidden', checked: Boolean(settings.hidden),
    onchange: (e) => ctx.update({ hidden: e.target.checked }),
  });

  const list = [];
  if (visible) {
    list.push(h('h3', { class: 'list-title' }, `Visible to ${ctx.who}`, h('span', { class: 'count' }, String(visible.length))));
    list.push(visible.length
      ? h('ul', { class: 'app-list', id: 'apps-visible' }, visible.map((a) => appItem(a, { visible: true, ents: ents.get(a.slug), selected, ctx })))
      : h('p', { class: 'muted empty' }, 'No application is visible to this user.'));
    if (others.length) {
      list.push(h('h3', { class: 'list-title' }, 'Not visible', h('span', { class: 'count' }, String(others.length))));
      list.push(h('ul', { class: 'app-list', id: 'apps-other' }, others.map((a) => appItem(viewOf(a), { visible: false, selected, ctx }))));
    }
  } else {
    list.push(h('h3', { class: 'list-title' }, 'Applications in the snapshot', h('span', { class: 'count' }, String(all.length))));
    list.push(h('ul', { class: 'app-list', id: 'apps-other' }, all.map((a) => appItem(viewOf(a), { visible: null, selected, ctx }))));
  }

  setChildren(panel,
    h('div', { class: 'panel-bar' },
      h('p', { class: 'summary', id: 'apps-summary' }, visible
        ? `${ctx.who} sees ${visible.length} of ${all.length} application${all.length === 1 ? '' : 's'}.`
        : `${all.length} application${all.length === 1 ? '' : 's'} in the snapshot.`),
      h('div', { class: 'check' }, hiddenBox, h('label', { for: 'apps-hidden' }, 'Include hidden'))),
    visibleError ? errorNotice(visibleError, 'applications()') : null,
    entitlementsError ? errorNotice(entitlementsError, 'entitlements()') : null,
    h('div', { class: 'split' },
      h('div', { class: 'split-list' }, list),
      h('div', { class: 'split-detail', id: 'app-detail', 'aria-live': 'polite' },
        selected ? appDetail(all.find((a) => a.slug === selected), ctx, ents.get(selected), visibleSlugs.has(selected))
          : h('p', { class: 'muted empty' }, 'Choose an application to see why it is or is not available: every binding, in order.'))));
}

/** An AppView-like object for applications the engine did not list. */
function viewOf(a) {
  return { slug: a.slug, name: a.name ?? a.slug, group: a.group ?? '', launch_url: null, meta_description: a.meta_description ?? '' };
}

function appItem(a, { visible, ents, selected, ctx }) {
  const isSelected = a.slug === selected;
  return h('li', { class: `app ${visible === false ? 'denied' : ''} ${isSelected ? 'selected' : ''}`, dataset: { slug: a.slug } },
    h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(a.name)),
    h('div', { class: 'app-main' },
      h('button', {
        type: 'button', class: 'link-button app-open', id: `app-open-${a.slug}`, 'aria-pressed': String(isSelected),
        onclick: () => ctx.update({ app: a.slug }, { announce: true }),
      }, a.name, h('span', { class: 'visually-hidden' }, ': explain access')),
      a.group ? h('span', { class: 'tag' }, a.group) : null,
      a.launch_url
        ? h('a', { class: 'launch', href: a.launch_url, target: a.open_in_new_tab ? '_blank' : null, rel: 'noopener noreferrer' }, a.launch_url)
        : visible ? h('span', { class: 'muted launch' }, 'no launch URL') : null,
      ents?.entitlements?.length
        ? h('ul', { class: 'chips', 'aria-label': 'Entitlements' }, ents.entitlements.map((e) => h('li', { class: 'chip' }, e.name)))
        : null));
}

function appDetail(app, ctx, ents, isVisible) {
  const { engine, request } = ctx;
  let result = null;
  let error = null;
  const t0 = performance.now();
  try { result = engine.checkAccess(app.slug, request, { trace: true }); } catch (e) { error = e; }
  if (ctx.opts?.announce) ctx.say(error ? `checkAccess('${app.slug}') failed: ${error.message}`
    : `${app.name ?? app.slug}: access ${result.passing ? 'granted' : 'denied'} for ${ctx.who} (${(performance.now() - t0).toFixed(1)} ms).`);
  return h('div', { class: 'detail' },
    h('h3', {}, `Access to ${app.name ?? app.slug}`),
    h('p', { class: 'muted' }, h('code', {}, `checkAccess('${app.slug}', request, { trace: true })`)),
    error ? errorNotice(error, 'checkAccess()') : renderResult(result, { caption: `for ${ctx.who}`, names: ctx.names }),
    isVisible && ents ? h('div', { class: 'ents' },
      h('h4', {}, 'Entitlements'),
      ents.entitlements.length
        ? h('ul', { class: 'chips' }, ents.entitlements.map((e) => h('li', { class: 'chip' }, e.name)))
        : h('p', { class: 'muted' }, 'None.'),
      Object.keys(ents.attributes ?? {}).length
        ? h('details', { open: true }, h('summary', {}, 'Merged attributes'), h('pre', {}, json(ents.attributes)))
        : null) : null);
}

function initials(name) {
  const words = String(name ?? '?').split(/\s+/).filter(Boolean);
  return (words.length > 1 ? words[0][0] + words[1][0] : String(name ?? '?').slice(0, 2)).toUpperCase();
}

