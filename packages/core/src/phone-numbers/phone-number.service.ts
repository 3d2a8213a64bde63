import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '@flowgate/errors';
import type { TokenCipher } from '@flowgate/db';
import { newId } from '../ids';
import { WorkspaceCache } from '../templates/workspace-cache';
import type { WorkspaceStore } from '../workspaces/workspace-store';
import type { PhoneNumberStore, SendingNumber } from './phone-number-store';

/**
 * Connected WhatsApp sending numbers. Access tokens are encrypted at rest (AES-256-GCM). The send
 * path asks for a workspace's numbers on every request; they change rarely, so each process keeps
 * them (never the tokens) for `cacheTtlMs`, dropped early by `invalidate` (this process's own
 * changes, and change notices from the database, ADR 0011).
 */
export function phoneNumberService(
  stores: { phoneNumbers: PhoneNumberStore; workspaces: WorkspaceStore },
  cipher: TokenCipher,
  options: { cacheTtlMs?: number } = {},
) {
  const store = stores.phoneNumbers;
  const cache = new WorkspaceCache<SendingNumber[]>(options.cacheTtlMs ?? 5000);
  const activeNumbers = (workspaceId: string): Promise<SendingNumber[]> =>
    cache.get(workspaceId, 'active', () => store.active(workspaceId));
  return {
    /** Forgets what is cached for one workspace, or for all. */
    invalidate(workspaceId?: string): void {
      cache.invalidate(workspaceId);
    },

    async add(input: {
      workspaceId: string;
      providerPhoneNumberId: string;
      displayPhoneNumber: string;
      accessToken: string;
      wabaId?: string | undefined;
      isDefault?: boolean;
      /** The number's own Cloud API throughput (Meta's tier); unset: DISPATCH_RATE_PER_NUMBER. */
      messagesPerSecond?: number | undefined;
    }): Promise<{ phoneNumberId: string }> {
      if (!/^\d{1,32}$/.test(input.providerPhoneNumberId))
        throw new ValidationError('VALIDATION_FAILED', 'The provider phone-number id must be digits.');
      const digits = input.displayPhoneNumber.replace(/[\s()+-]/g, '');
      if (!/^\d{8,15}$/.test(digits))
        throw new ValidationError('VALIDATION_FAILED', 'The display phone number must have 8 to 15 digits.');
      if (input.accessToken.trim().length === 0)
        throw new ValidationError('VALIDATION_FAILED', 'The access token must not be empty.');
      const rate = input.messagesPerSecond;
      if (rate !== undefined && !(Number.isFinite(rate) && rate > 0 && rate <= 1000))
        throw new ValidationError(
          'VALIDATION_FAILED',
          'messages per second must be a number above 0 and at most 1000 (Meta’s highest tier).',
        );
      if (!(await stores.workspaces.exists(input.workspaceId)))
        throw new NotFoundError('NOT_FOUND', 'Workspace not found.');
      const id = newId();
      try {
        const outcome = await store.insert({
          id,
          workspaceId: input.workspaceId,
          providerPhoneNumberId: input.providerPhoneNumberId,
          displayPhoneNumber: `+${digits}`,
          wabaId: input.wabaId ?? null,
          accessTokenEncrypted: cipher.encrypt(input.accessToken, input.workspaceId),
          isDefault: input.isDefault === true,
          messagesPerSecond: rate ?? null,
        });
        if (outcome === 'duplicate')
          throw new ConflictError(
            'CONFLICT',
            'This provider phone number is already connected to the workspace.',
          );
      } finally {
        cache.invalidate(input.workspaceId);
      }
      return { phoneNumberId: id };
    },

    list(workspaceId: string): Promise<SendingNumber[]> {
      return store.list(workspaceId);
    },

    /**
     * The number a send goes out from: the given one (must belong to the workspace), else the
     * default, else the only active one.
     */
    async resolveSender(workspaceId: string, phoneNumberId: string | undefined): Promise<SendingNumber> {
      const rows = await activeNumbers(workspaceId);
      if (phoneNumberId !== undefined) {
        const row = rows.find((r) => r.id === phoneNumberId);
        if (!row)
          throw new UnprocessableError(
            'PHONE_NUMBER_NOT_FOUND',
            'phoneNumberId is not an active number of this workspace.',
            [{ path: '/phoneNumberId', message: 'unknown phone number id' }],
          );
        return row;
      }
      const [first, second] = rows;
      if (!first)
        throw new UnprocessableError('NO_SENDING_NUMBER', 'This workspace has no connected sending number.');
      if (!first.isDefault && second)
        throw new UnprocessableError(
          'NO_SENDING_NUMBER',
          'This workspace has several numbers and no default; pass phoneNumberId.',
          [
            {
              path: '/phoneNumberId',
              message: 'required when the workspace has several numbers and no default',
            },
          ],
        );
      return first;
    },

    async accessToken(phoneNumberId: string): Promise<{ number: SendingNumber; accessToken: string }> {
      const row = await store.withToken(phoneNumberId);
      if (!row) throw new NotFoundError('NOT_FOUND', 'Phone number not found.');
      return {
        number: row.number,
        accessToken: cipher.decrypt(row.accessTokenEncrypted, row.number.workspaceId),
      };
    },
  };
}

export type PhoneNumberService = ReturnType<typeof phoneNumberService>;
