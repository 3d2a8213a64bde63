import ipaddr from 'ipaddr.js';
import { NotFoundError, ValidationError } from '@flowgate/errors';
import type { Hasher } from '../security/hasher';
import { newId, isUuid } from '../ids';
import { generateApiKey, generateApiSecret } from './api-key-format';
import type { ApiKeyStore, ApiKeySummary } from './api-key-store';
import type { WorkspaceStore } from '../workspaces/workspace-store';
import type { RevocationBus } from './revocation-bus';

/** Checks and normalises `allowedIps` (addresses and CIDR blocks, IPv4 or IPv6); 400 naming each bad one. */
export function normaliseAllowedIps(entries: readonly string[]): string[] {
  const bad: string[] = [];
  const out = entries.map((e) => {
    try {
      if (e.includes('/')) {
        const [addr, bits] = ipaddr.parseCIDR(e);
        return `${addr.toString()}/${bits}`;
      }
      return ipaddr.parse(e).toString();
    } catch {
      bad.push(e);
      return e;
    }
  });
  if (bad.length > 0)
    throw new ValidationError(
      'VALIDATION_FAILED',
      'allowedIps takes IPv4/IPv6 addresses and CIDR blocks.',
      bad.map((b) => ({ path: '/allowedIps', message: `not an address or CIDR block: ${b.slice(0, 60)}` })),
    );
  return out;
}

export interface CreatedApiKey {
  id: string;
  apiKey: string;
  /** Shown exactly once; only its argon2id hash is stored. */
  apiSecret: string;
  label: string | null;
  scopes: string[] | null;
  allowedIps: string[] | null;
  createdAt: Date;
}

/** Creating, listing and revoking workspace API keys (admin routes and CLI share it). */
export function apiKeyService(
  stores: { apiKeys: ApiKeyStore; workspaces: WorkspaceStore },
  hasher: Hasher,
  bus: RevocationBus,
) {
  const repo = stores.apiKeys;
  return {
    async create(input: {
      workspaceId: string;
      label?: string | undefined;
      createdBy?: string | undefined;
      scopes?: readonly string[] | undefined;
      allowedIps?: readonly string[] | undefined;
    }): Promise<CreatedApiKey> {
      const allowedIps = input.allowedIps === undefined ? null : normaliseAllowedIps(input.allowedIps);
      if (!(await stores.workspaces.exists(input.workspaceId)))
        throw new NotFoundError('NOT_FOUND', 'Workspace not found.');
      const apiKey = generateApiKey();
      const apiSecret = generateApiSecret();
      const secretHash = await hasher.hash(apiSecret);
      const row = await repo.insert({
        id: newId(),
        workspaceId: input.workspaceId,
        apiKey,
        secretHash,
        label: input.label ?? null,
        createdBy: input.createdBy ?? null,
        scopes: input.scopes === undefined ? null : [...input.scopes],
        allowedIps,
      });
      return {
        id: row.id,
        apiKey,
        apiSecret,
        label: row.label,
        scopes: row.scopes,
        allowedIps: row.allowedIps,
        createdAt: row.createdAt,
      };
    },

    list(workspaceId: string): Promise<ApiKeySummary[]> {
      return repo.listByWorkspace(workspaceId);
    },

    /** Revokes at once and tells every running API process. Idempotent; 404 if not in this workspace. */
    async revoke(workspaceId: string, by: { id: string } | { apiKey: string }): Promise<void> {
      if ('id' in by && !isUuid(by.id)) throw new NotFoundError('NOT_FOUND', 'API key not found.');
      const apiKey = await repo.revoke(workspaceId, by, (revoked, trx) => bus.publish(revoked, trx));
      if (apiKey === undefined) throw new NotFoundError('NOT_FOUND', 'API key not found.');
      // Committed: this process drops the key now instead of waiting for its own notice.
      bus.deliverLocally(apiKey);
    },
  };
}

export type ApiKeyService = ReturnType<typeof apiKeyService>;
