import { Router } from 'express';
import {
  AccountResponseSchema,
  GetTemplateResponseSchema,
  ListTemplatesQuerySchema,
  ListTemplatesResponseSchema,
  MessageIdParamsSchema,
  OpenApiDocumentSchema,
  TEMPLATE_CATEGORIES,
  buildOpenApiDocument,
  type TemplateSummary,
} from '@flowgate/contracts';
import type {
  AccountView,
  ApiKeyVerifier,
  PartnerRateLimiter,
  TemplateService,
  WorkspaceLimits,
} from '@flowgate/core';
import { NotFoundError } from '@flowgate/errors';
import { rateLimitPartner } from '../middleware/rate-limit';
import { paramsValidator, queryValidator } from '../validate';
import { authorizeKey } from '../middleware/authorize-key';
import { authenticatePartner, principalOf } from '../middleware/authenticate-partner';
import { respond } from '../respond';
import { messagesRouter, type MessageRouteDeps } from './messages.routes';
import { inboxRouter, type InboxRouteDeps } from './inbox.routes';
import { webhooksRouter, type WebhookRouteDeps } from './webhooks.routes';
import { broadcastsRouter, type BroadcastRouteDeps } from './broadcasts.routes';
import { oneOf } from './narrow';

export interface PartnerRouteDeps
  extends MessageRouteDeps, InboxRouteDeps, WebhookRouteDeps, BroadcastRouteDeps {
  verifier: ApiKeyVerifier;
  templates: TemplateService;
  rateLimiter: PartnerRateLimiter;
  workspaceLimits: WorkspaceLimits;
  account(workspaceId: string, since: Date): Promise<AccountView | undefined>;
}

type StoredTemplate = Awaited<ReturnType<TemplateService['listApproved']>>[number];

/** A stored template as the API shows it (partner and admin routes alike). */
export function toTemplateSummary(t: StoredTemplate): TemplateSummary {
  return {
    id: t.id,
    name: t.name,
    language: t.language,
    category: oneOf(TEMPLATE_CATEGORIES, t.category, 'template category'),
    status: t.status,
    // Stored as Meta's template API returned them, each component an object with its `type`
    // (checked by `template:add`); strict responses check it again in every test.
    components: t.components as TemplateSummary['components'],
    variables: t.variables,
  };
}

/** Partner routes under /api/v1/public, authenticated with a workspace key pair. */
export function partnerRouter(deps: PartnerRouteDeps): Router {
  const router = Router();
  const openapi = buildOpenApiDocument();
  router.get('/openapi.json', (_req, res) => {
    respond(res, 200, OpenApiDocumentSchema, openapi);
  });
  router.use(authenticatePartner(deps.verifier));
  router.use(authorizeKey());
  router.use(rateLimitPartner(deps.rateLimiter, deps.workspaceLimits));
  router.use(messagesRouter(deps));
  router.use(inboxRouter(deps));
  router.use(webhooksRouter(deps));
  router.use(broadcastsRouter(deps));

  const templatesQuery = queryValidator(ListTemplatesQuerySchema);
  const templateId = paramsValidator(MessageIdParamsSchema, 'Template not found.');

  router.get('/templates', async (req, res) => {
    const { status } = templatesQuery(req);
    const templates = await deps.templates.list(principalOf(res).workspaceId, status ?? 'APPROVED');
    respond(res, 200, ListTemplatesResponseSchema, {
      success: true,
      data: { templates: templates.map(toTemplateSummary) },
    });
  });

  router.get('/templates/:id', async (req, res) => {
    const { id } = templateId(req);
    const template = await deps.templates.get(principalOf(res).workspaceId, id);
    if (!template) throw new NotFoundError('NOT_FOUND', 'Template not found.');
    respond(res, 200, GetTemplateResponseSchema, { success: true, data: toTemplateSummary(template) });
  });

  router.get('/account', async (_req, res) => {
    const workspaceId = principalOf(res).workspaceId;
    const now = new Date();
    const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const account = await deps.account(workspaceId, since);
    if (!account) throw new NotFoundError('NOT_FOUND', 'Workspace not found.');
    const limit = await deps.workspaceLimits(workspaceId);
    respond(res, 200, AccountResponseSchema, {
      success: true,
      data: {
        workspace: { ...account.workspace, createdAt: account.workspace.createdAt.toISOString() },
        phoneNumbers: account.phoneNumbers,
        usage: {
          period: since.toISOString().slice(0, 7),
          messages: account.messages,
          byCategory: {
            marketing: account.byCategory['marketing'] ?? 0,
            utility: account.byCategory['utility'] ?? 0,
            authentication: account.byCategory['authentication'] ?? 0,
            service: account.byCategory['service'] ?? 0,
          },
        },
        rateLimit: { requestsPerSecond: limit.perSecond, burst: limit.burst },
      },
    });
  });

  return router;
}
