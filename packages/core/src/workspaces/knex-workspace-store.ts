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
  };
}
