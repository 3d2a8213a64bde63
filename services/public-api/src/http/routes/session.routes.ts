import { Router, type Request } from 'express';
import { SessionResponseSchema, SignedOutResponseSchema } from '@flowgate/contracts';
import { AuthenticationError } from '@flowgate/errors';
import type { WorkspaceMembership, WorkspaceService } from '@flowgate/core';
import { ADMIN_UNAUTHORIZED_MESSAGE } from '../middleware/authenticate-admin';
import {
  clearSession,
  csrfTokenOf,
  issueSession,
  readSession,
  requireCsrf,
  type SessionOptions,
} from '../middleware/session';
import { respond } from '../respond';

export interface SessionRouteDeps {
  workspaces: WorkspaceService;
  session: SessionOptions;
  /** The login check of POST /auth/login: throttled, argon2 in the bounded slot; throws on failure. */
  checkLogin(req: Request): Promise<{ userId: string; email: string; workspaces: WorkspaceMembership[] }>;
}

/**
 * The dashboard's session (docs/contracts.md §13, ADR 0045): POST /auth/session signs in with
 * the cookie, GET /auth/me answers who is signed in (and the CSRF token again, after a reload),
 * DELETE /auth/session signs out.
 */
export function sessionRouter(deps: SessionRouteDeps): Router {
  const router = Router();
  const { secret } = deps.session;

  router.post('/auth/session', async (req, res) => {
    const user = await deps.checkLogin(req);
    const { csrfToken, expiresAt } = issueSession(res, user, deps.session);
    res.setHeader('Cache-Control', 'no-store');
    respond(res, 200, SessionResponseSchema, {
      success: true,
      data: {
        user: { id: user.userId, email: user.email },
        workspaces: user.workspaces,
        csrfToken,
        expiresAt: expiresAt.toISOString(),
      },
    });
  });

  router.get('/auth/me', async (req, res) => {
    const session = readSession(req, secret);
    if (!session) throw new AuthenticationError('UNAUTHORIZED', ADMIN_UNAUTHORIZED_MESSAGE);
    const workspaces = await deps.workspaces.membershipsOf(session.userId);
    res.setHeader('Cache-Control', 'no-store');
    respond(res, 200, SessionResponseSchema, {
      success: true,
      data: {
        user: { id: session.userId, email: session.email },
        workspaces,
        csrfToken: csrfTokenOf(session.sessionId, secret),
        expiresAt: session.expiresAt.toISOString(),
      },
    });
  });

  router.delete('/auth/session', (req, res) => {
    // Signing out is a change too: a cross-site page must not sign the user out.
    const session = readSession(req, secret);
    if (session) requireCsrf(req, session, secret);
    clearSession(res, deps.session);
    respond(res, 200, SignedOutResponseSchema, { success: true, data: { signedOut: true } });
  });

  return router;
}
