// Local stand-ins for the hosted providers that cannot run here, each answering
// only the endpoints its SDK calls, with the request and response shapes the
// provider documents (and its SDK parses): Supabase's GoTrue (`/auth/v1/…`),
// Amazon Cognito's JSON API (`x-amz-target`, reached through Amplify's
// `userPoolEndpoint`), and the Firebase Auth emulator's REST endpoints
// (Identity Toolkit + Secure Token, reached through `connectAuthEmulator`).
//
// Tokens are signed with keys made at start-up and thrown away at close.
// Refresh tokens rotate; a rotated-out refresh token is refused the way each
// provider refuses it, so a refresh race ends as it does against the real one.
import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import * as jose from 'jose';

const now = () => Math.floor(Date.now() / 1000);
const rand = (n) => randomBytes(n).toString('base64url');

/**
 * Starts the stand-ins on one `localhost` port (a site other than the app's 127.0.0.1).
 * `ttl`: { access: s, refresh: s } lifetimes (default 3600 / 30 days).
 * `password`: the one password every user has ('test-password').
 * Resolves with { origin, supabaseUrl, cognitoEndpoint, firebaseEmulator, log, close() }.
 */
export async function startStandins({ host = 'localhost', port = 0, ttl = {}, password = 'test-password', firebaseProject = 'demo-logout-lens', cognitoPoolId = 'us-east-1_LogoutLns' } = {}) {
  const life = { access: 3600, refresh: 30 * 24 * 3600, ...ttl };
  const hsSecret = randomBytes(32);
  const rsa = await jose.generateKeyPair('RS256', { extractable: true });
  const rsaKid = rand(9);
  const oaep = await jose.generateKeyPair('RSA-OAEP', { extractable: true });
  const log = [];
  const server = http.createServer();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  const origin = `http://${host}:${server.address().port}`;

  /** Refresh-token families: token -> { sub, family, used, expiresAt }. */
  const refresh = new Map();
  const issueRefresh = (sub, family = randomUUID(), make = () => rand(9)) => {
    const token = make();
    refresh.set(token, { sub, family, used: false, expiresAt: now() + life.refresh });
    return token;
  };
  /** Spends `token`: the record, or an error name (`not_found`, `already_used`, `expired`). */
  const spend = (token) => {
    const rec = refresh.get(token);
    if (!rec) return { error: 'not_found' };
    if (rec.expiresAt <= now()) return { error: 'expired' };
    if (rec.used) {
      // Reuse of a rotated-out token revokes its whole family (GoTrue and Cognito both do).
      for (const [t, r] of refresh) if (r.family === rec.family) refresh.delete(t);
      return { error: 'already_used' };
    }
    rec.used = true;
    return { rec };
  };

  const signHs = (claims) => new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(hsSecret);
  const signRs = (claims) => new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: rsaKid }).sign(rsa.privateKey);

  // ---- Supabase GoTrue ----------------------------------------------------
  const supabaseUsers = new Map();
  const supabaseUser = (email) => {
    if (!supabaseUsers.has(email)) {
      const at = new Date().toISOString();
      supabaseUsers.set(email, {
        id: randomUUID(), aud: 'authenticated', role: 'authenticated', email, email_confirmed_at: at,
        phone: '', confirmed_at: at, last_sign_in_at: at, app_metadata: { provider: 'email', providers: ['email'] },
        user_metadata: { email, email_verified: true, phone_verified: false, sub: '' }, identities: [],
        created_at: at, updated_at: at, is_anonymous: false,
      });
    }
    return supabaseUsers.get(email);
  };
  const supabaseSession = async (user, family) => {
    const iat = now();
    const sessionId = family || randomUUID();
    const access_token = await signHs({
      iss: `${origin}/auth/v1`, sub: user.id, aud: 'authenticated', exp: iat + life.access, iat, email: user.email,
      phone: '', app_metadata: user.app_metadata, user_metadata: user.user_metadata, role: 'authenticated',
      aal: 'aal1', amr: [{ method: 'password', timestamp: iat }], session_id: sessionId, is_anonymous: false,
    });
    return {
      access_token, token_type: 'bearer', expires_in: life.access, expires_at: iat + life.access,
      refresh_token: issueRefresh(user.email, sessionId, () => randomBytes(6).toString('hex')), user,
    };
  };
  const gotrueError = (res, status, error_code, msg) => json(res, status, { code: status, error_code, msg });

  async function supabase(req, res, url, body) {
    const path = url.pathname.slice('/auth/v1'.length);
    if (path === '/token' && req.method === 'POST') {
      const grant = url.searchParams.get('grant_type');
      const b = JSON.parse(body || '{}');
      if (grant === 'password') {
        if (b.password !== password) return gotrueError(res, 400, 'invalid_credentials', 'Invalid login credentials');
        return json(res, 200, await supabaseSession(supabaseUser(b.email)));
      }
      if (grant === 'refresh_token') {
        const { rec, error } = spend(b.refresh_token);
        if (error === 'already_used') return gotrueError(res, 400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used');
        if (error) return gotrueError(res, 400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
        return json(res, 200, await supabaseSession(supabaseUser(rec.sub), rec.family));
      }
      return gotrueError(res, 400, 'validation_failed', 'unsupported_grant_type');
    }
    if (path === '/user' && req.method === 'GET') {
      const claims = await verifyBearer(req, (t) => jose.jwtVerify(t, hsSecret));
      if (!claims) return gotrueError(res, 401, 'bad_jwt', 'invalid JWT');
      return json(res, 200, supabaseUser(claims.email));
    }
    if (path === '/logout' && req.method === 'POST') {
      res.writeHead(204).end();
      return;
    }
    return gotrueError(res, 404, 'not_found', 'not found');
  }

  // ---- Amazon Cognito user pools --------------------------------------------
  const cognitoIss = (poolId) => `https://cognito-idp.${poolId.split('_')[0]}.amazonaws.com/${poolId}`;
  const cognitoUsers = new Map();
  const cognitoTokens = async (clientId, username, family) => {
    const iat = now();
    const sub = cognitoUsers.get(username) || randomUUID();
    cognitoUsers.set(username, sub);
    const poolId = cognitoPoolId;
    const originJti = family || randomUUID();
    const base = { sub, iss: cognitoIss(poolId), origin_jti: originJti, event_id: randomUUID(), auth_time: iat, exp: iat + life.access, iat, jti: randomUUID() };
    const AccessToken = await signRs({ ...base, client_id: clientId, token_use: 'access', scope: 'aws.cognito.signin.user.admin', username });
    const IdToken = await signRs({ ...base, aud: clientId, email_verified: true, token_use: 'id', 'cognito:username': username, email: `${username}@example.test` });
    // Cognito's refresh tokens are JWEs (RSA-OAEP + A256GCM) only Cognito can read.
    const RefreshToken = issueRefresh(username, originJti, () => rand(32));
    const jwe = await new jose.CompactEncrypt(new TextEncoder().encode(RefreshToken))
      .setProtectedHeader({ cty: 'JWT', enc: 'A256GCM', alg: 'RSA-OAEP' })
      .encrypt(oaep.publicKey);
    refresh.set(jwe, refresh.get(RefreshToken));
    refresh.delete(RefreshToken);
    return { AccessToken, ExpiresIn: life.access, IdToken, RefreshToken: jwe, TokenType: 'Bearer' };
  };
  const amzError = (res, type, message) => {
    res.writeHead(400, {
      'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': `${type}:`, 'x-amzn-errormessage': message,
      'x-amzn-requestid': randomUUID(), 'access-control-expose-headers': 'x-amzn-errortype, x-amzn-errormessage, x-amzn-requestid',
    }).end(JSON.stringify({ __type: type, message }));
  };
  async function cognito(req, res, _url, body) {
    const target = String(req.headers['x-amz-target'] || '').replace('AWSCognitoIdentityProviderService.', '');
    const b = JSON.parse(body || '{}');
    const ok = (out) => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() }).end(JSON.stringify(out));
    };
    const fromRefresh = async (token) => {
      const { rec, error } = spend(token);
      if (error === 'expired') return amzError(res, 'NotAuthorizedException', 'Refresh Token has expired');
      if (error === 'already_used') return amzError(res, 'RefreshTokenReuseException', 'Refresh token has been reused');
      if (error) return amzError(res, 'NotAuthorizedException', 'Invalid Refresh Token');
      return ok({ AuthenticationResult: await cognitoTokens(b.ClientId, rec.sub, rec.family) });
    };
    switch (target) {
      case 'InitiateAuth':
        if (b.AuthFlow === 'USER_PASSWORD_AUTH') {
          if (b.AuthParameters?.PASSWORD !== password) return amzError(res, 'NotAuthorizedException', 'Incorrect username or password.');
          return ok({ AuthenticationResult: await cognitoTokens(b.ClientId, b.AuthParameters.USERNAME), ChallengeParameters: {} });
        }
        if (b.AuthFlow === 'REFRESH_TOKEN_AUTH' || b.AuthFlow === 'REFRESH_TOKEN') return fromRefresh(b.AuthParameters?.REFRESH_TOKEN);
        return amzError(res, 'InvalidParameterException', `Unsupported AuthFlow ${b.AuthFlow}`);
      case 'GetTokensFromRefreshToken':
        return fromRefresh(b.RefreshToken);
      case 'GetUser': {
        const claims = await verifyToken(b.AccessToken, (t) => jose.jwtVerify(t, rsa.publicKey));
        if (!claims) return amzError(res, 'NotAuthorizedException', 'Invalid Access Token');
        return ok({ Username: claims.username, UserAttributes: [{ Name: 'sub', Value: claims.sub }, { Name: 'email', Value: `${claims.username}@example.test` }] });
      }
      case 'RevokeToken':
      case 'GlobalSignOut':
        return ok({});
      default:
        return amzError(res, 'InvalidActionException', `Unsupported operation ${target}`);
    }
  }

  // ---- Firebase Auth emulator REST ------------------------------------------
  const fbUsers = new Map();
  const fbToken = async (projectId, email) => {
    const iat = now();
    if (!fbUsers.has(email)) fbUsers.set(email, { localId: rand(21).slice(0, 28), email, createdAt: String(Date.now()) });
    const u = fbUsers.get(email);
    // The emulator signs nothing (alg "none"), as the real emulator does.
    const idToken = new jose.UnsecuredJWT({
      name: undefined, email, email_verified: false, auth_time: iat, user_id: u.localId,
      firebase: { identities: { email: [email] }, sign_in_provider: 'password' },
      iss: `https://securetoken.google.com/${projectId}`, aud: projectId, sub: u.localId,
    }).setIssuedAt(iat).setExpirationTime(iat + life.access).encode();
    return { u, idToken, refreshToken: issueRefresh(email, undefined, () => rand(48)) };
  };
  const fbError = (res, status, message) => json(res, status, { error: { code: status, message, errors: [{ message, reason: 'invalid', domain: 'global' }] } });
  async function firebase(req, res, url, body) {
    const projectId = firebaseProject;
    const p = url.pathname;
    if (p.startsWith('/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword') || p.startsWith('/identitytoolkit.googleapis.com/v1/accounts:signUp')) {
      const b = JSON.parse(body || '{}');
      if (b.password !== password) return fbError(res, 400, 'INVALID_LOGIN_CREDENTIALS');
      const { u, idToken, refreshToken } = await fbToken(projectId, b.email);
      const signUp = p.includes('signUp');
      return json(res, 200, {
        kind: signUp ? 'identitytoolkit#SignupNewUserResponse' : 'identitytoolkit#VerifyPasswordResponse',
        localId: u.localId, email: u.email, ...(signUp ? {} : { displayName: '', registered: true }),
        idToken, refreshToken, expiresIn: String(life.access),
      });
    }
    if (p.startsWith('/identitytoolkit.googleapis.com/v1/accounts:lookup')) {
      const b = JSON.parse(body || '{}');
      let claims;
      try {
        claims = jose.UnsecuredJWT.decode(b.idToken).payload;
      } catch {
        return fbError(res, 400, 'INVALID_ID_TOKEN');
      }
      const u = fbUsers.get(claims.email);
      if (!u) return fbError(res, 400, 'USER_NOT_FOUND');
      return json(res, 200, {
        kind: 'identitytoolkit#GetAccountInfoResponse',
        users: [{ localId: u.localId, email: u.email, emailVerified: false, passwordUpdatedAt: Number(u.createdAt),
          providerUserInfo: [{ providerId: 'password', email: u.email, federatedId: u.email, rawId: u.email }],
          validSince: String(Math.floor(Number(u.createdAt) / 1000)), lastLoginAt: String(Date.now()), createdAt: u.createdAt, lastRefreshAt: new Date().toISOString() }],
      });
    }
    if (p.startsWith('/securetoken.googleapis.com/v1/token')) {
      const b = new URLSearchParams(body);
      const raw = b.get('refresh_token') ?? JSON.parse(body || '{}').refresh_token;
      const { rec, error } = spend(raw);
      if (error === 'expired') return fbError(res, 400, 'TOKEN_EXPIRED');
      // Firebase refresh tokens do not rotate; a second use is allowed.
      if (error && error !== 'already_used') return fbError(res, 400, 'INVALID_REFRESH_TOKEN');
      if (rec) rec.used = false;
      const sub = rec?.sub;
      const { u, idToken } = await fbToken(projectId, sub);
      return json(res, 200, {
        access_token: idToken, expires_in: String(life.access), token_type: 'Bearer', refresh_token: raw,
        id_token: idToken, user_id: u.localId, project_id: '0',
      });
    }
    return fbError(res, 404, 'NOT_FOUND');
  }

  server.on('request', (req, res) => {
    cors(req, res);
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => {
      body += d;
      if (body.length > 1e6) req.destroy();
    });
    req.on('end', async () => {
      const url = new URL(req.url, origin);
      const entry = { at: Date.now(), method: req.method, path: url.pathname, target: req.headers['x-amz-target'] || undefined };
      log.push(entry);
      const done = res.end.bind(res);
      res.end = (...a) => {
        entry.status = res.statusCode;
        return done(...a);
      };
      try {
        if (url.pathname.startsWith('/auth/v1/')) return await supabase(req, res, url, body);
        if (url.pathname === '/cognito/' || url.pathname === '/cognito') return await cognito(req, res, url, body);
        if (url.pathname.startsWith('/identitytoolkit.googleapis.com/') || url.pathname.startsWith('/securetoken.googleapis.com/')) return await firebase(req, res, url, body);
        res.writeHead(404).end();
      } catch (e) {
        // A malformed request is the client's mistake: 400, never a 5xx.
        json(res, 400, { error: 'bad_request', message: String(e?.message || e) });
      }
    });
  });

  // The project's public "anon" key, a JWT as GoTrue's are (sent as `apikey`).
  const supabaseAnonKey = await signHs({ iss: 'supabase-demo', role: 'anon', iat: now(), exp: now() + 10 * 365 * 24 * 3600 });

  return {
    origin,
    password,
    supabaseUrl: origin,
    supabaseAnonKey,
    cognitoPoolId,
    cognitoEndpoint: `${origin}/cognito/`,
    firebaseEmulator: origin,
    log,
    /** Expire every refresh token now (the next refresh fails as the provider's expiry does). */
    expireRefreshTokens() {
      for (const r of refresh.values()) r.expiresAt = 0;
    },
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

function cors(req, res) {
  res.setHeader('access-control-allow-origin', req.headers.origin || '*');
  res.setHeader('access-control-allow-credentials', 'true');
  res.setHeader('access-control-allow-methods', 'GET, POST, PUT, DELETE, OPTIONS');
  res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] || '*');
  res.setHeader('access-control-max-age', '600');
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

async function verifyBearer(req, verify) {
  const m = /^Bearer (.+)$/i.exec(req.headers.authorization || '');
  return m ? verifyToken(m[1], verify) : null;
}

async function verifyToken(token, verify) {
  try {
    return (await verify(token)).payload;
  } catch {
    return null;
  }
}
