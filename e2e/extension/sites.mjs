// Small real HTTP sites for the hostile-page and secret-scan tests: a Node
// server on 127.0.0.1 (a random free port) answering from a route table, and
// the token shapes the tests plant and then look for.
import http from 'node:http';
import crypto from 'node:crypto';

/**
 * Serves `handler(req, url, body)` → `{ status, headers, body }` (or a
 * string: an HTML page) on 127.0.0.1:0. Resolves with `{ port, base(host),
 * close }`; `base('localhost')` names the same server as another site.
 */
export function serve(handler) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      try {
        const url = new URL(req.url, 'http://x');
        let r = await handler(req, url, Buffer.concat(chunks).toString('utf8'));
        if (typeof r === 'string') r = { body: r };
        if (!r) r = { status: 404, body: 'not found' };
        res.writeHead(r.status || 200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...(r.headers || {}) });
        res.end(r.body || '');
      } catch (e) {
        res.writeHead(500);
        res.end(String(e));
      }
    });
  });
  server.keepAliveTimeout = 1000;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        port,
        base: (host = '127.0.0.1') => `http://${host}:${port}`,
        close: () => {
          server.closeAllConnections();
          return new Promise((r) => server.close(r));
        },
      });
    });
  });
}

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');

/**
 * An HS256 JWT (signed with a throw-away key: the extension never verifies)
 * with `claims` over `sub`, `exp` (15 min by default) and a random `jti`.
 */
export function jwt(claims = {}) {
  const now = Math.floor(Date.now() / 1000);
  const body = { sub: '1', iat: now, exp: now + 900, jti: crypto.randomBytes(9).toString('base64url'), ...claims };
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const payload = b64(body);
  const sig = crypto.createHmac('sha256', crypto.randomBytes(32)).update(`${head}.${payload}`).digest('base64url');
  return `${head}.${payload}.${sig}`;
}

/** An opaque random secret (a session id, refresh token or cookie value), `prefix` for readability. */
export function opaque(prefix) {
  return `${prefix}${crypto.randomBytes(24).toString('base64url')}`;
}

/**
 * An opaque token without a digit, letters of both cases (one random
 * base64url token of 32 characters in about 230 has no digit).
 */
export function opaqueLetters(prefix) {
  const bytes = [...crypto.randomBytes(32)];
  return prefix + bytes.map((b, i) => String.fromCharCode((i % 2 ? 97 : 65) + (b % 26))).join('');
}

/**
 * The strings that must never show up for `secret`: itself and, for a JWT,
 * its payload and signature alone (the header is the same for every token).
 */
export function needles(secret) {
  const parts = secret.split('.');
  return parts.length === 3 && secret.startsWith('eyJ') ? [secret, parts[1], parts[2]] : [secret];
}

/** `[where, needle]` for each secret found in `text` (one entry per kind of find). */
export function findSecrets(text, secrets, where) {
  const found = [];
  for (const [name, s] of Object.entries(secrets)) {
    for (const n of needles(s)) {
      if (text.includes(n)) {
        found.push(`${name} in ${where}`);
        break;
      }
    }
  }
  return found;
}
