import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TokenCipher } from '@flowgate/db';
import type { Hasher } from '../security/hasher';
import type { Stores } from '../stores';
import { apiKeyService } from '../api-keys/api-key.service';
import { createLocalRevocationBus } from '../api-keys/revocation-bus';
import { phoneNumberService } from '../phone-numbers/phone-number.service';
import { templateService } from '../templates/template.service';
import { workspaceService } from '../workspaces/workspace.service';
import { DEMO_TEMPLATES, DEMO_WABA_ID } from './demo-templates';

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
  stores: Stores,
  hasher: Hasher,
  cipher: TokenCipher,
  dataDir: string,
): Promise<{ created: boolean; credentials: DemoCredentials }> {
  const file = path.join(dataDir, 'demo.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as DemoCredentials;
    if (await stores.apiKeys.isLive(saved.workspaceId, saved.apiKey)) {
      // Demo numbers made before they had the sandbox's business account get it (template sync).
      await stores.phoneNumbers.setWabaIdIfMissing(
        saved.workspaceId,
        DEMO_PROVIDER_PHONE_NUMBER_ID,
        DEMO_WABA_ID,
      );
      return { created: false, credentials: saved };
    }
  }
  const ownerEmail = 'demo@flowgate.local';
  const ownerPassword = randomBytes(12).toString('base64url');
  const existingUser = await stores.workspaces.findUserByEmail(ownerEmail);
  const ownedId = existingUser ? await stores.workspaces.ownedBy(existingUser.id) : undefined;
  if (existingUser && ownedId === undefined) throw new Error(`${ownerEmail} owns no workspace`);
  const { workspaceId } = ownedId
    ? { workspaceId: ownedId }
    : await workspaceService(stores, hasher).createWorkspace({
        name: 'Demo workspace',
        ownerEmail,
        ownerPassword,
      });
  let phone: { id: string } | undefined = await stores.phoneNumbers.findByProviderId(
    workspaceId,
    DEMO_PROVIDER_PHONE_NUMBER_ID,
  );
  if (phone)
    await stores.phoneNumbers.setWabaIdIfMissing(workspaceId, DEMO_PROVIDER_PHONE_NUMBER_ID, DEMO_WABA_ID);
  else {
    const added = await phoneNumberService(stores, cipher).add({
      workspaceId,
      providerPhoneNumberId: DEMO_PROVIDER_PHONE_NUMBER_ID,
      displayPhoneNumber: '+15550100001',
      accessToken: 'sandbox-access-token',
      wabaId: DEMO_WABA_ID,
      isDefault: true,
    });
    phone = { id: added.phoneNumberId };
  }
  const templates = templateService(stores);
  for (const t of DEMO_TEMPLATES) {
    if ((await stores.templates.byName(workspaceId, String(t['name']))).length === 0)
      await templates.add(workspaceId, t);
  }
  const key = await apiKeyService(stores, hasher, createLocalRevocationBus()).create({
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
