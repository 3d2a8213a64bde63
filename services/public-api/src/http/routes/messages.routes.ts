import { Router } from 'express';
import {
  GetMessageResponseSchema,
  MESSAGE_HISTORY_STATUSES,
  MessageIdParamsSchema,
  SEND_MESSAGE_ACCEPTED_TEXT,
  SEND_MESSAGE_TYPES,
  SendMessageHeadersSchema,
  SendMessageResponseSchema,
  parseSendMessageRequest,
  type MessageView,
} from '@flowgate/contracts';
import { NotFoundError, ValidationError } from '@flowgate/errors';
import type { MessageAcceptStore, SendMessage } from '@flowgate/core';
import { principalOf } from '../middleware/authenticate-partner';
import { respond } from '../respond';
import { headersValidator, paramsValidator } from '../validate';
import { oneOf } from './narrow';

export interface MessageRouteDeps {
  sendMessage: SendMessage;
  messages: MessageAcceptStore;
}

type StoredView = NonNullable<Awaited<ReturnType<MessageAcceptStore['view']>>>;

/** The stored message as `GET /messages/{id}` shows it (docs/contracts.md §2.3). */
export function toMessageView(view: StoredView): MessageView {
  const { error } = view;
  return {
    id: view.id,
    status: view.status,
    type: oneOf(SEND_MESSAGE_TYPES, view.type, 'message type'),
    to: view.recipient,
    phoneNumberId: view.phoneNumberId,
    templateName: view.templateName,
    providerMessageId: view.providerMessageId,
    error:
      error === null
        ? null
        : {
            code: error.code,
            message: error.title ?? error.details ?? 'The message could not be delivered.',
            ...(error.details !== null && error.title !== null ? { details: error.details } : {}),
          },
    attempts: view.attempts,
    pricing: view.pricing,
    createdAt: view.createdAt.toISOString(),
    updatedAt: view.updatedAt.toISOString(),
    history: view.history.map((h) => ({
      status: oneOf(MESSAGE_HISTORY_STATUSES, h.status, 'history status'),
      at: h.at.toISOString(),
      ...(h.detail ? { detail: h.detail } : {}),
    })),
  };
}

/** POST /messages/send and GET /messages/:id (mounted behind partner authentication). */
export function messagesRouter(deps: MessageRouteDeps): Router {
  const router = Router();
  const readHeaders = headersValidator(SendMessageHeadersSchema);
  const readParams = paramsValidator(MessageIdParamsSchema, 'Message not found.');

  router.post('/messages/send', async (req, res) => {
    const { 'Idempotency-Key': idempotencyKey } = readHeaders(req);
    const parsed = parseSendMessageRequest(req.body);
    if (!parsed.ok)
      throw new ValidationError('VALIDATION_FAILED', 'The message is invalid; see details.', parsed.errors);
    const principal = principalOf(res);
    const result = await deps.sendMessage(parsed.value, {
      workspaceId: principal.workspaceId,
      apiKeyId: principal.apiKeyId,
      requestId: typeof res.locals['requestId'] === 'string' ? res.locals['requestId'] : null,
      idempotencyKey,
      rawBody: req.body,
    });
    if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.setHeader('Location', `/api/v1/public/messages/${result.id}`);
    respond(res, 201, SendMessageResponseSchema, {
      success: true,
      data: { id: result.id, status: 'ACCEPTED', message: SEND_MESSAGE_ACCEPTED_TEXT },
    });
  });

  router.get('/messages/:id', async (req, res) => {
    const { id } = readParams(req);
    const view = await deps.messages.view(principalOf(res).workspaceId, id);
    if (!view) throw new NotFoundError('NOT_FOUND', 'Message not found.');
    respond(res, 200, GetMessageResponseSchema, { success: true, data: toMessageView(view) });
  });

  return router;
}
