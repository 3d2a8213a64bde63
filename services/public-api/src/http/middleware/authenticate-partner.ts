import type { Request, RequestHandler } from 'express';
import type { ApiKeyVerifier, Principal } from '@flowgate/core';
import { extendContext } from '@flowgate/logger';

/**
 * Reads a key pair from the accepted forms (docs/contracts.md §2.1): `apiKey`/`apiSecret`,
 * `X-API-Key`/`X-API-Secret`, HTTP Basic, or `Authorization: Bearer <apiKey>.<apiSecret>`. Forms may be repeated, but if they disagree (say
 * `apiKey` and `X-API-Key` name different keys) there is no one pair to check: undefined, which
 * gets the same 401 as any other bad credentials.
 */
export function readCredentials(req: Request): { apiKey: string; apiSecret: string } | undefined {
  const keys = new Set<string>();
  const secrets = new Set<string>();
  for (const [k, s] of [
    ['apikey', 'apisecret'],
    ['x-api-key', 'x-api-secret'],
  ] as const) {
    const key = req.get(k);
    const secret = req.get(s);
    if (key !== undefined) keys.add(key);
    if (secret !== undefined) secrets.add(secret);
  }
  const auth = req.get('authorization');
  // `Bearer <apiKey>.<apiSecret>`: one token for clients written for a Bearer API (Fliok's).
  if (auth !== undefined && /^bearer /i.test(auth)) {
    const token = auth.slice(7).trim();
    const dot = token.indexOf('.');
    if (dot <= 0) return undefined;
    keys.add(token.slice(0, dot));
    secrets.add(token.slice(dot + 1));
  }
  if (auth !== undefined && /^basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return undefined;
    keys.add(decoded.slice(0, colon));
    secrets.add(decoded.slice(colon + 1));
  }
  if (keys.size !== 1 || secrets.size !== 1) return undefined;
  const [apiKey] = keys;
  const [apiSecret] = secrets;
  return apiKey !== undefined && apiSecret !== undefined ? { apiKey, apiSecret } : undefined;
}

export function principalOf(res: { locals: Record<string, unknown> }): Principal {
  const p = res.locals['principal'];
  if (typeof p !== 'object' || p === null) throw new Error('route mounted without partner authentication');
  return p as Principal;
}

export function authenticatePartner(verifier: ApiKeyVerifier): RequestHandler {
  return async (req, res, next) => {
    // Already authenticated (a route that checks the key before reading a large body).
    if (res.locals['principal'] !== undefined) return next();
    const principal = await verifier.verify(
      readCredentials(req),
      req.ip ?? req.socket.remoteAddress ?? 'unknown',
    );
    res.locals['principal'] = principal;
    extendContext({ workspaceId: principal.workspaceId });
    next();
  };
}
