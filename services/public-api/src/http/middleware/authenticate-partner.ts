import type { Request, RequestHandler } from 'express';
import type { ApiKeyVerifier, Principal } from '@flowgate/core';
import { extendContext } from '@flowgate/logger';

/** Reads a key pair from any of the three accepted forms (DESIGN §2.1). */
export function readCredentials(req: Request): { apiKey: string; apiSecret: string } | undefined {
  const apiKey = req.get('apikey') ?? req.get('x-api-key');
  const apiSecret = req.get('apisecret') ?? req.get('x-api-secret');
  if (apiKey !== undefined && apiSecret !== undefined) return { apiKey, apiSecret };
  const auth = req.get('authorization');
  if (auth !== undefined && /^basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { apiKey: decoded.slice(0, colon), apiSecret: decoded.slice(colon + 1) };
  }
  return undefined;
}

export function principalOf(res: { locals: Record<string, unknown> }): Principal {
  const p = res.locals['principal'];
  if (typeof p !== 'object' || p === null) throw new Error('route mounted without partner authentication');
  return p as Principal;
}

export function authenticatePartner(verifier: ApiKeyVerifier): RequestHandler {
  return async (req, res, next) => {
    const principal = await verifier.verify(
      readCredentials(req),
      req.ip ?? req.socket.remoteAddress ?? 'unknown',
    );
    res.locals['principal'] = principal;
    extendContext({ workspaceId: principal.workspaceId });
    next();
  };
}
