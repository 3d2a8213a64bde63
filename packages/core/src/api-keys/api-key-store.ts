import type { Database } from '@flowgate/db';

export interface ApiKeyRecord {
  id: string;
  workspaceId: string;
  apiKey: string;
  secretHash: string;
  revokedAt: Date | null;
  /** null: every scope. */
  scopes: string[] | null;
  /** null: any address. */
  allowedIps: string[] | null;
}

export interface ApiKeySummary {
  id: string;
  label: string | null;
  apiKey: string;
  createdBy: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  scopes: string[] | null;
  allowedIps: string[] | null;
}

export interface NewApiKey {
  id: string;
  workspaceId: string;
  apiKey: string;
  /** argon2id hash of the secret; the secret itself is never stored. */
  secretHash: string;
  label: string | null;
  createdBy: string | null;
  scopes: string[] | null;
  allowedIps: string[] | null;
}

/** API keys: public key, argon2id hash of the secret, revocation, last use (ADR 0003). */
export interface ApiKeyStore {
  insert(row: NewApiKey): Promise<ApiKeySummary>;
  findByApiKey(apiKey: string): Promise<ApiKeyRecord | undefined>;
  listByWorkspace(workspaceId: string): Promise<ApiKeySummary[]>;
  /**
   * Revokes by id or public key within the workspace (idempotent) and, in the same transaction,
   * calls `announce` (a revocation notice goes out on commit). Returns the public key, if found.
   */
  revoke(
    workspaceId: string,
    by: { id: string } | { apiKey: string },
    announce: (apiKey: string, trx: Database) => Promise<void>,
  ): Promise<string | undefined>;
  /** One statement for a batch of last-used times (flushed periodically, not per request). */
  touchLastUsed(entries: ReadonlyMap<string, Date>): Promise<void>;
  /** Is this key of this workspace still live? (The demo's saved key.) */
  isLive(workspaceId: string, apiKey: string): Promise<boolean>;
}
