import { createHash } from 'node:crypto';
import { PHONE_DIGITS_PATTERN, type DispatchEnvelopeV1, type SendMessageRequest } from '@flowgate/contracts';
import { UnprocessableError } from '@flowgate/errors';
import { buildCloudApiBody, selectTemplate } from '@flowgate/whatsapp-cloud';
import type { Logger } from '@flowgate/logger';
import { newId, isUuid } from '../ids';

const PHONE_DIGITS = new RegExp(PHONE_DIGITS_PATTERN);
/** Meta's customer-service window (docs/meta-cloud-api.md §6; the insert checks it in SQL). */
export const SESSION_WINDOW_MS = 24 * 3600_000;
import type { PhoneNumberService } from '../phone-numbers/phone-number.service';
import type { TemplateService } from '../templates/template.service';
import { InsertBatcher } from './insert-batcher';
import type { ContactStore } from '../contacts/contact-store';
import type { MessageAcceptStore } from './message-store';
import type { QueuedMarker } from './queued-marker';
import { metrics } from '@flowgate/metrics';

/** Publishes a dispatch envelope and resolves once the broker confirmed it. */
export interface EnvelopePublisher {
  publish(envelope: DispatchEnvelopeV1): Promise<void>;
}

export interface SendResult {
  id: string;
  status: 'ACCEPTED';
  /** True when an earlier request with the same Idempotency-Key and body created the message. */
  replayed: boolean;
}

export interface SendContext {
  workspaceId: string;
  apiKeyId: string | null;
  requestId: string | null;
  idempotencyKey: string | undefined;
  /** The request body as received, for the idempotency fingerprint. */
  rawBody: unknown;
}

/**
 * Accepts a validated send (docs/contracts.md §2.2, ADR 0002): resolves recipient, sender and template,
 * builds the exact Cloud API body (so what Meta would reject is rejected now), stores the message
 * durably, and only then publishes. A failed publish is left to the outbox relay: the 201 stands.
 */
export function sendMessageUseCase(deps: {
  stores: { messages: MessageAcceptStore; contacts: ContactStore };
  phoneNumbers: PhoneNumberService;
  templates: TemplateService;
  publisher: EnvelopePublisher;
  queued: QueuedMarker;
  logger: Logger;
  /** Group commit: at most this many rows per INSERT, and this many INSERTs at once. */
  insertBatch?: { maxBatch?: number; maxInFlight?: number };
}) {
  const messages = deps.stores.messages;
  const batcher = new InsertBatcher(messages, deps.insertBatch?.maxBatch, deps.insertBatch?.maxInFlight);

  async function resolveRecipient(
    workspaceId: string,
    request: SendMessageRequest,
  ): Promise<{ to: string; contactId: string | null }> {
    if ('phone' in request && typeof request.phone === 'string')
      return { to: request.phone, contactId: null };
    const contactId =
      'contactId' in request && typeof request.contactId === 'string' ? request.contactId : '';
    const contact = isUuid(contactId)
      ? await deps.stores.contacts.findRecipient(workspaceId, contactId)
      : undefined;
    if (!contact)
      throw new UnprocessableError('CONTACT_NOT_FOUND', 'contactId is not a contact of this workspace.', [
        { path: '/contactId', message: 'unknown contact id' },
      ]);
    if (contact.optedOut)
      throw new UnprocessableError('CONTACT_OPTED_OUT', 'This contact has opted out of messages.', [
        { path: '/contactId', message: 'contact opted out' },
      ]);
    // Contacts are stored as people typed them: the same tolerance as for `phone` (+, spaces,
    // dashes, dots, parentheses), then the same rule (8 to 15 digits, country code first).
    const to = contact.phone.replace(/[\s().+-]/g, '');
    if (!PHONE_DIGITS.test(to))
      throw new UnprocessableError(
        'CONTACT_PHONE_INVALID',
        "This contact's stored phone number is not a WhatsApp number (8 to 15 digits with country code); correct the contact, or send to `phone` instead.",
        [{ path: '/contactId', message: 'the contact has no valid phone number' }],
      );
    return { to, contactId: contact.id };
  }

  /**
   * The recipient's state, checked by the insert itself (no round trip of its own): opt-out for
   * sends by `phone` (a `contactId` was checked with its contact), and the 24 h rule for free-form
   * sends from numbers whose Meta webhook is connected (docs/contracts.md §9).
   */
  function refusal(reason: 'opted_out' | 'window_closed'): UnprocessableError {
    return reason === 'opted_out'
      ? new UnprocessableError(
          'CONTACT_OPTED_OUT',
          'This recipient has opted out of messages (they wrote STOP).',
          [{ path: '/phone', message: 'recipient opted out' }],
        )
      : new UnprocessableError(
          'SESSION_WINDOW_CLOSED',
          'The recipient has not written to this number in the last 24 hours: WhatsApp only takes an approved template now (Meta would refuse this with 131047).',
          [{ path: '/type', message: 'outside the 24 h customer-service window; send a template' }],
        );
  }

  /** An earlier send with this key: replayed when the body is the same, refused when it is not. */
  function replayOrRefuse(
    existing: { id: string; requestHash: string | null },
    requestHash: string | null,
  ): SendResult {
    if (existing.requestHash !== requestHash) {
      throw new UnprocessableError(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used with a different body.',
        [{ path: 'Idempotency-Key', message: 'reused with a different body' }],
      );
    }
    return { id: existing.id, status: 'ACCEPTED', replayed: true };
  }

  return async function sendMessage(request: SendMessageRequest, ctx: SendContext): Promise<SendResult> {
    // The key first: a replay answers what the first request got, whatever changed since (a
    // template paused, a number removed), and a different body is refused as such.
    const requestHash = ctx.idempotencyKey !== undefined ? fingerprint(ctx.rawBody) : null;
    if (ctx.idempotencyKey !== undefined) {
      const earlier = await messages.findByIdempotencyKey(ctx.workspaceId, ctx.idempotencyKey);
      if (earlier) return replayOrRefuse(earlier, requestHash);
    }
    const { to, contactId } = await resolveRecipient(ctx.workspaceId, request);
    const sender = await deps.phoneNumbers.resolveSender(ctx.workspaceId, request.phoneNumberId);
    const template =
      request.type === 'template'
        ? selectTemplate(
            await deps.templates.candidates(ctx.workspaceId, request.templateName),
            request.templateName,
            request.templateLanguage,
          )
        : undefined;
    const id = newId();
    const payload = buildCloudApiBody({ to, request, template, bizOpaqueCallbackData: id });

    const result = await batcher.insert({
      id,
      workspaceId: ctx.workspaceId,
      apiKeyId: ctx.apiKeyId,
      phoneNumberId: sender.id,
      contactId,
      recipient: to,
      type: request.type,
      templateName: template?.name ?? null,
      payload: payload as unknown as Record<string, unknown>,
      idempotencyKey: ctx.idempotencyKey ?? null,
      requestHash,
      requestId: ctx.requestId,
      checkOptOut: contactId === null,
      requireOpenWindow: request.type !== 'template' && sender.webhookConnected,
    });
    if (!result.inserted) {
      if ('refused' in result) throw refusal(result.refused);
      // A concurrent request with the same key committed first.
      return replayOrRefuse(result.existing, requestHash);
    }
    metrics.sendsAccepted.inc({ type: request.type });

    const envelope: DispatchEnvelopeV1 = {
      schemaVersion: 1,
      messageId: id,
      workspaceId: ctx.workspaceId,
      phoneNumberId: sender.id,
      createdAt: new Date().toISOString(),
      ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    };
    // Not awaited by the caller's answer: the row is committed, so the 201 holds either way.
    deps.publisher.publish(envelope).then(
      () => deps.queued.add(id),
      (err: unknown) =>
        deps.logger.warn('publish failed; the outbox relay will retry', {
          messageId: id,
          err,
        }),
    );
    return { id, status: 'ACCEPTED', replayed: false };
  };
}

export type SendMessage = ReturnType<typeof sendMessageUseCase>;

/** SHA-256 of the body with object keys sorted, so key order does not change the fingerprint. */
export function fingerprint(body: unknown): string {
  return createHash('sha256').update(stableStringify(body)).digest('hex');
}

/** Literal output between values (brackets, commas, keys) on the stringify stack. */
class Token {
  constructor(readonly text: string) {}
}

/**
 * JSON with object keys sorted. Iterative (an explicit stack), because a valid body may nest
 * free-form data (a flow button's `flow_action_data`) 100,000 levels deep.
 */
function stableStringify(root: unknown): string {
  const out: string[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value instanceof Token) {
      out.push(value.text);
    } else if (Array.isArray(value)) {
      out.push('[');
      stack.push(new Token(']'));
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push(value[i]);
        if (i > 0) stack.push(new Token(','));
      }
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      out.push('{');
      stack.push(new Token('}'));
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i] as [string, unknown];
        stack.push(v, new Token(`${JSON.stringify(k)}:`));
        if (i > 0) stack.push(new Token(','));
      }
    } else {
      out.push(JSON.stringify(value) ?? 'null');
    }
  }
  return out.join('');
}
