import { createdOrDuplicate, type Database } from '@flowgate/db';
import type { Role, WorkspaceMembership, WorkspaceStore } from './workspace-store';

/** Workspaces, users and memberships on PostgreSQL. */
export function knexWorkspaceStore(db: Database): WorkspaceStore {
  return {
    async exists(workspaceId) {
      return (await db('workspaces').select('id').where({ id: workspaceId }).first()) !== undefined;
    },

    async findUserByEmail(email) {
      const row = await db('users')
        .select('id', 'email', 'password_hash')
        .whereRaw('lower(email) = lower(?)', [email])
        .first<{ id: string; email: string; password_hash: string } | undefined>();
      return row ? { id: row.id, email: row.email, passwordHash: row.password_hash } : undefined;
    },

    createWithOwner(input) {
      return createdOrDuplicate(() =>
        db.transaction(async (trx) => {
          await trx('workspaces').insert({ id: input.workspaceId, name: input.name });
          if (input.newUser)
            await trx('users').insert({
              id: input.ownerId,
              email: input.newUser.email,
              password_hash: input.newUser.passwordHash,
            });
          await trx('memberships').insert({
            workspace_id: input.workspaceId,
            user_id: input.ownerId,
            role: 'owner',
          });
        }),
      );
    },

    async addMember(input) {
      await db.transaction(async (trx) => {
        await trx('users').insert({
          id: input.userId,
          email: input.email,
          password_hash: input.passwordHash,
        });
        await trx('memberships').insert({
          workspace_id: input.workspaceId,
          user_id: input.userId,
          role: input.role,
        });
      });
    },

    membershipsOf(userId) {
      return db('memberships as m')
        .join('workspaces as w', 'w.id', 'm.workspace_id')
        .where('m.user_id', userId)
        .select<WorkspaceMembership[]>('w.id', 'w.name', 'm.role')
        .orderBy('w.created_at');
    },

    async roleOf(workspaceId, userId) {
      const row = await db('memberships')
        .select('role')
        .where({ workspace_id: workspaceId, user_id: userId })
        .first<{ role: Role } | undefined>();
      return row?.role;
    },

    async ownedBy(userId) {
      const row = await db('memberships')
        .select('workspace_id')
        .where({ user_id: userId, role: 'owner' })
        .first<{ workspace_id: string } | undefined>();
      return row?.workspace_id;
    },

    async account(workspaceId, since) {
      const ws = await db('workspaces')
        .where({ id: workspaceId })
        .first<{ id: string; name: string; created_at: Date } | undefined>('id', 'name', 'created_at');
      if (!ws) return undefined;
      const numbers = await db('phone_numbers')
        .where({ workspace_id: workspaceId, status: 'active' })
        .orderBy([{ column: 'is_default', order: 'desc' }, { column: 'created_at' }])
        .select<
          Array<{
            id: string;
            display_phone_number: string;
            is_default: boolean;
            messages_per_second: number | null;
            webhook_connected_at: Date | null;
          }>
        >('id', 'display_phone_number', 'is_default', 'messages_per_second', 'webhook_connected_at');
      const { rows } = await db.raw<{ rows: Array<Record<string, string | null>> }>(
        `SELECT count(*) AS accepted,
                count(*) FILTER (WHERE status IN ('SENT','DELIVERED','READ')) AS sent,
                count(*) FILTER (WHERE status IN ('DELIVERED','READ')) AS delivered,
                count(*) FILTER (WHERE status = 'READ') AS read,
                count(*) FILTER (WHERE status = 'FAILED') AS failed,
                count(*) FILTER (WHERE pricing_category = 'marketing') AS marketing,
                count(*) FILTER (WHERE pricing_category = 'utility') AS utility,
                count(*) FILTER (WHERE pricing_category LIKE 'authentication%') AS authentication,
                count(*) FILTER (WHERE pricing_category = 'service') AS service
           FROM messages WHERE workspace_id = ? AND created_at >= ?`,
        [workspaceId, since],
      );
      const n = (key: string): number => Number(rows[0]?.[key] ?? 0);
      return {
        workspace: { id: ws.id, name: ws.name, createdAt: new Date(ws.created_at) },
        phoneNumbers: numbers.map((p) => ({
          id: p.id,
          displayPhoneNumber: p.display_phone_number,
          isDefault: p.is_default,
          messagesPerSecond: p.messages_per_second === null ? null : Number(p.messages_per_second),
          webhookConnected: p.webhook_connected_at !== null,
        })),
        messages: {
          accepted: n('accepted'),
          sent: n('sent'),
          delivered: n('delivered'),
          read: n('read'),
          failed: n('failed'),
        },
        byCategory: {
          marketing: n('marketing'),
          utility: n('utility'),
          authentication: n('authentication'),
          service: n('service'),
        },
      };
    },

    async rateLimitOf(workspaceId) {
      const row = await db('workspaces')
        .where({ id: workspaceId })
        .first<{ rate_limit_per_second: number | null; rate_limit_burst: number | null } | undefined>(
          'rate_limit_per_second',
          'rate_limit_burst',
        );
      return row ? { perSecond: row.rate_limit_per_second, burst: row.rate_limit_burst } : undefined;
    },

    async setRateLimit(workspaceId, perSecond, burst) {
      const n = await db('workspaces')
        .where({ id: workspaceId })
        .update({ rate_limit_per_second: perSecond, rate_limit_burst: burst });
      return n > 0;
    },
  };
}
