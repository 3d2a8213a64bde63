import type { Knex } from 'knex';
import { ConflictError, ForbiddenError, ValidationError } from '@flowgate/errors';
import { pgCode, PG_UNIQUE_VIOLATION } from '@flowgate/db';
import type { Hasher } from '../security/hasher';
import { newId } from '../ids';

export type Role = 'owner' | 'admin' | 'member';
export const ROLES: readonly Role[] = ['owner', 'admin', 'member'];

export interface WorkspaceMembership {
  id: string;
  name: string;
  role: Role;
}

/** Workspaces, users and memberships; the admin login. */
export function workspaceService(db: Knex, hasher: Hasher) {
  let dummyHash: Promise<string> | undefined;
  return {
    async createWorkspace(input: {
      name: string;
      ownerEmail: string;
      ownerPassword: string;
    }): Promise<{ workspaceId: string; userId: string }> {
      if (input.name.trim().length === 0)
        throw new ValidationError('VALIDATION_FAILED', 'Workspace name must not be empty.');
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.ownerEmail))
        throw new ValidationError('VALIDATION_FAILED', 'Owner email is not a valid address.');
      if (input.ownerPassword.length < 12)
        throw new ValidationError('VALIDATION_FAILED', 'Owner password must be at least 12 characters.');
      const workspaceId = newId();
      const existing = await db('users')
        .select('id', 'password_hash')
        .whereRaw('lower(email) = lower(?)', [input.ownerEmail])
        .first<{ id: string; password_hash: string } | undefined>();
      if (existing && !(await hasher.verify(existing.password_hash, input.ownerPassword))) {
        throw new ConflictError(
          'CONFLICT',
          'A user with this email exists; give their current password to add them as owner.',
        );
      }
      const passwordHash = existing ? undefined : await hasher.hash(input.ownerPassword);
      const userId = existing?.id ?? newId();
      try {
        await db.transaction(async (trx) => {
          await trx('workspaces').insert({ id: workspaceId, name: input.name.trim() });
          if (!existing)
            await trx('users').insert({
              id: userId,
              email: input.ownerEmail.trim(),
              password_hash: passwordHash,
            });
          await trx('memberships').insert({ workspace_id: workspaceId, user_id: userId, role: 'owner' });
        });
      } catch (err) {
        if (pgCode(err) === PG_UNIQUE_VIOLATION)
          throw new ConflictError('CONFLICT', 'A user with this email already exists.');
        throw err;
      }
      return { workspaceId, userId };
    },

    async addMember(input: {
      workspaceId: string;
      email: string;
      password: string;
      role: Role;
    }): Promise<{ userId: string }> {
      const userId = newId();
      const passwordHash = await hasher.hash(input.password);
      await db.transaction(async (trx) => {
        await trx('users').insert({ id: userId, email: input.email, password_hash: passwordHash });
        await trx('memberships').insert({
          workspace_id: input.workspaceId,
          user_id: userId,
          role: input.role,
        });
      });
      return { userId };
    },

    /** Returns the user and their workspaces, or undefined for a wrong email or password. */
    async authenticate(
      email: string,
      password: string,
    ): Promise<{ userId: string; email: string; workspaces: WorkspaceMembership[] } | undefined> {
      const user = await db('users')
        .select('id', 'email', 'password_hash')
        .whereRaw('lower(email) = lower(?)', [email])
        .first<{ id: string; email: string; password_hash: string } | undefined>();
      // Verify against a fixed hash when the user is unknown, so timing does not reveal accounts.
      const ok = await hasher.verify(
        user?.password_hash ?? (await (dummyHash ??= hasher.hash(newId()))),
        password,
      );
      if (!user || !ok) return undefined;
      const workspaces = await db('memberships as m')
        .join('workspaces as w', 'w.id', 'm.workspace_id')
        .where('m.user_id', user.id)
        .select<WorkspaceMembership[]>('w.id', 'w.name', 'm.role')
        .orderBy('w.created_at');
      return { userId: user.id, email: user.email, workspaces };
    },

    async roleOf(workspaceId: string, userId: string): Promise<Role | undefined> {
      const row = await db('memberships')
        .select('role')
        .where({ workspace_id: workspaceId, user_id: userId })
        .first<{ role: Role } | undefined>();
      return row?.role;
    },

    async requireRole(workspaceId: string, userId: string, allowed: readonly Role[]): Promise<Role> {
      const role = await this.roleOf(workspaceId, userId);
      // Not a member: same answer as a missing workspace, so ids of other workspaces reveal nothing.
      if (!role) throw new ForbiddenError('FORBIDDEN', 'You are not a member of this workspace.');
      if (!allowed.includes(role))
        throw new ForbiddenError('FORBIDDEN', `This action needs one of the roles: ${allowed.join(', ')}.`);
      return role;
    },

    async exists(workspaceId: string): Promise<boolean> {
      return (await db('workspaces').select('id').where({ id: workspaceId }).first()) !== undefined;
    },
  };
}

export type WorkspaceService = ReturnType<typeof workspaceService>;
