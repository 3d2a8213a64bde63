import { Router } from 'express';
import {
  GetMessageResponseSchema,
  ListPhoneNumbersResponseSchema,
  ListTemplatesQuerySchema,
  ListTemplatesResponseSchema,
  ListWorkspaceMessagesQuerySchema,
  ListWorkspaceMessagesResponseSchema,
  MESSAGE_STATUSES,
  MessageIdParamsSchema,
} from '@flowgate/contracts';
import { NotFoundError } from '@flowgate/errors';
import type { AccountView, MessageAcceptStore, MessageLogStore, TemplateService } from '@flowgate/core';
import { respond } from '../respond';
import { paramsValidator, queryValidator } from '../validate';
import { decodeCursor, limitOf, page } from '../pagination';
import { toMessageView } from './messages.routes';
import { inboxRouter, type InboxRouteDeps } from './inbox.routes';
import { webhooksRouter, type WebhookRouteDeps } from './webhooks.routes';
import { broadcastsRouter, type BroadcastRouteDeps } from './broadcasts.routes';
import { toTemplateSummary } from './partner.routes';
import { oneOf } from './narrow';

export interface AdminResourceRouteDeps extends InboxRouteDeps, WebhookRouteDeps, BroadcastRouteDeps {
  templates: TemplateService;
  messages: MessageAcceptStore;
  messageLog: MessageLogStore;
  account(workspaceId: string, since: Date): Promise<AccountView | undefined>;
}

const workspaceOf = (res: { locals: Record<string, unknown> }): string => {
  const id = res.locals['workspaceId'];
  if (typeof id !== 'string') throw new Error('admin resources mounted without a workspace');
  return id;
};

/**
 * What the dashboard shows (docs/contracts.md §13), under /api/v1/workspaces/:workspaceId, behind
 * admin authentication and the role check of the admin router (members read; owners and admins
 * change). Webhooks, contacts and conversations are the partner routers themselves, on the same
 * use cases, with the workspace of the signed-in member in place of a key's.
 */
export function adminResourcesRouter(deps: AdminResourceRouteDeps): Router {
  const router = Router();
  const messagesQuery = queryValidator(ListWorkspaceMessagesQuerySchema);
  const messageId = paramsValidator(MessageIdParamsSchema, 'Message not found.');
  const templatesQuery = queryValidator(ListTemplatesQuerySchema);

  // The partner routers read the workspace from a principal; an admin acts with no key.
  router.use((_req, res, next) => {
    res.locals['principal'] = {
      workspaceId: workspaceOf(res),
      apiKeyId: '',
      scopes: null,
      allowedIps: null,
    };
    next();
  });
  router.use(webhooksRouter(deps));
  router.use(inboxRouter(deps));
  // Broadcasts: list, one, cancel (creating one needs a key).
  router.use(broadcastsRouter(deps, { create: false }));

  router.get('/messages', async (req, res) => {
    const q = messagesQuery(req);
    const limit = limitOf(q.limit);
    const rows = await deps.messageLog.list(
      workspaceOf(res),
      { status: q.status, direction: q.direction },
      limit,
      decodeCursor(q.cursor),
    );
    const { items, nextCursor } = page(rows, limit);
    respond(res, 200, ListWorkspaceMessagesResponseSchema, {
      success: true,
      data: {
        messages: items.map((m) => ({
          id: m.id,
          direction: m.direction,
          type: m.type,
          status: m.status === null ? null : oneOf(MESSAGE_STATUSES, m.status, 'message status'),
          phone: m.phone,
          templateName: m.templateName,
          preview: m.preview,
          createdAt: m.createdAt.toISOString(),
        })),
        nextCursor,
      },
    });
  });

  router.get('/messages/:id', async (req, res) => {
    const { id } = messageId(req);
    const view = await deps.messages.view(workspaceOf(res), id);
    if (!view) throw new NotFoundError('NOT_FOUND', 'Message not found.');
    respond(res, 200, GetMessageResponseSchema, { success: true, data: toMessageView(view) });
  });

  router.get('/templates', async (req, res) => {
    const { status } = templatesQuery(req);
    // The dashboard shows every template with its review status unless asked for one.
    const templates = await deps.templates.list(workspaceOf(res), status ?? 'ALL');
    respond(res, 200, ListTemplatesResponseSchema, {
      success: true,
      data: {
        templates: templates.map(toTemplateSummary),
      },
    });
  });

  router.get('/phone-numbers', async (_req, res) => {
    const account = await deps.account(workspaceOf(res), new Date());
    if (!account) throw new NotFoundError('NOT_FOUND', 'Workspace not found.');
    respond(res, 200, ListPhoneNumbersResponseSchema, {
      success: true,
      data: { phoneNumbers: account.phoneNumbers },
    });
  });

  return router;
}
