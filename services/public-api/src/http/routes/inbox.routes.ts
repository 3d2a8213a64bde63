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
import { NotFoundError } from '@flowgate/errors';
import {
  SESSION_WINDOW_MS,
  type ContactService,
  type ContactStore,
  type ContactView,
  type ConversationStore,
} from '@flowgate/core';
import { principalOf } from '../middleware/authenticate-partner';
import { respond } from '../respond';
import { bodyValidator, paramsValidator, queryValidator } from '../validate';
import { decodeCursor, limitOf, page } from '../pagination';

export interface InboxRouteDeps {
  contacts: ContactStore;
  contactWrites: ContactService;
  conversations: ConversationStore;
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
    const limit = limitOf(q.limit);
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
    const { items, nextCursor } = page(rows, limit);
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
    const limit = limitOf(q.limit);
    const rows = await deps.conversations.list(
      principalOf(res).workspaceId,
      q.status === 'open',
      limit,
      decodeCursor(q.cursor),
    );
    const { items, nextCursor } = page(rows, limit);
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
    const limit = limitOf(q.limit);
    const rows = await deps.conversations.messages(
      principalOf(res).workspaceId,
      id,
      limit,
      decodeCursor(q.cursor),
    );
    if (!rows) throw new NotFoundError('NOT_FOUND', 'Conversation not found.');
    const { items, nextCursor } = page(rows, limit);
    respond(res, 200, ListConversationMessagesResponseSchema, {
      success: true,
      data: {
        messages: items.map(({ cursorUs: _position, ...m }) => ({
          ...m,
          createdAt: m.createdAt.toISOString(),
        })),
        nextCursor,
      },
    });
  });

  return router;
}
