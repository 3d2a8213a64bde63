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

/** `Authorization: Bearer <jwt>` from POST /api/v1/auth/login. */
export function authenticateAdmin(secret: string): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization');
    const token = header !== undefined && /^bearer /i.test(header) ? header.slice(7).trim() : undefined;
    if (!token) throw new AuthenticationError();
    let payload: string | jwt.JwtPayload;
    try {
      payload = jwt.verify(token, secret, {
        algorithms: ['HS256'],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
      });
    } catch {
      throw new AuthenticationError();
    }
    if (typeof payload === 'string' || typeof payload.sub !== 'string') throw new AuthenticationError();
    res.locals['userId'] = payload.sub;
    next();
  };
}
