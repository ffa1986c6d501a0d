// The SPA test pages: one page per SDK, each bundling the real npm package
// (esbuild, no CDN), served from 127.0.0.1 — a different site from the
// providers on `localhost`. `/<lib>/` is the app (and its redirect target),
// `/<lib>/silent.html` the silent-renew callback.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { escapeHtml } from './provider.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Every page the harness can serve: its name is the npm package it bundles. */
export const LIBRARIES = ['oidc-client-ts', 'auth0-spa-js', 'msal-browser', 'keycloak-js', 'supabase-js', 'firebase', 'aws-amplify'];

/** Bundles each page once per process (the largest, Amplify and Firebase, take a second or two). */
const bundles = new Map();
async function bundle(lib) {
  if (!bundles.has(lib)) {
    bundles.set(lib, esbuild.build({
      entryPoints: [path.join(HERE, 'apps', `${lib}.js`)],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'chrome120',
      write: false,
      minify: false,
      sourcemap: false,
      logLevel: 'silent',
      define: { global: 'globalThis', 'process.env.NODE_ENV': '"production"' },
    }).then((r) => r.outputFiles[0].text));
  }
  return bundles.get(lib);
}

/**
 * Starts the page server. `configs`: { [lib]: object } handed to the page as
 * `window.__CFG` (settable later with `setConfig`). Resolves with
 * { origin, url(lib), setConfig(lib, cfg), close() }.
 */
export async function startAppServer({ host = '127.0.0.1', port = 0, configs = {} } = {}) {
  const cfgs = { ...configs };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, `http://${host}`);
    const [, lib, file = ''] = url.pathname.match(/^\/([^/]+)\/(.*)$/) || [];
    if (!LIBRARIES.includes(lib)) {
      res.writeHead(404).end();
      return;
    }
    try {
      if (file === 'app.js') {
        const js = await bundle(lib);
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' }).end(js);
        return;
      }
      if (file === '' || file === 'index.html' || file === 'silent.html') {
        const silent = file === 'silent.html';
        const cfg = JSON.stringify(cfgs[lib] || {}).replace(/</g, '\\u003c');
        const page = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(lib)} test app</title>
<script>window.__CFG = ${cfg}; window.__SILENT = ${silent};</script>
<script type="module" src="/${lib}/app.js"></script></head>
<body data-state="loading"><h1>${escapeHtml(lib)}</h1><p>State: <span id="state">loading</span></p></body></html>`;
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
        return;
      }
      res.writeHead(404).end();
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e?.stack || e));
    }
  });
  await new Promise((r) => server.listen(port, host, r));
  const origin = `http://${host}:${server.address().port}`;
  return {
    origin,
    url: (lib) => `${origin}/${lib}/`,
    setConfig(lib, cfg) {
      cfgs[lib] = cfg;
    },
    /** Builds every page now, so a test's first load is not the one paying for it. */
    prebuild: (libs = LIBRARIES) => Promise.all(libs.map(bundle)),
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}
