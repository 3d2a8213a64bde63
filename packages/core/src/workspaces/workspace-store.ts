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
  /** The workspace's own rate limit (nulls: the defaults); undefined when there is no such workspace. */
  rateLimitOf(workspaceId: string): Promise<{ perSecond: number | null; burst: number | null } | undefined>;
  /** Sets (or with nulls clears) the workspace's own rate limit; false when there is no such workspace. */
  setRateLimit(workspaceId: string, perSecond: number | null, burst: number | null): Promise<boolean>;
  /** What `GET /account` shows (docs/contracts.md §11), usage counted from `since`. */
  account(workspaceId: string, since: Date): Promise<AccountView | undefined>;
}

export interface AccountView {
  workspace: { id: string; name: string; createdAt: Date };
  phoneNumbers: Array<{
    id: string;
    displayPhoneNumber: string;
    isDefault: boolean;
    messagesPerSecond: number | null;
    webhookConnected: boolean;
  }>;
  messages: { accepted: number; sent: number; delivered: number; read: number; failed: number };
  byCategory: Record<string, number>;
}
