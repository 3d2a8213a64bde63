import { Router } from 'express';
import { LoginRequestSchema, CreateApiKeyRequestSchema } from '@flowgate/contracts';
import { AuthenticationError, NotFoundError, RateLimitedError } from '@flowgate/errors';
import { isUuid, type ApiKeyService, type ApiKeyVerifier, type WorkspaceService } from '@flowgate/core';
import {
  adminUserId,
  authenticateAdmin,
  signAdminToken,
  JWT_TTL_SECONDS,
} from '../middleware/authenticate-admin';
import { routeBase } from '../middleware/access-log';
import { bodyValidator } from '../validate';
import { RateLimiterMemory } from 'rate-limiter-flexible';

export interface AdminRouteDeps {
  jwtSecret: string;
  workspaces: WorkspaceService;
  apiKeys: ApiKeyService;
  verifier: ApiKeyVerifier;
}

const KEY_MANAGERS = ['owner', 'admin'] as const;

/** Admin routes (docs/contracts.md §3): login, and API-key management for owners and admins. */
export function adminRouter(deps: AdminRouteDeps): Router {
  const router = Router();
  const parseLogin = bodyValidator(LoginRequestSchema);
  const parseCreateKey = bodyValidator(CreateApiKeyRequestSchema);
  const loginFailures = new RateLimiterMemory({ points: 10, duration: 60, blockDuration: 60 });

  router.post('/auth/login', async (req, res) => {
    const { email, password } = parseLogin(req.body);
    const throttleKey = `${req.ip ?? ''}|${email.toLowerCase()}`;
    const state = await loginFailures.get(throttleKey);
    if (state && state.remainingPoints <= 0)
      throw new RateLimitedError(
        'Too many failed logins; retry later.',
        Math.ceil(state.msBeforeNext / 1000),
      );
    const user = await deps.workspaces.authenticate(email, password);
    if (!user) {
      await loginFailures.penalty(throttleKey, 1);
      throw new AuthenticationError('INVALID_CREDENTIALS', 'Wrong email or password.');
    }
    res.json({
      success: true,
      data: {
        token: signAdminToken(user.userId, deps.jwtSecret),
        expiresIn: JWT_TTL_SECONDS,
        user: { id: user.userId, email: user.email },
        workspaces: user.workspaces,
      },
    });
  });

  const workspace = Router({ mergeParams: true });
  workspace.use(authenticateAdmin(deps.jwtSecret));
  workspace.use(async (req, res, next) => {
    const workspaceId = String(req.params['workspaceId']);
    if (!isUuid(workspaceId)) throw new NotFoundError('NOT_FOUND', 'Workspace not found.');
    await deps.workspaces.requireRole(workspaceId, adminUserId(res), KEY_MANAGERS);
    res.locals['workspaceId'] = workspaceId;
    next();
  });

  workspace.get('/api-keys', async (_req, res) => {
    const keys = await deps.apiKeys.list(String(res.locals['workspaceId']));
    res.json({ success: true, data: { apiKeys: keys } });
  });

  workspace.post('/api-keys', async (req, res) => {
    const { label } = parseCreateKey(req.body);
    const created = await deps.apiKeys.create({
      workspaceId: String(res.locals['workspaceId']),
      label,
      createdBy: adminUserId(res),
    });
    res.status(201).json({ success: true, data: created });
  });

  workspace.delete('/api-keys/:keyId', async (req, res) => {
    const workspaceId = String(res.locals['workspaceId']);
    await deps.apiKeys.revoke(workspaceId, { id: String(req.params['keyId']) });
    res.json({ success: true, data: { revoked: true } });
  });

  router.use('/workspaces/:workspaceId', routeBase('/workspaces/:workspaceId'), workspace);
  return router;
}
