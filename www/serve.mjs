#!/usr/bin/env node
// A small static server for the playground (node:http only): serves www/ on 127.0.0.1, with the
// right MIME types (application/wasm lets the browser compile while downloading) and gzip.
//
//   node www/serve.mjs [--port 8080] [--host 127.0.0.1]    (PORT / HOST env work too; port 0 = any)
//
// Also importable: `const { server, url } = await serve({ port: 0 })`.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = dirname(fileURLToPath(import.meta.url));
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};
// Only the page and its build are served: not the sources, not the scripts.
const ALLOWED = [/^\/$/, /^\/index\.html$/, /^\/dist\/[\w./-]+$/];

async function handle(req, res, root) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  let path;
  try {
    path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  } catch {
    res.writeHead(400).end('bad request');
    return;
  }
  if (!ALLOWED.some((re) => re.test(path)) || path.includes('..') || path.includes('\0')) {
    res.writeHead(404, { 'content-type': TYPES['.txt'] }).end('not found');
    return;
  }
  const file = normalize(join(root, path === '/' ? 'index.html' : path));
  if (!file.startsWith(root + sep)) {
    res.writeHead(404).end();
    return;
  }
  let body;
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a file');
    body = await readFile(file);
  } catch {
    res.writeHead(404, { 'content-type': TYPES['.txt'] }).end(path.startsWith('/dist/') ? 'not found: run `node www/build.mjs` first' : 'not found');
    return;
  }
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  const headers = {
    'content-type': type,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    // The page needs nothing from elsewhere: say so, so a stray request fails loudly.
    'content-security-policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'",
    vary: 'accept-encoding',
  };
  if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '') && body.length > 1024 && type !== 'image/png') {
    body = gzipSync(body, { level: 6 });
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Starts the server; resolves to { server, url, close() }. Tries the next ports if taken. */
export function serve({ port = 8080, host = '127.0.0.1', root = ROOT, tries = port === 0 ? 1 : 20 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const server = createServer((req, res) => {
      handle(req, res, root).catch((e) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(e.message));
      });
    });
    server.on('error', (e) => {
      if (e.code === 'EADDRINUSE' && tries > 1) {
        resolvePromise(serve({ port: port + 1, host, root, tries: tries - 1 }));
      } else {
        reject(e);
      }
    });
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      const url = `http://${host}:${actual}/`;
      resolvePromise({ server, url, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const opt = (name) => (args.includes(name) ? args[args.lastIndexOf(name) + 1] : undefined); // the last one wins
  const port = Number(opt('--port') ?? process.env.PORT ?? 8080);
  const host = opt('--host') ?? process.env.HOST ?? '127.0.0.1';
  const { url } = await serve({ port, host });
  console.log(`flowgate playground: ${url}`);
  console.log('(serving www/; Ctrl-C to stop)');
}
