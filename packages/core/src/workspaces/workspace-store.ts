export type Role = 'owner' | 'admin' | 'member';
export const ROLES: readonly Role[] = ['owner', 'admin', 'member'];

export interface WorkspaceMembership {
  id: string;
  name: string;
  role: Role;
}

export interface UserCredentials {
  id: string;
  email: string;
  passwordHash: string;
}

/** Workspaces, users and memberships. */
export interface WorkspaceStore {
  /** Does this workspace exist? The one check every aggregate makes before writing into one. */
  exists(workspaceId: string): Promise<boolean>;
  /** A user by email, case-insensitively. */
  findUserByEmail(email: string): Promise<UserCredentials | undefined>;
  /**
   * A workspace and its owner's membership in one transaction, with the owner's user when
   * `newUser` is given; 'duplicate' when the email was taken meanwhile.
   */
  createWithOwner(input: {
    workspaceId: string;
    name: string;
    ownerId: string;
    newUser?: { email: string; passwordHash: string };
  }): Promise<'created' | 'duplicate'>;
  /** A new user and their membership in one transaction. */
  addMember(input: {
    workspaceId: string;
    userId: string;
    email: string;
    passwordHash: string;
    role: Role;
  }): Promise<void>;
  /** The user's workspaces, oldest first. */
  membershipsOf(userId: string): Promise<WorkspaceMembership[]>;
  roleOf(workspaceId: string, userId: string): Promise<Role | undefined>;
  /** The first workspace the user owns. */
  ownedBy(userId: string): Promise<string | undefined>;
}
