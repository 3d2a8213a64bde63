import { isUtf8 } from 'node:buffer';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { TrustProxy } from '@flowgate/config';
import type { Logger } from '@flowgate/logger';
import type {
  ApiKeyService,
  ApiKeyVerifier,
  MessageAcceptStore,
  SendMessage,
  TemplateService,
  WorkspaceService,
} from '@flowgate/core';
import { requestContext } from './http/middleware/request-context';
import { accessLog, routeBase } from './http/middleware/access-log';
import { limitDeclaredBody, requireJson } from './http/middleware/require-json';
import { authenticatePartner } from './http/middleware/authenticate-partner';
import { errorHandler, notFound } from './http/errors';
import { adminRouter } from './http/routes/admin.routes';
import { templateSyncRouter, type TemplateSyncRouteDeps } from './http/routes/template-sync.routes';
import { partnerRouter, type PartnerRouteDeps } from './http/routes/partner.routes';
import { healthRouter, type ReadinessCheck } from './http/routes/health.routes';
import { metricsRouter } from './http/routes/metrics.routes';
import { docsRouter } from './http/routes/docs.routes';
import { dashboardRouter } from './http/routes/dashboard.routes';
import type { AdminRouteDeps } from './http/routes/admin.routes';
import { metaWebhooksRouter, type MetaWebhookRouteDeps } from './http/routes/meta-webhooks.routes';
import type { InboxRouteDeps } from './http/routes/inbox.routes';
import type { WebhookRouteDeps } from './http/routes/webhooks.routes';
import type { BroadcastRouteDeps } from './http/routes/broadcasts.routes';

export interface AppDependencies
  extends
    MetaWebhookRouteDeps,
    InboxRouteDeps,
    WebhookRouteDeps,
    BroadcastRouteDeps,
    Pick<TemplateSyncRouteDeps, 'templateSync'>,
    Pick<PartnerRouteDeps, 'rateLimiter' | 'workspaceLimits' | 'account'>,
    Pick<AdminRouteDeps, 'session' | 'messageLog'> {
  logger: Logger;
  jwtSecret: string;
  /** Which proxies may set the client address (never "all": ADR 0009). */
  trustProxy: TrustProxy;
  verifier: ApiKeyVerifier;
  workspaces: WorkspaceService;
  apiKeys: ApiKeyService;
  templates: TemplateService;
  messages: MessageAcceptStore;
  sendMessage: SendMessage;
  readiness: Record<string, ReadinessCheck>;
  /** METRICS_TOKEN: when set, /metrics needs `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined;
  /** The dashboard's build (index.html and assets/); default: dist/dashboard or services/dashboard/dist. */
  dashboardDir?: string | undefined;
}

/** The largest JSON body accepted (413 PAYLOAD_TOO_LARGE beyond). */
export const BODY_LIMIT_BYTES = 256 * 1024;
/** `POST /broadcasts` only: 100,000 recipients with their variables. */
export const BROADCAST_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

/** The JSON body parser: strict, and invalid UTF-8 refused rather than mangled. */
function jsonBody(limit: number): RequestHandler {
  return express.json({
    limit,
    strict: true,
    // body-parser replaces invalid UTF-8 with U+FFFD; refuse it instead of sending mangled text.
    verify: (req, _res, buf) => {
      const charset = /charset=([^;]+)/i
        .exec(req.headers['content-type'] ?? '')?.[1]
        ?.trim()
        .toLowerCase();
      if ((charset === undefined || charset === 'utf-8' || charset === 'utf8') && !isUtf8(buf)) {
        throw Object.assign(new Error('invalid UTF-8'), { type: 'entity.verify.failed' });
      }
    },
  });
}

/** Builds the Express app from its dependencies; never listens (tests use supertest on it). */
export function buildApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  // Express's `trust proxy` takes false, a hop count or a list of addresses/subnets as they are.
  app.set('trust proxy', typeof deps.trustProxy === 'object' ? [...deps.trustProxy] : deps.trustProxy);
  app.set('etag', false);
  app.use(requestContext());
  app.use(accessLog(deps.logger));
  app.use(helmet());
  app.use(healthRouter(deps.readiness));
  app.use(metricsRouter(deps.metricsToken));
  app.use(docsRouter('/api/v1/public/openapi.json'));
  app.use(dashboardRouter(deps.dashboardDir));
  // Meta's intake reads its raw body itself (the signature covers the exact bytes).
  app.use(metaWebhooksRouter(deps));
  app.use(requireJson());
  // A broadcast takes up to 100,000 recipients (docs/contracts.md §11): its own body limit, on
  // this route only, read after the key is checked (nobody unauthenticated makes us parse 32 MiB).
  // Middleware, not a second route: the partner router keeps the one route of the document.
  const onCreateBroadcast =
    (handler: RequestHandler): RequestHandler =>
    (req, res, next) =>
      req.method === 'POST' && (req.path === '/' || req.path === '') ? handler(req, res, next) : next();
  app.use(
    '/api/v1/public/broadcasts',
    onCreateBroadcast(authenticatePartner(deps.verifier)),
    onCreateBroadcast(limitDeclaredBody(BROADCAST_BODY_LIMIT_BYTES)),
    onCreateBroadcast(jsonBody(BROADCAST_BODY_LIMIT_BYTES)),
  );
  app.use(limitDeclaredBody(BODY_LIMIT_BYTES));
  app.use(jsonBody(BODY_LIMIT_BYTES));
  app.use('/api/v1/public', routeBase('/api/v1/public'), partnerRouter(deps));
  // The admin router first: it authenticates the workspace routes (Bearer, or the dashboard's
  // cookie with its CSRF token) for the routes mounted after it too (ADR 0045).
  app.use('/api/v1', routeBase('/api/v1'), adminRouter(deps));
  app.use('/api/v1', routeBase('/api/v1'), templateSyncRouter(deps));
  app.use(notFound());
  app.use(errorHandler(deps.logger));
  return app;
}
