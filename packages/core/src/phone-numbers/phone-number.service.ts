import type { Knex } from 'knex';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '@flowgate/errors';
import { pgCode, PG_UNIQUE_VIOLATION, type TokenCipher } from '@flowgate/db';
import { newId } from '../ids';
import { WorkspaceCache } from '../templates/workspace-cache';

export interface SendingNumber {
  id: string;
  workspaceId: string;
  providerPhoneNumberId: string;
  displayPhoneNumber: string;
  wabaId: string | null;
  isDefault: boolean;
}

interface PhoneNumberRow {
  id: string;
  workspace_id: string;
  provider_phone_number_id: string;
  display_phone_number: string;
  waba_id: string | null;
  access_token_encrypted: string;
  is_default: boolean;
  status: string;
}

const toDomain = (r: Omit<PhoneNumberRow, 'access_token_encrypted'>): SendingNumber => ({
  id: r.id,
  workspaceId: r.workspace_id,
  providerPhoneNumberId: r.provider_phone_number_id,
  displayPhoneNumber: r.display_phone_number,
  wabaId: r.waba_id,
  isDefault: r.is_default,
});

/**
 * Connected WhatsApp sending numbers. Access tokens are encrypted at rest (AES-256-GCM). The send
 * path asks for a workspace's numbers on every request; they change rarely, so each process keeps
 * them (never the tokens) for `cacheTtlMs`, dropped early by `invalidate` (this process's own
 * changes, and change notices from the database, ADR 0011).
 */
export function phoneNumberService(db: Knex, cipher: TokenCipher, options: { cacheTtlMs?: number } = {}) {
  type NumberRow = Omit<PhoneNumberRow, 'access_token_encrypted'>;
  const cache = new WorkspaceCache<NumberRow[]>(options.cacheTtlMs ?? 5000);
  const activeNumbers = (workspaceId: string): Promise<NumberRow[]> =>
    cache.get(workspaceId, 'active', () =>
      db<PhoneNumberRow>('phone_numbers')
        .select(
          'id',
          'workspace_id',
          'provider_phone_number_id',
          'display_phone_number',
          'waba_id',
          'is_default',
          'status',
        )
        .where({ workspace_id: workspaceId, status: 'active' })
        .orderBy([{ column: 'is_default', order: 'desc' }, { column: 'created_at' }]),
    );
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
      if (!(await db('workspaces').where({ id: input.workspaceId }).first()))
        throw new NotFoundError('NOT_FOUND', 'Workspace not found.');
      const id = newId();
      try {
        await db.transaction(async (trx) => {
          const hasDefault =
            (await trx('phone_numbers')
              .select('id')
              .where({ workspace_id: input.workspaceId, is_default: true })
              .first<{ id: string } | undefined>()) !== undefined;
          const makeDefault = input.isDefault === true || !hasDefault;
          if (makeDefault && hasDefault)
            await trx('phone_numbers')
              .where({ workspace_id: input.workspaceId })
              .update({ is_default: false });
          await trx('phone_numbers').insert({
            id,
            workspace_id: input.workspaceId,
            provider_phone_number_id: input.providerPhoneNumberId,
            display_phone_number: `+${digits}`,
            waba_id: input.wabaId ?? null,
            access_token_encrypted: cipher.encrypt(input.accessToken, input.workspaceId),
            is_default: makeDefault,
            messages_per_second: rate ?? null,
          });
        });
      } catch (err) {
        if (pgCode(err) === PG_UNIQUE_VIOLATION)
          throw new ConflictError(
            'CONFLICT',
            'This provider phone number is already connected to the workspace.',
          );
        throw err;
      } finally {
        cache.invalidate(input.workspaceId);
      }
      return { phoneNumberId: id };
    },

    async list(workspaceId: string): Promise<SendingNumber[]> {
      const rows = await db<PhoneNumberRow>('phone_numbers')
        .where({ workspace_id: workspaceId, status: 'active' })
        .orderBy('created_at');
      return rows.map(toDomain);
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
        return toDomain(row);
      }
      const [first, second] = rows;
      if (!first)
        throw new UnprocessableError('NO_SENDING_NUMBER', 'This workspace has no connected sending number.');
      if (!first.is_default && second)
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
      return toDomain(first);
    },

    async accessToken(phoneNumberId: string): Promise<{ number: SendingNumber; accessToken: string }> {
      const row = await db<PhoneNumberRow>('phone_numbers').where({ id: phoneNumberId }).first();
      if (!row) throw new NotFoundError('NOT_FOUND', 'Phone number not found.');
      return {
        number: toDomain(row),
        accessToken: cipher.decrypt(row.access_token_encrypted, row.workspace_id),
      };
    },
  };
}

export type PhoneNumberService = ReturnType<typeof phoneNumberService>;
