import { Router } from 'express';
import { parseSendMessageRequest } from '@flowgate/contracts';
import { NotFoundError, ValidationError } from '@flowgate/errors';
import { isUuid, type MessageAcceptStore, type SendMessage } from '@flowgate/core';
import { principalOf } from '../middleware/authenticate-partner';

export interface MessageRouteDeps {
  sendMessage: SendMessage;
  messages: MessageAcceptStore;
}

const ACCEPTED_TEXT = 'Message received and being sent to the recipient.';
const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,255}$/;

/** POST /messages/send and GET /messages/:id (mounted behind partner authentication). */
export function messagesRouter(deps: MessageRouteDeps): Router {
  const router = Router();

  router.post('/messages/send', async (req, res) => {
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_RE.test(idempotencyKey)) {
      throw new ValidationError(
        'VALIDATION_FAILED',
        'Idempotency-Key must be 1 to 255 visible ASCII characters.',
        [{ path: 'Idempotency-Key', message: 'must be 1..255 visible ASCII characters' }],
      );
    }
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
    res
      .status(201)
      .json({ success: true, data: { id: result.id, status: 'ACCEPTED', message: ACCEPTED_TEXT } });
  });

  router.get('/messages/:id', async (req, res) => {
    const id = String(req.params['id']);
    const view = isUuid(id) ? await deps.messages.view(principalOf(res).workspaceId, id) : undefined;
    if (!view) throw new NotFoundError('NOT_FOUND', 'Message not found.');
    res.json({
      success: true,
      data: {
        id: view.id,
        status: view.status,
        type: view.type,
        to: view.recipient,
        phoneNumberId: view.phoneNumberId,
        templateName: view.templateName,
        providerMessageId: view.providerMessageId,
        error: view.error,
        attempts: view.attempts,
        createdAt: view.createdAt.toISOString(),
        updatedAt: view.updatedAt.toISOString(),
        history: view.history.map((h) => ({
          status: h.status,
          at: h.at.toISOString(),
          ...(h.detail ? { detail: h.detail } : {}),
        })),
      },
    });
  });

  return router;
}
