import {
  PHONE_DIGITS_PATTERN,
  type BroadcastRecipient,
  type CreateBroadcastBody,
  type SendMessageRequest,
} from '@flowgate/contracts';
import { AppError, UnprocessableError, ValidationError } from '@flowgate/errors';
import { buildCloudApiBody, selectTemplate } from '@flowgate/whatsapp-cloud';
import { newId } from '../ids';
import type { PhoneNumberService } from '../phone-numbers/phone-number.service';
import type { TemplateService } from '../templates/template.service';
import type { BroadcastStore, NewBroadcastRecipient } from './broadcast-store';

const PHONE_DIGITS = new RegExp(PHONE_DIGITS_PATTERN);
/** Recipients named in a 422 (docs/contracts.md §11: the first 100). */
const MAX_REPORTED = 100;

export interface CreateBroadcastContext {
  workspaceId: string;
  apiKeyId: string | null;
  requestId: string | null;
}

export interface CreatedBroadcast {
  id: string;
  status: 'SCHEDULED' | 'SENDING';
  total: number;
  duplicates: number;
  skipped: number;
}

type Candidate = {
  index: number;
  phone: string | undefined;
  contactId: string | undefined;
  variables: Pick<BroadcastRecipient, 'templateVariables' | 'carousel' | 'bodyParameters'>;
};

/**
 * Broadcasts (docs/contracts.md §11, ADR 0041): create checks every recipient against the template
 * now, with the send path's own builder, and stores them all (with their Cloud API bodies) before
 * the 201; the dispatchers release them later. No Express, no amqplib.
 */
export function broadcastService(deps: {
  store: BroadcastStore;
  phoneNumbers: PhoneNumberService;
  templates: TemplateService;
  now?: () => number;
}) {
  const { store } = deps;
  const now = deps.now ?? Date.now;

  async function candidatesOf(workspaceId: string, body: CreateBroadcastBody): Promise<Candidate[]> {
    if (body.recipients !== undefined)
      return body.recipients.map((r, index) => ({
        index,
        phone: r.phone,
        contactId: r.contactId,
        variables: {
          templateVariables: r.templateVariables,
          carousel: r.carousel,
          bodyParameters: r.bodyParameters,
        },
      }));
    const tags = body.audience?.tags ?? [];
    const contacts = await store.contactsByTags(workspaceId, tags);
    if (contacts.length === 0)
      throw new UnprocessableError('BROADCAST_RECIPIENTS_INVALID', 'No contact has any of these tags.', [
        { path: '/audience/tags', message: 'no contact matches' },
      ]);
    const variables = {
      templateVariables: body.templateVariables,
      carousel: body.carousel,
      bodyParameters: body.bodyParameters,
    };
    return contacts.map((c, index) => ({ index, phone: undefined, contactId: c.id, variables }));
  }

  return {
    async create(body: CreateBroadcastBody, ctx: CreateBroadcastContext): Promise<CreatedBroadcast> {
      let scheduledAt: Date | null = null;
      if (body.scheduledAt !== undefined) {
        scheduledAt = new Date(body.scheduledAt);
        if (Number.isNaN(scheduledAt.getTime()) || scheduledAt.getTime() <= now())
          throw new ValidationError('VALIDATION_FAILED', 'scheduledAt must be in the future.', [
            { path: '/scheduledAt', message: 'must be a future ISO-8601 time' },
          ]);
      }
      const sender = await deps.phoneNumbers.resolveSender(ctx.workspaceId, body.phoneNumberId);
      const template = selectTemplate(
        await deps.templates.candidates(ctx.workspaceId, body.templateName),
        body.templateName,
        body.templateLanguage,
      );
      const candidates = await candidatesOf(ctx.workspaceId, body);
      const contactIds = [
        ...new Set(candidates.flatMap((c) => (c.contactId !== undefined ? [c.contactId] : []))),
      ];
      const contacts = await store.contactsByIds(ctx.workspaceId, contactIds);

      const problems: Array<{ index: number; path: string; message: string }> = [];
      const reject = (index: number, path: string, message: string): void => {
        problems.push({ index, path: `/recipients/${index}${path}`, message });
      };
      const seen = new Set<string>();
      let duplicates = 0;
      const distinct: Array<Candidate & { digits: string; contactOptedOut: boolean }> = [];
      for (const c of candidates) {
        let phone = c.phone;
        let contactOptedOut = false;
        if (c.contactId !== undefined) {
          const contact = contacts.get(c.contactId);
          if (!contact) {
            reject(c.index, '/contactId', 'not a contact of this workspace');
            continue;
          }
          phone = contact.phone;
          contactOptedOut = contact.optedOut;
        }
        const digits = (phone ?? '').replace(/[\s().+-]/g, '');
        if (!PHONE_DIGITS.test(digits)) {
          reject(
            c.index,
            c.contactId !== undefined ? '/contactId' : '/phone',
            'not a WhatsApp number (8 to 15 digits)',
          );
          continue;
        }
        if (seen.has(digits)) {
          duplicates += 1;
          continue;
        }
        seen.add(digits);
        distinct.push({ ...c, digits, contactOptedOut });
      }

      const optedOut = await store.optedOutDigits(
        ctx.workspaceId,
        distinct.map((d) => d.digits),
      );
      const recipients: NewBroadcastRecipient[] = [];
      let skipped = 0;
      for (const d of distinct) {
        const messageId = newId();
        if (d.contactOptedOut || optedOut.has(d.digits)) {
          skipped += 1;
          recipients.push({
            idx: d.index,
            messageId,
            recipient: d.digits,
            contactId: d.contactId ?? null,
            payload: null,
          });
          continue;
        }
        const request = {
          type: 'template',
          phone: d.digits,
          templateName: body.templateName,
          ...(body.templateLanguage !== undefined ? { templateLanguage: body.templateLanguage } : {}),
          ...(d.variables.templateVariables !== undefined
            ? { templateVariables: d.variables.templateVariables }
            : {}),
          ...(d.variables.carousel !== undefined ? { carousel: d.variables.carousel } : {}),
          ...(d.variables.bodyParameters !== undefined ? { bodyParameters: d.variables.bodyParameters } : {}),
        } as SendMessageRequest;
        try {
          const payload = buildCloudApiBody({
            to: d.digits,
            request,
            template,
            bizOpaqueCallbackData: messageId,
          });
          recipients.push({
            idx: d.index,
            messageId,
            recipient: d.digits,
            contactId: d.contactId ?? null,
            payload: payload as unknown as Record<string, unknown>,
          });
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          const first = err.details?.[0];
          reject(d.index, first?.path ?? '', `${err.code}: ${first?.message ?? err.message}`);
        }
      }
      if (problems.length > 0) {
        const invalid = problems.length;
        throw new UnprocessableError(
          'BROADCAST_RECIPIENTS_INVALID',
          `${invalid} recipient${invalid === 1 ? ' is' : 's are'} invalid; nothing was stored (details name the first ${MAX_REPORTED}).`,
          problems
            .sort((x, y) => x.index - y.index)
            .slice(0, MAX_REPORTED)
            .map(({ path, message }) => ({ path, message })),
        );
      }

      const id = newId();
      const status = scheduledAt !== null ? 'SCHEDULED' : 'SENDING';
      await store.insert(
        {
          id,
          workspaceId: ctx.workspaceId,
          apiKeyId: ctx.apiKeyId,
          phoneNumberId: sender.id,
          templateId: template.id,
          name: body.name,
          templateName: template.name,
          templateLanguage: template.language,
          status,
          total: recipients.length,
          duplicates,
          requestId: ctx.requestId,
          scheduledAt,
        },
        recipients,
      );
      return { id, status, total: recipients.length, duplicates, skipped };
    },

    list: store.list.bind(store),
    get: store.get.bind(store),
    cancel: store.cancel.bind(store),
  };
}

export type BroadcastService = ReturnType<typeof broadcastService>;
