import { Router } from 'express';
import {
  CreateWebhookBodySchema,
  CreateWebhookResponseSchema,
  DeliveryAttemptResponseSchema,
  DeliveryIdParamsSchema,
  ListDeliveriesQuerySchema,
  ListDeliveriesResponseSchema,
  ListWebhooksResponseSchema,
  RotateSecretResponseSchema,
  UpdateWebhookBodySchema,
  WebhookIdParamsSchema,
  WebhookResponseSchema,
  type DeliveryAttemptView,
  type WebhookEndpointView,
} from '@flowgate/contracts';
import type { DeliveryView, WebhookEndpoint, WebhookService } from '@flowgate/core';
import { principalOf } from '../middleware/authenticate-partner';
import { respond } from '../respond';
import { bodyValidator, paramsValidator, queryValidator } from '../validate';
import { decodeCursor, limitOf, page } from '../pagination';

export interface WebhookRouteDeps {
  webhooks: WebhookService;
}

const toView = (e: WebhookEndpoint): WebhookEndpointView => ({
  id: e.id,
  url: e.url,
  events: e.events,
  description: e.description,
  status: e.status,
  disabledReason: e.disabledReason,
  createdAt: e.createdAt.toISOString(),
  updatedAt: e.updatedAt.toISOString(),
});

const toAttempt = (d: DeliveryView): DeliveryAttemptView => ({
  id: d.id,
  eventId: d.eventId,
  event: d.eventType,
  attempt: d.attempt,
  outcome: d.outcome,
  httpStatus: d.httpStatus,
  durationMs: d.durationMs,
  error: d.error,
  nextAttemptAt: d.nextAttemptAt === null ? null : d.nextAttemptAt.toISOString(),
  createdAt: d.createdAt.toISOString(),
});

/** Partners' webhook endpoints (docs/contracts.md §10), behind partner authentication. */
export function webhooksRouter(deps: WebhookRouteDeps): Router {
  const router = Router();
  const createBody = bodyValidator(CreateWebhookBodySchema);
  const updateBody = bodyValidator(UpdateWebhookBodySchema);
  const webhookId = paramsValidator(WebhookIdParamsSchema, 'Webhook not found.');
  const deliveryId = paramsValidator(DeliveryIdParamsSchema, 'Delivery not found.');
  const deliveriesQuery = queryValidator(ListDeliveriesQuerySchema);
  const ws = (res: Parameters<typeof principalOf>[0]): string => principalOf(res).workspaceId;

  router.get('/webhooks', async (_req, res) => {
    const list = await deps.webhooks.list(ws(res));
    respond(res, 200, ListWebhooksResponseSchema, { success: true, data: { webhooks: list.map(toView) } });
  });

  router.post('/webhooks', async (req, res) => {
    const { endpoint, secret } = await deps.webhooks.create(ws(res), createBody(req.body));
    res.setHeader('Location', `/api/v1/public/webhooks/${endpoint.id}`);
    respond(res, 201, CreateWebhookResponseSchema, { success: true, data: { ...toView(endpoint), secret } });
  });

  router.patch('/webhooks/:id', async (req, res) => {
    const { id } = webhookId(req);
    const endpoint = await deps.webhooks.update(ws(res), id, updateBody(req.body));
    respond(res, 200, WebhookResponseSchema, { success: true, data: toView(endpoint) });
  });

  router.delete('/webhooks/:id', async (req, res) => {
    const { id } = webhookId(req);
    const endpoint = await deps.webhooks.remove(ws(res), id);
    respond(res, 200, WebhookResponseSchema, { success: true, data: toView(endpoint) });
  });

  router.get('/webhooks/:id/deliveries', async (req, res) => {
    const { id } = webhookId(req);
    const q = deliveriesQuery(req);
    const limit = limitOf(q.limit);
    const rows = await deps.webhooks.deliveries(ws(res), id, q.status, limit, decodeCursor(q.cursor));
    const { items, nextCursor } = page(rows, limit);
    respond(res, 200, ListDeliveriesResponseSchema, {
      success: true,
      data: { deliveries: items.map(toAttempt), nextCursor },
    });
  });

  router.post('/webhooks/:id/deliveries/:deliveryId/redeliver', async (req, res) => {
    const p = deliveryId(req);
    const attempt = await deps.webhooks.redeliver(ws(res), p.id, p.deliveryId);
    respond(res, 200, DeliveryAttemptResponseSchema, { success: true, data: toAttempt(attempt) });
  });

  router.post('/webhooks/:id/test', async (req, res) => {
    const { id } = webhookId(req);
    const attempt = await deps.webhooks.test(ws(res), id);
    respond(res, 200, DeliveryAttemptResponseSchema, { success: true, data: toAttempt(attempt) });
  });

  router.post('/webhooks/:id/rotate-secret', async (req, res) => {
    const { id } = webhookId(req);
    const { endpoint, secret } = await deps.webhooks.rotate(ws(res), id);
    respond(res, 200, RotateSecretResponseSchema, {
      success: true,
      data: {
        ...toView(endpoint),
        secret,
        previousSecretExpiresAt: (endpoint.previousSecretExpiresAt ?? new Date()).toISOString(),
      },
    });
  });

  return router;
}
