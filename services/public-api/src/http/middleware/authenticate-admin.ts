import type { RequestHandler } from 'express';
import jwt from 'jsonwebtoken';
import { AuthenticationError } from '@flowgate/errors';

export const JWT_ISSUER = 'flowgate';
export const JWT_AUDIENCE = 'flowgate-admin';
export const JWT_TTL_SECONDS = 3600;

export function signAdminToken(userId: string, secret: string): string {
  return jwt.sign({}, secret, {
    subject: userId,
    algorithm: 'HS256',
    expiresIn: JWT_TTL_SECONDS,
    issuer: JWT_ISSUER,
    audience: JWT_AUDIENCE,
  });
}

export function adminUserId(res: { locals: Record<string, unknown> }): string {
  const id = res.locals['userId'];
  if (typeof id !== 'string') throw new Error('route mounted without admin authentication');
  return id;
}

/** The admin routes' 401: one body for a missing, malformed, forged or expired session token. */
export const ADMIN_UNAUTHORIZED_MESSAGE =
  'Missing, invalid or expired session token. Log in with POST /api/v1/auth/login and send Authorization: Bearer <token>.';

const unauthorized = (): AuthenticationError =>
  new AuthenticationError('UNAUTHORIZED', ADMIN_UNAUTHORIZED_MESSAGE);

/** `Authorization: Bearer <jwt>` from POST /api/v1/auth/login. */
export function authenticateAdmin(secret: string): RequestHandler {
  return (req, res, next) => {
    // Already authenticated by the admin router (Bearer, or the dashboard's cookie with its CSRF
    // token, ADR 0045) before the request reached a route mounted after it.
    if (typeof res.locals['userId'] === 'string') return next();
    const header = req.get('authorization');
    const token = header !== undefined && /^bearer /i.test(header) ? header.slice(7).trim() : undefined;
    if (!token) throw unauthorized();
    let payload: string | jwt.JwtPayload;
    try {
      payload = jwt.verify(token, secret, {
        algorithms: ['HS256'],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
      });
    } catch {
      throw unauthorized();
    }
    if (typeof payload === 'string' || typeof payload.sub !== 'string') throw unauthorized();
    res.locals['userId'] = payload.sub;
    next();
  };
}
