// flowgate at the edge: a Cloudflare-style worker that gates applications and runs a flow.
//
//   GET  /apps/<slug>     200 when the user may open the application, 403 with the messages if not
//   GET  /flows/<slug>    plans the flow and answers its first stage; the plan goes in a cookie
//   POST /flows/<slug>    {"result": "ok" | "invalid"}: the host ran the current stage; answers the
//                         next stage, or {done: true} when the flow is complete
//
// The user is named by the `x-user` header (username or pk). That stands for whatever identifies
// the user in a real deployment (a verified session or JWT): never trust a raw header.
// The plan travels in a cookie signed with env.PLAN_KEY (a secret: `wrangler secret put PLAN_KEY`).
import { Engine, FlowgateError } from 'flowgate';
import snapshot from '../snapshot.json';

// Once per isolate: the snapshot is parsed and indexed when the worker starts, and every
// request of this isolate reuses it. A new snapshot means a new deployment (or a KV read here).
const engine = new Engine(snapshot);

const PLAN_COOKIE = 'flowgate_plan';
const STATUS = { not_found: 404, invalid_request: 400, invalid_plan: 400, stale_plan: 409, limit_exceeded: 413 };

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    let m;
    try {
      if ((m = url.pathname.match(/^\/apps\/([^/]+)$/)) && request.method === 'GET') {
        return checkApp(decodeURIComponent(m[1]), request, url);
      }
      if ((m = url.pathname.match(/^\/flows\/([^/]+)$/))) {
        if (!env.PLAN_KEY) return json({ error: 'PLAN_KEY is not configured' }, 500);
        const slug = decodeURIComponent(m[1]);
        if (request.method === 'GET') return startFlow(slug, request, url, env.PLAN_KEY);
        if (request.method === 'POST') return await continueFlow(slug, request, url, env.PLAN_KEY);
      }
      return json({ error: 'not_found' }, 404);
    } catch (e) {
      if (e instanceof FlowgateError) return json({ error: e.code, message: e.message }, STATUS[e.code] ?? 500);
      throw e;
    }
  },
};

/** The flowgate request for this HTTP request. `now` is explicit: answers are reproducible. */
function flowgateRequest(request, url) {
  const name = request.headers.get('x-user');
  return {
    user: name === null ? null : /^\d+$/.test(name) ? Number(name) : name,
    http: {
      client_ip: request.headers.get('cf-connecting-ip') ?? '127.0.0.1',
      user_agent: request.headers.get('user-agent') ?? '',
      path: url.pathname,
    },
    now: Date.now(),
  };
}

function checkApp(slug, request, url) {
  const result = engine.checkAccess(slug, flowgateRequest(request, url));
  return json({ app: slug, passing: result.passing, messages: result.messages }, result.passing ? 200 : 403);
}

function startFlow(slug, request, url, key) {
  const req = flowgateRequest(request, url);
  const outcome = engine.plan(slug, req);
  if (!outcome.ok) return json(outcome, 403, clearCookie(slug));
  return step(slug, engine.next(outcome.plan, req), key);
}

async function continueFlow(slug, request, url, key) {
  const saved = readCookie(request, PLAN_COOKIE);
  if (!saved) return json({ error: 'no_plan', message: `start with GET /flows/${slug}` }, 400);
  const plan = engine.verifyPlan(decodePlan(saved), key); // FlowgateError('invalid_plan') if tampered
  if (plan.flow_slug !== slug) return json({ error: 'invalid_plan', message: 'the plan is for another flow' }, 400);
  const { result } = await request.json().catch(() => ({}));
  const req = flowgateRequest(request, url);
  if (result === 'ok') return step(slug, engine.next(engine.stageOk(plan), req), key);
  if (result === 'invalid') {
    const outcome = engine.stageInvalid(plan, req);
    if ('ok' in outcome) return json(outcome, 403, clearCookie(slug)); // restarted and denied
    return step(slug, outcome, key);
  }
  return json({ error: 'invalid_request', message: 'body must be {"result": "ok" | "invalid"}' }, 400);
}

/** Answers a StepOutcome: the current stage (plan kept in the cookie) or the end of the flow. */
function step(slug, outcome, key) {
  if (outcome.done) {
    return json({ done: true, redirect: outcome.redirect ?? null, messages: outcome.messages }, 200, clearCookie(slug));
  }
  const { signature: _old, ...plan } = outcome.plan; // sign the plan as it is now
  const signed = engine.signPlan(plan, key);
  return json({ done: false, stage: outcome.stage, messages: outcome.messages }, 200,
    `${PLAN_COOKIE}=${encodePlan(signed)}; Path=/flows/${slug}; HttpOnly; Secure; SameSite=Lax`);
}

const clearCookie = (slug) => `${PLAN_COOKIE}=; Path=/flows/${slug}; Max-Age=0; HttpOnly; Secure; SameSite=Lax`;

function json(body, status = 200, cookie) {
  const headers = { 'content-type': 'application/json' };
  if (cookie) headers['set-cookie'] = cookie;
  return new Response(JSON.stringify(body), { status, headers });
}

function readCookie(request, name) {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return null;
}

// Plans are plain JSON: base64url keeps them cookie-safe.
function encodePlan(plan) {
  const bytes = new TextEncoder().encode(JSON.stringify(plan));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function decodePlan(text) {
  try {
    const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  } catch {
    throw new FlowgateError('invalid_plan', 'the plan cookie is not readable');
  }
}
