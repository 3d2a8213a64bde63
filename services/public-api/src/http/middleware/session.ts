import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import jwt from 'jsonwebtoken';
import { CSRF_HEADER_NAME, SESSION_COOKIE_NAME } from '@flowgate/contracts';
import { AuthenticationError, ForbiddenError } from '@flowgate/errors';
import { ADMIN_UNAUTHORIZED_MESSAGE, JWT_ISSUER } from './authenticate-admin';

/**
 * The dashboard's session (docs/contracts.md §13, ADR 0045): a JWT of its own audience in an
 * httpOnly, SameSite=Strict cookie (Secure outside development), and a CSRF token bound to it.
 * The token is an HMAC of the session's random id, answered by POST /auth/session and
 * GET /auth/me and held in the page's memory only; every POST, PATCH and DELETE made with the
 * cookie must carry it in X-CSRF-Token (403 otherwise). A Bearer JWT needs no CSRF token: a
 * browser never attaches it on its own.
 */
export const SESSION_AUDIENCE = 'flowgate-dashboard';
export const SESSION_TTL_SECONDS = 8 * 3600;
export const SESSION_COOKIE_PATH = '/api/v1';

export interface SessionOptions {
  secret: string;
  /** Mark the cookie Secure (everywhere but development and embedded mode). */
  secureCookie: boolean;
}

/** The cookie's value from the Cookie header (no cookie-parser: this is the only cookie we read). */
export function readCookie(req: Request, name = SESSION_COOKIE_NAME): string | undefined {
  const header = req.get('cookie');
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The CSRF token of a session id: derived, so nothing is stored server-side. */
export function csrfTokenOf(sessionId: string, secret: string): string {
  return createHmac('sha256', secret).update(`csrf:${sessionId}`).digest('base64url');
}

export function issueSession(
  res: Response,
  user: { userId: string; email: string },
  opts: SessionOptions,
): { csrfToken: string; expiresAt: Date } {
  const sessionId = randomBytes(16).toString('base64url');
  const token = jwt.sign({ sid: sessionId, email: user.email }, opts.secret, {
    subject: user.userId,
    algorithm: 'HS256',
    expiresIn: SESSION_TTL_SECONDS,
    issuer: JWT_ISSUER,
    audience: SESSION_AUDIENCE,
  });
  res.cookie(SESSION_COOKIE_NAME, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: opts.secureCookie,
    path: SESSION_COOKIE_PATH,
    maxAge: SESSION_TTL_SECONDS * 1000,
  });
  return {
    csrfToken: csrfTokenOf(sessionId, opts.secret),
    expiresAt: new Date(Date.now() + SESSION_TTL_SECONDS * 1000),
  };
}

export function clearSession(res: Response, opts: SessionOptions): void {
  res.clearCookie(SESSION_COOKIE_NAME, {
    httpOnly: true,
    sameSite: 'strict',
    secure: opts.secureCookie,
    path: SESSION_COOKIE_PATH,
  });
}

export interface SessionClaims {
  userId: string;
  email: string;
  sessionId: string;
  expiresAt: Date;
}

/** The session of the request's cookie, or undefined (missing, forged, expired). */
export function readSession(req: Request, secret: string): SessionClaims | undefined {
  const token = readCookie(req);
  if (token === undefined || token === '') return undefined;
  try {
    const payload = jwt.verify(token, secret, {
      algorithms: ['HS256'],
      issuer: JWT_ISSUER,
      audience: SESSION_AUDIENCE,
    });
    if (typeof payload === 'string' || typeof payload.sub !== 'string') return undefined;
    const sid: unknown = payload['sid'];
    const email: unknown = payload['email'];
    if (typeof sid !== 'string' || typeof email !== 'string' || typeof payload.exp !== 'number')
      return undefined;
    return { userId: payload.sub, email, sessionId: sid, expiresAt: new Date(payload.exp * 1000) };
  } catch {
    return undefined;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** 403 unless X-CSRF-Token is the session's token (compared in constant time). */
export function requireCsrf(req: Request, session: SessionClaims, secret: string): void {
  if (SAFE_METHODS.has(req.method)) return;
  const sent = req.get(CSRF_HEADER_NAME) ?? '';
  const expected = Buffer.from(csrfTokenOf(session.sessionId, secret));
  const given = Buffer.from(sent);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new ForbiddenError(
      'FORBIDDEN',
      `Missing or wrong ${CSRF_HEADER_NAME}: send the csrfToken of GET /api/v1/auth/me with every change.`,
    );
}

/**
 * Admin authentication for the workspace routes: `Authorization: Bearer <jwt>` from
 * POST /auth/login (verified by `bearer`), or the dashboard's session cookie plus, on a
 * state-changing call, its CSRF token. Sets `res.locals.userId`.
 */
export function authenticateAdminOrSession(bearer: RequestHandler, secret: string): RequestHandler {
  return (req, res, next) => {
    if (req.get('authorization') !== undefined) {
      bearer(req, res, next);
      return;
    }
    const session = readSession(req, secret);
    if (!session) throw new AuthenticationError('UNAUTHORIZED', ADMIN_UNAUTHORIZED_MESSAGE);
    requireCsrf(req, session, secret);
    res.locals['userId'] = session.userId;
    res.locals['session'] = session;
    next();
  };
}
