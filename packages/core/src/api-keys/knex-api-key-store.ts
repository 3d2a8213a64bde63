import type { Database } from '@flowgate/db';
import type { ApiKeyRecord, ApiKeyStore, ApiKeySummary } from './api-key-store';

interface ApiKeyRow {
  id: string;
  workspace_id: string;
  api_key: string;
  secret_hash: string;
  label: string | null;
  created_by: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  scopes: string[] | null;
  allowed_ips: string[] | null;
}

const toSummary = (r: Omit<ApiKeyRow, 'workspace_id' | 'secret_hash'>): ApiKeySummary => ({
  id: r.id,
  label: r.label,
  apiKey: r.api_key,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at),
  lastUsedAt: r.last_used_at ? new Date(r.last_used_at) : null,
  revokedAt: r.revoked_at ? new Date(r.revoked_at) : null,
  scopes: r.scopes,
  allowedIps: r.allowed_ips,
});

/** API keys on PostgreSQL (ADR 0003). */
export function knexApiKeyStore(db: Database): ApiKeyStore {
  return {
    async insert(row) {
      const [inserted] = await db<ApiKeyRow>('api_keys')
        .insert({
          id: row.id,
          workspace_id: row.workspaceId,
          api_key: row.apiKey,
          secret_hash: row.secretHash,
          label: row.label,
          created_by: row.createdBy,
          // jsonb: knex would send a JS array as a PostgreSQL array.
          scopes: (row.scopes === null ? null : JSON.stringify(row.scopes)) as unknown as string[] | null,
          allowed_ips: (row.allowedIps === null ? null : JSON.stringify(row.allowedIps)) as unknown as
            string[] | null,
        })
        .returning('*');
      if (!inserted) throw new Error('insert returned no row');
      return toSummary(inserted);
    },

    async findByApiKey(apiKey: string): Promise<ApiKeyRecord | undefined> {
      const row = await db<ApiKeyRow>('api_keys')
        .select('id', 'workspace_id', 'api_key', 'secret_hash', 'revoked_at', 'scopes', 'allowed_ips')
        .where({ api_key: apiKey })
        .first();
      return row
        ? {
            id: row.id,
            workspaceId: row.workspace_id,
            apiKey: row.api_key,
            secretHash: row.secret_hash,
            revokedAt: row.revoked_at,
            scopes: row.scopes,
            allowedIps: row.allowed_ips,
          }
        : undefined;
    },

    async listByWorkspace(workspaceId: string): Promise<ApiKeySummary[]> {
      const rows = await db<ApiKeyRow>('api_keys')
        .select(
          'id',
          'label',
          'api_key',
          'created_by',
          'created_at',
          'last_used_at',
          'revoked_at',
          'scopes',
          'allowed_ips',
        )
        .where({ workspace_id: workspaceId })
        .orderBy('created_at', 'desc');
      return rows.map((r) => toSummary(r));
    },

    async revoke(workspaceId, by, announce) {
      const where =
        'id' in by
          ? { workspace_id: workspaceId, id: by.id }
          : { workspace_id: workspaceId, api_key: by.apiKey };
      return db.transaction(async (trx) => {
        const rows: Array<{ api_key: string }> = await trx('api_keys')
          .where(where)
          .update({ revoked_at: trx.raw('COALESCE(revoked_at, now())') })
          .returning(['api_key']);
        const apiKey = rows[0]?.api_key;
        if (apiKey !== undefined) await announce(apiKey, trx);
        return apiKey;
      });
    },

    /** One statement for a batch of last-used times (flushed periodically, not per request). */
    async touchLastUsed(entries: ReadonlyMap<string, Date>): Promise<void> {
      if (entries.size === 0) return;
      const ids = [...entries.keys()];
      const times = ids.map((id) => entries.get(id)?.toISOString() ?? new Date().toISOString());
      await db.raw(
        `UPDATE api_keys AS k SET last_used_at = GREATEST(COALESCE(k.last_used_at, v.t), v.t)
           FROM (SELECT unnest(?::uuid[]) AS id, unnest(?::timestamptz[]) AS t) AS v
          WHERE k.id = v.id`,
        [ids, times],
      );
    },

    async isLive(workspaceId, apiKey) {
      const row = await db('api_keys')
        .select('id')
        .where({ api_key: apiKey, workspace_id: workspaceId })
        .whereNull('revoked_at')
        .first<{ id: string } | undefined>();
      return row !== undefined;
    },
  };
}
