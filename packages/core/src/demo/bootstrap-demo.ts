import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { TokenCipher } from '@flowgate/db';
import type { Hasher } from '../security/hasher';
import { apiKeyService } from '../api-keys/api-key.service';
import { createLocalRevocationBus } from '../api-keys/revocation-bus';
import { phoneNumberService } from '../phone-numbers/phone-number.service';
import { templateService } from '../templates/template.service';
import { workspaceService } from '../workspaces/workspace.service';
import { DEMO_TEMPLATES } from './demo-templates';

export interface DemoCredentials {
  workspaceId: string;
  phoneNumberId: string;
  apiKey: string;
  apiSecret: string;
  ownerEmail: string;
  ownerPassword: string;
}

/** The sandbox's provider phone-number id for the demo number. */
export const DEMO_PROVIDER_PHONE_NUMBER_ID = '100000000000001';

/**
 * First start in embedded mode: a demo workspace with a sandbox number, sample templates and an
 * API key, remembered in `<dataDir>/demo.json` (mode 0600, development only) so later starts
 * reuse the same key. Nothing is recreated while that file and its key are intact.
 */
export async function bootstrapDemo(
  db: Knex,
  hasher: Hasher,
  cipher: TokenCipher,
  dataDir: string,
): Promise<{ created: boolean; credentials: DemoCredentials }> {
  const file = path.join(dataDir, 'demo.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as DemoCredentials;
    const key = await db('api_keys')
      .select('id')
      .where({ api_key: saved.apiKey, workspace_id: saved.workspaceId })
      .whereNull('revoked_at')
      .first<{ id: string } | undefined>();
    if (key) return { created: false, credentials: saved };
  }
  const ownerEmail = 'demo@flowgate.local';
  const ownerPassword = randomBytes(12).toString('base64url');
  const existingUser = await db('users')
    .select('id')
    .whereRaw('lower(email) = ?', [ownerEmail])
    .first<{ id: string } | undefined>();
  const { workspaceId } = existingUser
    ? await db('memberships')
        .where({ user_id: existingUser.id, role: 'owner' })
        .first<{ workspace_id: string }>()
        .then((m) => ({ workspaceId: m.workspace_id }))
    : await workspaceService(db, hasher).createWorkspace({
        name: 'Demo workspace',
        ownerEmail,
        ownerPassword,
      });
  let phone = await db('phone_numbers')
    .where({ workspace_id: workspaceId, provider_phone_number_id: DEMO_PROVIDER_PHONE_NUMBER_ID })
    .first<{ id: string } | undefined>();
  if (!phone) {
    const added = await phoneNumberService(db, cipher).add({
      workspaceId,
      providerPhoneNumberId: DEMO_PROVIDER_PHONE_NUMBER_ID,
      displayPhoneNumber: '+15550100001',
      accessToken: 'sandbox-access-token',
      isDefault: true,
    });
    phone = { id: added.phoneNumberId };
  }
  const templates = templateService(db);
  for (const t of DEMO_TEMPLATES) {
    if (!(await db('templates').where({ workspace_id: workspaceId, name: t['name'] }).first()))
      await templates.add(workspaceId, t);
  }
  const key = await apiKeyService(db, hasher, createLocalRevocationBus()).create({
    workspaceId,
    label: 'demo',
  });
  const credentials: DemoCredentials = {
    workspaceId,
    phoneNumberId: phone.id,
    apiKey: key.apiKey,
    apiSecret: key.apiSecret,
    ownerEmail,
    ownerPassword: existingUser ? '(unchanged)' : ownerPassword,
  };
  writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  return { created: true, credentials };
}
