// A throw-away self-signed certificate for https test servers (MSAL refuses an
// http authority). Made with the openssl CLI once per process; never stored.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made = new Map();

export function selfSignedCert(host = 'localhost') {
  if (made.has(host)) return made.get(host);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'll-tls-'));
  const key = path.join(dir, 'key.pem');
  const crt = path.join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', crt, '-days', '2', '-subj', `/CN=${host}`,
    '-addext', `subjectAltName=DNS:${host},IP:127.0.0.1`,
  ], { stdio: 'ignore' });
  const pair = { key: fs.readFileSync(key), cert: fs.readFileSync(crt) };
  fs.rmSync(dir, { recursive: true, force: true });
  made.set(host, pair);
  return pair;
}
