import { ConflictError, ForbiddenError, ValidationError } from '@flowgate/errors';
import type { Hasher } from '../security/hasher';
import { newId } from '../ids';
import type { Role, WorkspaceMembership, WorkspaceStore } from './workspace-store';

/** Workspaces, users and memberships; the admin login. */
export function workspaceService(stores: { workspaces: WorkspaceStore }, hasher: Hasher) {
  const store = stores.workspaces;
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
      const existing = await store.findUserByEmail(input.ownerEmail);
      if (existing && !(await hasher.verify(existing.passwordHash, input.ownerPassword))) {
        throw new ConflictError(
          'CONFLICT',
          'A user with this email exists; give their current password to add them as owner.',
        );
      }
      const passwordHash = existing ? undefined : await hasher.hash(input.ownerPassword);
      const userId = existing?.id ?? newId();
      const outcome = await store.createWithOwner({
        workspaceId,
        name: input.name.trim(),
        ownerId: userId,
        ...(passwordHash !== undefined ? { newUser: { email: input.ownerEmail.trim(), passwordHash } } : {}),
      });
      if (outcome === 'duplicate')
        throw new ConflictError('CONFLICT', 'A user with this email already exists.');
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
      await store.addMember({
        workspaceId: input.workspaceId,
        userId,
        email: input.email,
        passwordHash,
        role: input.role,
      });
      return { userId };
    },

    /** Returns the user and their workspaces, or undefined for a wrong email or password. */
    async authenticate(
      email: string,
      password: string,
    ): Promise<{ userId: string; email: string; workspaces: WorkspaceMembership[] } | undefined> {
      const user = await store.findUserByEmail(email);
      // Verify against a fixed hash when the user is unknown, so timing does not reveal accounts.
      const ok = await hasher.verify(
        user?.passwordHash ?? (await (dummyHash ??= hasher.hash(newId()))),
        password,
      );
      if (!user || !ok) return undefined;
      const workspaces = await store.membershipsOf(user.id);
      return { userId: user.id, email: user.email, workspaces };
    },

    /** The user's workspaces and roles, oldest first (the dashboard's GET /auth/me). */
    membershipsOf(userId: string): Promise<WorkspaceMembership[]> {
      return store.membershipsOf(userId);
    },

    roleOf(workspaceId: string, userId: string): Promise<Role | undefined> {
      return store.roleOf(workspaceId, userId);
    },

    async requireRole(workspaceId: string, userId: string, allowed: readonly Role[]): Promise<Role> {
      const role = await this.roleOf(workspaceId, userId);
      // Not a member: same answer as a missing workspace, so ids of other workspaces reveal nothing.
      if (!role) throw new ForbiddenError('FORBIDDEN', 'You are not a member of this workspace.');
      if (!allowed.includes(role))
        throw new ForbiddenError('FORBIDDEN', `This action needs one of the roles: ${allowed.join(', ')}.`);
      return role;
    },

    exists(workspaceId: string): Promise<boolean> {
      return store.exists(workspaceId);
    },
  };
}

export type WorkspaceService = ReturnType<typeof workspaceService>;
