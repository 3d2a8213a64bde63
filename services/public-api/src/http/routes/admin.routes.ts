import { Router, type Request } from 'express';
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
import type { ApiKeyService, ApiKeyVerifier, PartnerRateLimiter, WorkspaceService } from '@flowgate/core';
import {
  adminUserId,
  authenticateAdmin,
  signAdminToken,
  JWT_TTL_SECONDS,
} from '../middleware/authenticate-admin';
import { routeBase } from '../middleware/access-log';
import { respond } from '../respond';
import { bodyValidator, paramsValidator } from '../validate';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { authenticateAdminOrSession, type SessionOptions } from '../middleware/session';
import { sessionRouter } from './session.routes';
import { adminResourcesRouter, type AdminResourceRouteDeps } from './admin-resources.routes';

export interface AdminRouteDeps extends AdminResourceRouteDeps {
  jwtSecret: string;
  /** The dashboard's session cookie (docs/contracts.md §13, ADR 0045). */
  session: SessionOptions;
  workspaces: WorkspaceService;
  apiKeys: ApiKeyService;
  verifier: ApiKeyVerifier;
  /** The login budgets live on the shared store (Redis when REDIS_URL is set, ADR 0040). */
  rateLimiter: Pick<PartnerRateLimiter, 'budget'>;
}

const KEY_MANAGERS = ['owner', 'admin'] as const;
/** Members see (docs/contracts.md §13): reads are open to every role, changes to owners and admins. */
const EVERY_ROLE = ['owner', 'admin', 'member'] as const;
const READS = new Set(['GET', 'HEAD']);

/** Admin routes (docs/contracts.md §3): login, and API-key management for owners and admins. */
export function adminRouter(deps: AdminRouteDeps): Router {
  const router = Router();
  const parseLogin = bodyValidator(LoginRequestSchema);
  const parseCreateKey = bodyValidator(CreateApiKeyRequestSchema);
  const readWorkspace = paramsValidator(WorkspaceParamsSchema, 'Workspace not found.');
  const readKey = paramsValidator(ApiKeyParamsSchema, 'API key not found.');
  // Failed logins are budgeted per address and per email (docs/contracts.md §3), reserved before
  // the password is checked, so parallel attempts cannot all pass a check made before any of them
  // failed, and one address cannot walk through endless emails. A success gives its points back.
  // On the shared store, so every API process spends one budget (a Redis outage: per process).
  const perAddress = deps.rateLimiter.budget({
    keyPrefix: 'login-ip',
    points: 30,
    duration: 60,
    blockDuration: 60,
  });
  const perEmail = deps.rateLimiter.budget({
    keyPrefix: 'login-email',
    points: 10,
    duration: 60,
    blockDuration: 60,
  });
  const reserve = async (limiter: RateLimiterAbstract, key: string): Promise<void> => {
    try {
      await limiter.consume(key);
    } catch (err) {
      const wait = err instanceof RateLimiterRes ? Math.max(1, Math.ceil(err.msBeforeNext / 1000)) : 60;
      throw new RateLimitedError('Too many failed logins; retry later.', wait);
    }
  };

  /** The one login check (JWT and session cookie alike): throttled, argon2 in the bounded slot. */
  const checkLogin = async (req: Request) => {
    const { email, password } = parseLogin(req.body);
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const account = email.toLowerCase();
    await reserve(perAddress, address);
    await reserve(perEmail, account);
    // argon2 inside the same bounded semaphore as API-key checks.
    const user = await deps.verifier.withVerificationSlot(() =>
      deps.workspaces.authenticate(email, password),
    );
    if (!user) throw new AuthenticationError('INVALID_CREDENTIALS', 'Wrong email or password.');
    await Promise.all([perAddress.reward(address, 1), perEmail.reward(account, 1)]);
    return user;
  };

  router.post('/auth/login', async (req, res) => {
    const user = await checkLogin(req);
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

  router.use(sessionRouter({ workspaces: deps.workspaces, session: deps.session, checkLogin }));

  const workspace = Router({ mergeParams: true });
  workspace.use(authenticateAdminOrSession(authenticateAdmin(deps.jwtSecret), deps.session.secret));
  workspace.use(async (req, res, next) => {
    const { workspaceId } = readWorkspace(req);
    await deps.workspaces.requireRole(
      workspaceId,
      adminUserId(res),
      READS.has(req.method) ? EVERY_ROLE : KEY_MANAGERS,
    );
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

  workspace.use(adminResourcesRouter(deps));

  router.use('/workspaces/:workspaceId', routeBase('/workspaces/:workspaceId'), workspace);
  return router;
}
