import { createdOrDuplicate, type Database } from '@flowgate/db';
import type { PhoneNumberStore, SendingNumber, SendingNumberRow } from './phone-number-store';

interface PhoneNumberRow {
  id: string;
  workspace_id: string;
  provider_phone_number_id: string;
  display_phone_number: string;
  waba_id: string | null;
  access_token_encrypted: string;
  is_default: boolean;
  status: string;
  webhook_connected_at: Date | null;
}

const PUBLIC_COLUMNS = [
  'id',
  'workspace_id',
  'provider_phone_number_id',
  'display_phone_number',
  'waba_id',
  'is_default',
  'status',
  'webhook_connected_at',
] as const;

const toDomain = (r: Omit<PhoneNumberRow, 'access_token_encrypted'>): SendingNumber => ({
  id: r.id,
  workspaceId: r.workspace_id,
  providerPhoneNumberId: r.provider_phone_number_id,
  displayPhoneNumber: r.display_phone_number,
  wabaId: r.waba_id,
  isDefault: r.is_default,
  webhookConnected: r.webhook_connected_at !== null,
});

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

/** Sending numbers on PostgreSQL. Tokens stay encrypted here (AES-256-GCM, the caller's cipher). */
export function knexPhoneNumberStore(db: Database): PhoneNumberStore {
  return {
    insert(n) {
      return createdOrDuplicate(() =>
        db.transaction(async (trx) => {
          const hasDefault =
            (await trx('phone_numbers')
              .select('id')
              .where({ workspace_id: n.workspaceId, is_default: true })
              .first<{ id: string } | undefined>()) !== undefined;
          const makeDefault = n.isDefault || !hasDefault;
          if (makeDefault && hasDefault)
            await trx('phone_numbers').where({ workspace_id: n.workspaceId }).update({ is_default: false });
          await trx('phone_numbers').insert({
            id: n.id,
            workspace_id: n.workspaceId,
            provider_phone_number_id: n.providerPhoneNumberId,
            display_phone_number: n.displayPhoneNumber,
            waba_id: n.wabaId,
            access_token_encrypted: n.accessTokenEncrypted,
            is_default: makeDefault,
            messages_per_second: n.messagesPerSecond,
          });
        }),
      );
    },

    async active(workspaceId) {
      const rows = await db<PhoneNumberRow>('phone_numbers')
        .select(...PUBLIC_COLUMNS)
        .where({ workspace_id: workspaceId, status: 'active' })
        .orderBy([{ column: 'is_default', order: 'desc' }, { column: 'created_at' }]);
      return rows.map(toDomain);
    },

    async list(workspaceId) {
      const rows = await db<PhoneNumberRow>('phone_numbers')
        .where({ workspace_id: workspaceId, status: 'active' })
        .orderBy('created_at');
      return rows.map(toDomain);
    },

    async withToken(phoneNumberId) {
      const row = await db<PhoneNumberRow>('phone_numbers').where({ id: phoneNumberId }).first();
      return row ? { number: toDomain(row), accessTokenEncrypted: row.access_token_encrypted } : undefined;
    },

    async findByProviderId(workspaceId, providerPhoneNumberId) {
      const row = await db<PhoneNumberRow>('phone_numbers')
        .select(...PUBLIC_COLUMNS)
        .where({ workspace_id: workspaceId, provider_phone_number_id: providerPhoneNumberId })
        .first();
      return row ? toDomain(row) : undefined;
    },

    async setWabaIdIfMissing(workspaceId, providerPhoneNumberId, wabaId) {
      const n = await db('phone_numbers')
        .where({ workspace_id: workspaceId, provider_phone_number_id: providerPhoneNumberId })
        .whereNull('waba_id')
        .update({ waba_id: wabaId });
      return n > 0;
    },

    async sendingNumber(phoneNumberId: string): Promise<SendingNumberRow | undefined> {
      const { rows } = await db.raw<{
        rows: Array<{
          provider_phone_number_id: string;
          access_token_encrypted: string;
          workspace_id: string;
          messages_per_second: number | null;
          paused_ms: number | string | null;
        }>;
      }>(
        `SELECT provider_phone_number_id, access_token_encrypted, workspace_id, messages_per_second,
                GREATEST(0, EXTRACT(EPOCH FROM (paused_until - now())) * 1000) AS paused_ms
           FROM phone_numbers WHERE id = ?`,
        [phoneNumberId],
      );
      const r = rows[0];
      return r
        ? {
            providerPhoneNumberId: r.provider_phone_number_id,
            accessTokenEncrypted: r.access_token_encrypted,
            workspaceId: r.workspace_id,
            messagesPerSecond: num(r.messages_per_second),
            pausedForMs: num(r.paused_ms) ?? 0,
          }
        : undefined;
    },

    /** Rate and pause of several numbers (the once-a-second refresh). */
    async numberStates(
      ids: readonly string[],
    ): Promise<Map<string, { messagesPerSecond: number | null; pausedForMs: number }>> {
      const { rows } = await db.raw<{
        rows: Array<{ id: string; messages_per_second: number | null; paused_ms: number | string | null }>;
      }>(
        `SELECT id, messages_per_second, GREATEST(0, EXTRACT(EPOCH FROM (paused_until - now())) * 1000) AS paused_ms
           FROM phone_numbers WHERE id = ANY(?::uuid[])`,
        [[...ids]],
      );
      return new Map(
        rows.map((r) => [
          r.id,
          { messagesPerSecond: num(r.messages_per_second), pausedForMs: num(r.paused_ms) ?? 0 },
        ]),
      );
    },

    /** Pauses a number for every dispatcher (a longer pause already set stands). */
    async pauseNumber(phoneNumberId: string, ms: number, reason: string): Promise<void> {
      await db.raw(
        `UPDATE phone_numbers
            SET paused_until = GREATEST(COALESCE(paused_until, now()), now() + (? * interval '1 millisecond')),
                pause_reason = ?
          WHERE id = ?`,
        [ms, reason, phoneNumberId],
      );
    },
  };
}
