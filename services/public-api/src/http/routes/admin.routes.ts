import { Router } from 'express';
import {
  ApiKeyParamsSchema,
  CreateApiKeyRequestSchema,
  API_KEY_SCOPES,
  CreateApiKeyResponseSchema,
  ListApiKeysResponseSchema,
  LoginRequestSchema,
  LoginResponseSchema,
  RevokeApiKeyResponseSchema,
  WorkspaceParamsSchema,
} from '@flowgate/contracts';
import { AuthenticationError, RateLimitedError } from '@flowgate/errors';
import type { ApiKeyService, ApiKeyVerifier, WorkspaceService } from '@flowgate/core';
import {
  adminUserId,
  authenticateAdmin,
  signAdminToken,
  JWT_TTL_SECONDS,
} from '../middleware/authenticate-admin';
import { routeBase } from '../middleware/access-log';
import { respond } from '../respond';
import { bodyValidator, paramsValidator } from '../validate';
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
  const readWorkspace = paramsValidator(WorkspaceParamsSchema, 'Workspace not found.');
  const readKey = paramsValidator(ApiKeyParamsSchema, 'API key not found.');
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
    respond(res, 200, LoginResponseSchema, {
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
    const { workspaceId } = readWorkspace(req);
    await deps.workspaces.requireRole(workspaceId, adminUserId(res), KEY_MANAGERS);
    res.locals['workspaceId'] = workspaceId;
    next();
  });

  workspace.get('/api-keys', async (_req, res) => {
    const keys = await deps.apiKeys.list(String(res.locals['workspaceId']));
    respond(res, 200, ListApiKeysResponseSchema, {
      success: true,
      data: {
        apiKeys: keys.map((k) => ({
          id: k.id,
          label: k.label,
          apiKey: k.apiKey,
          createdBy: k.createdBy,
          scopes: k.scopes ?? [...API_KEY_SCOPES],
          allowedIps: k.allowedIps,
          createdAt: k.createdAt.toISOString(),
          lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
          revokedAt: k.revokedAt?.toISOString() ?? null,
        })),
      },
    });
  });

  workspace.post('/api-keys', async (req, res) => {
    const { label, scopes, allowedIps } = parseCreateKey(req.body);
    const created = await deps.apiKeys.create({
      workspaceId: String(res.locals['workspaceId']),
      label,
      scopes,
      allowedIps,
      createdBy: adminUserId(res),
    });
    respond(res, 201, CreateApiKeyResponseSchema, {
      success: true,
      data: {
        id: created.id,
        apiKey: created.apiKey,
        apiSecret: created.apiSecret,
        bearerToken: `${created.apiKey}.${created.apiSecret}`,
        label: created.label,
        scopes: created.scopes ?? [...API_KEY_SCOPES],
        allowedIps: created.allowedIps,
        createdAt: created.createdAt.toISOString(),
      },
    });
  });

  workspace.delete('/api-keys/:keyId', async (req, res) => {
    const { workspaceId, keyId } = readKey(req);
    await deps.apiKeys.revoke(workspaceId, { id: keyId });
    respond(res, 200, RevokeApiKeyResponseSchema, { success: true, data: { revoked: true } });
  });

  router.use('/workspaces/:workspaceId', routeBase('/workspaces/:workspaceId'), workspace);
  return router;
}
