import { Router } from 'express';
import {
  CreateContactBodySchema,
  DeleteContactResponseSchema,
  UpdateContactBodySchema,
  GetContactResponseSchema,
  ListContactsQuerySchema,
  ListContactsResponseSchema,
  ListConversationMessagesResponseSchema,
  ListConversationsQuerySchema,
  ListConversationsResponseSchema,
  ListPageQuerySchema,
  MessageIdParamsSchema,
  type Contact,
} from '@flowgate/contracts';
import { NotFoundError, ValidationError } from '@flowgate/errors';
import {
  SESSION_WINDOW_MS,
  type ContactService,
  type ContactStore,
  type ContactView,
  type ConversationStore,
  type PageCursor,
} from '@flowgate/core';
import { principalOf } from '../middleware/authenticate-partner';
import { respond } from '../respond';
import { bodyValidator, paramsValidator, queryValidator } from '../validate';

export interface InboxRouteDeps {
  contacts: ContactStore;
  contactWrites: ContactService;
  conversations: ConversationStore;
}

const DEFAULT_LIMIT = 20;

/** `nextCursor`: the last item's time and id, opaque to clients (base64url). */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`, 'utf8').toString('base64url');
}

const CURSOR =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** A cursor we did not make (or one tampered with) is 400, never a 500 or a silent first page. */
export function decodeCursor(cursor: string | undefined): PageCursor | undefined {
  if (cursor === undefined) return undefined;
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const at = match?.[1] === undefined ? NaN : Date.parse(match[1]);
  if (!match?.[2] || Number.isNaN(at))
    throw new ValidationError('VALIDATION_FAILED', 'The cursor is not one this API returned.', [
      { path: '/cursor', message: 'invalid cursor' },
    ]);
  return { at: new Date(at), id: match[2] };
}

/** Splits a `limit + 1` read into the page and its next cursor. */
function page<T>(
  rows: T[],
  limit: number,
  key: (row: T) => { at: Date; id: string },
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(key(last).at, key(last).id) : null };
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** lastInboundAt + 24 h while that is in the future. */
export function windowOpenUntil(lastInboundAt: Date | null, now = Date.now()): string | null {
  if (lastInboundAt === null) return null;
  const until = lastInboundAt.getTime() + SESSION_WINDOW_MS;
  return until > now ? new Date(until).toISOString() : null;
}

function toContact(c: ContactView): Contact {
  return {
    id: c.id,
    phone: c.phone,
    name: c.name,
    email: c.email,
    tags: c.tags,
    attributes: c.attributes,
    optedOut: c.optedOut,
    optedOutAt: iso(c.optedOutAt),
    lastInboundAt: iso(c.lastInboundAt),
    windowOpenUntil: windowOpenUntil(c.lastInboundAt),
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

/** The read routes of contacts and conversations (docs/contracts.md §11), behind partner authentication. */
export function inboxRouter(deps: InboxRouteDeps): Router {
  const router = Router();
  const contactsQuery = queryValidator(ListContactsQuerySchema);
  const conversationsQuery = queryValidator(ListConversationsQuerySchema);
  const pageQuery = queryValidator(ListPageQuerySchema);
  const contactId = paramsValidator(MessageIdParamsSchema, 'Contact not found.');
  const conversationId = paramsValidator(MessageIdParamsSchema, 'Conversation not found.');

  router.get('/contacts', async (req, res) => {
    const q = contactsQuery(req);
    const limit = q.limit === undefined ? DEFAULT_LIMIT : Number(q.limit);
    const rows = await deps.contacts.list(
      principalOf(res).workspaceId,
      {
        search: q.search,
        tag: q.tag,
        optedOut: q.optedOut === undefined ? undefined : q.optedOut === 'true',
      },
      limit,
      decodeCursor(q.cursor),
    );
    const { items, nextCursor } = page(rows, limit, (c) => ({ at: c.createdAt, id: c.id }));
    respond(res, 200, ListContactsResponseSchema, {
      success: true,
      data: { contacts: items.map(toContact), nextCursor },
    });
  });

  router.get('/contacts/:id', async (req, res) => {
    const { id } = contactId(req);
    const contact = await deps.contacts.get(principalOf(res).workspaceId, id);
    if (!contact) throw new NotFoundError('NOT_FOUND', 'Contact not found.');
    respond(res, 200, GetContactResponseSchema, { success: true, data: toContact(contact) });
  });

  const createBody = bodyValidator(CreateContactBodySchema);
  const updateBody = bodyValidator(UpdateContactBodySchema);

  router.post('/contacts', async (req, res) => {
    const contact = await deps.contactWrites.create(principalOf(res).workspaceId, createBody(req.body));
    res.setHeader('Location', `/api/v1/public/contacts/${contact.id}`);
    respond(res, 201, GetContactResponseSchema, { success: true, data: toContact(contact) });
  });

  router.patch('/contacts/:id', async (req, res) => {
    const { id } = contactId(req);
    const contact = await deps.contactWrites.update(principalOf(res).workspaceId, id, updateBody(req.body));
    respond(res, 200, GetContactResponseSchema, { success: true, data: toContact(contact) });
  });

  router.delete('/contacts/:id', async (req, res) => {
    const { id } = contactId(req);
    await deps.contactWrites.remove(principalOf(res).workspaceId, id);
    respond(res, 200, DeleteContactResponseSchema, { success: true, data: { id, deleted: true } });
  });

  router.get('/conversations', async (req, res) => {
    const q = conversationsQuery(req);
    const limit = q.limit === undefined ? DEFAULT_LIMIT : Number(q.limit);
    const rows = await deps.conversations.list(
      principalOf(res).workspaceId,
      q.status === 'open',
      limit,
      decodeCursor(q.cursor),
    );
    const { items, nextCursor } = page(rows, limit, (c) => ({ at: c.lastActivityAt, id: c.id }));
    respond(res, 200, ListConversationsResponseSchema, {
      success: true,
      data: {
        conversations: items.map((c) => ({
          id: c.id,
          contact: c.contact,
          phoneNumberId: c.phoneNumberId,
          lastMessage: c.lastMessage ? { ...c.lastMessage, at: c.lastMessage.at.toISOString() } : null,
          lastInboundAt: iso(c.lastInboundAt),
          windowOpenUntil: windowOpenUntil(c.lastInboundAt),
        })),
        nextCursor,
      },
    });
  });

  router.get('/conversations/:id/messages', async (req, res) => {
    const { id } = conversationId(req);
    const q = pageQuery(req);
    const limit = q.limit === undefined ? DEFAULT_LIMIT : Number(q.limit);
    const rows = await deps.conversations.messages(
      principalOf(res).workspaceId,
      id,
      limit,
      decodeCursor(q.cursor),
    );
    if (!rows) throw new NotFoundError('NOT_FOUND', 'Conversation not found.');
    const { items, nextCursor } = page(rows, limit, (m) => ({ at: m.createdAt, id: m.id }));
    respond(res, 200, ListConversationMessagesResponseSchema, {
      success: true,
      data: { messages: items.map((m) => ({ ...m, createdAt: m.createdAt.toISOString() })), nextCursor },
    });
  });

  return router;
}
