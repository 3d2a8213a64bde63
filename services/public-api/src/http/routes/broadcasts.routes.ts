import { Router } from 'express';
import {
  CancelBroadcastResponseSchema,
  CreateBroadcastBodySchema,
  CreateBroadcastResponseSchema,
  GetBroadcastResponseSchema,
  ListBroadcastsQuerySchema,
  ListBroadcastsResponseSchema,
  MessageIdParamsSchema,
  type Broadcast,
} from '@flowgate/contracts';
import { ConflictError, NotFoundError } from '@flowgate/errors';
import type { BroadcastService, BroadcastView } from '@flowgate/core';
import { principalOf } from '../middleware/authenticate-partner';
import { respond } from '../respond';
import { bodyValidator, paramsValidator, queryValidator } from '../validate';
import { decodeCursor, limitOf, page } from '../pagination';

export interface BroadcastRouteDeps {
  broadcasts: BroadcastService;
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** A broadcast as the API shows it (partner and admin routes alike). */
export function toBroadcast(b: BroadcastView): Broadcast {
  return {
    id: b.id,
    name: b.name,
    templateName: b.templateName,
    templateLanguage: b.templateLanguage,
    phoneNumberId: b.phoneNumberId,
    status: b.status,
    total: b.total,
    duplicates: b.duplicates,
    counts: b.counts,
    scheduledAt: iso(b.scheduledAt),
    createdAt: b.createdAt.toISOString(),
    startedAt: iso(b.startedAt),
    completedAt: iso(b.completedAt),
  };
}

/**
 * Broadcasts (docs/contracts.md §11), behind partner authentication; the use cases are in
 * @flowgate/core. The dashboard mounts it without `create` (creating a broadcast needs a key).
 */
export function broadcastsRouter(deps: BroadcastRouteDeps, opts: { create?: boolean } = {}): Router {
  const router = Router();
  const parseCreate = bodyValidator(CreateBroadcastBodySchema);
  const listQuery = queryValidator(ListBroadcastsQuerySchema);
  const broadcastId = paramsValidator(MessageIdParamsSchema, 'Broadcast not found.');

  if (opts.create !== false)
    router.post('/broadcasts', async (req, res) => {
      const body = parseCreate(req.body);
      const principal = principalOf(res);
      const created = await deps.broadcasts.create(body, {
        workspaceId: principal.workspaceId,
        apiKeyId: principal.apiKeyId,
        requestId: typeof res.locals['requestId'] === 'string' ? res.locals['requestId'] : null,
      });
      respond(res, 201, CreateBroadcastResponseSchema, { success: true, data: created });
    });

  router.get('/broadcasts', async (req, res) => {
    const q = listQuery(req);
    const limit = limitOf(q.limit);
    const rows = await deps.broadcasts.list(
      principalOf(res).workspaceId,
      { status: q.status },
      limit,
      decodeCursor(q.cursor),
    );
    const { items, nextCursor } = page(rows, limit);
    respond(res, 200, ListBroadcastsResponseSchema, {
      success: true,
      data: { broadcasts: items.map(toBroadcast), nextCursor },
    });
  });

  router.get('/broadcasts/:id', async (req, res) => {
    const { id } = broadcastId(req);
    const b = await deps.broadcasts.get(principalOf(res).workspaceId, id);
    if (!b) throw new NotFoundError('NOT_FOUND', 'Broadcast not found.');
    respond(res, 200, GetBroadcastResponseSchema, { success: true, data: toBroadcast(b) });
  });

  router.post('/broadcasts/:id/cancel', async (req, res) => {
    const { id } = broadcastId(req);
    const b = await deps.broadcasts.cancel(principalOf(res).workspaceId, id);
    if (!b) throw new NotFoundError('NOT_FOUND', 'Broadcast not found.');
    if (b === 'finished')
      throw new ConflictError('BROADCAST_FINISHED', 'The broadcast has completed or was cancelled already.');
    respond(res, 200, CancelBroadcastResponseSchema, { success: true, data: toBroadcast(b) });
  });

  return router;
}
