import { Router, type RequestHandler } from 'express';
import {
  GetMessageResponseSchema,
  MESSAGE_HISTORY_STATUSES,
  MessageIdParamsSchema,
  SEND_MESSAGE_ACCEPTED_TEXT,
  SEND_MESSAGE_TYPES,
  SendMessageHeadersSchema,
  SendMessageResponseSchema,
  parseSendMessageRequest,
  FLIOK_SEND_ROUTES,
  FliokSendResponseSchema,
  fliokErrorPath,
  fromFliok,
  isFliokText,
  type FliokSendRoute,
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

  /**
   * One handler for every send route: ours, and Fliok's (docs/contracts.md §12), whose bodies are
   * rewritten into ours first, so they share validation, template checks, idempotency and accept.
   */
  const send =
    (fliok: FliokSendRoute | undefined): RequestHandler =>
    async (req, res) => {
      const { 'Idempotency-Key': idempotencyKey } = readHeaders(req);
      const route = fliok ?? (isFliokText(req.body) ? 'send' : undefined);
      const body: unknown = route === undefined ? req.body : fromFliok(route, req.body);
      const parsed = parseSendMessageRequest(body);
      if (!parsed.ok)
        throw new ValidationError(
          'VALIDATION_FAILED',
          'The message is invalid; see details.',
          route === undefined
            ? parsed.errors
            : parsed.errors.map((e) => ({ ...e, path: fliokErrorPath(route, e.path) })),
        );
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
      if (route !== undefined) {
        const to = (req.body as { to?: unknown }).to;
        respond(res, 201, FliokSendResponseSchema, {
          success: true,
          data: {
            id: result.id,
            messageId: result.id,
            to: typeof to === 'string' ? to : String(to),
            status: 'ACCEPTED',
            message: SEND_MESSAGE_ACCEPTED_TEXT,
          },
        });
        return;
      }
      respond(res, 201, SendMessageResponseSchema, {
        success: true,
        data: { id: result.id, status: 'ACCEPTED', message: SEND_MESSAGE_ACCEPTED_TEXT },
      });
    };

  router.post('/messages/send', send(undefined));
  for (const route of FLIOK_SEND_ROUTES.filter((r) => r !== 'send'))
    router.post(`/messages/${route}`, send(route));

  router.get('/messages/:id', async (req, res) => {
    const { id } = readParams(req);
    const view = await deps.messages.view(principalOf(res).workspaceId, id);
    if (!view) throw new NotFoundError('NOT_FOUND', 'Message not found.');
    respond(res, 200, GetMessageResponseSchema, { success: true, data: toMessageView(view) });
  });

  return router;
}
