import { randomUUID } from 'node:crypto';
import type { Database } from '@flowgate/db';
import { TokenCipher } from '@flowgate/db';
import {
  apiKeyService,
  createArgon2Hasher,
  createLocalRevocationBus,
  phoneNumberService,
  templateService,
  workspaceService,
  type Role,
  createStores,
} from '@flowgate/core';

// OWASP's minimum argon2id parameters (the production floor; config refuses anything lower).
export const hasher = createArgon2Hasher({ memoryCost: 19456, timeCost: 2, parallelism: 1 });

export const uniqueEmail = (): string => `user-${randomUUID()}@example.test`;
export const PASSWORD = 'correct horse battery staple';

export async function createWorkspace(db: Database, name = `ws-${randomUUID().slice(0, 8)}`) {
  const ownerEmail = uniqueEmail();
  const { workspaceId, userId } = await workspaceService(createStores(db), hasher).createWorkspace({
    name,
    ownerEmail,
    ownerPassword: PASSWORD,
  });
  return { workspaceId, ownerId: userId, ownerEmail, password: PASSWORD };
}

export async function addMember(db: Database, workspaceId: string, role: Role) {
  const email = uniqueEmail();
  const { userId } = await workspaceService(createStores(db), hasher).addMember({
    workspaceId,
    email,
    password: PASSWORD,
    role,
  });
  return { userId, email, password: PASSWORD };
}

export async function createApiKey(db: Database, workspaceId: string, label?: string) {
  return apiKeyService(createStores(db), hasher, createLocalRevocationBus()).create({ workspaceId, label });
}

export async function addPhoneNumber(
  db: Database,
  key: Buffer,
  workspaceId: string,
  opts: { isDefault?: boolean; providerId?: string } = {},
) {
  return phoneNumberService(createStores(db), new TokenCipher(key)).add({
    workspaceId,
    providerPhoneNumberId: opts.providerId ?? String(100000000000000 + Math.floor(Math.random() * 1e14)),
    displayPhoneNumber: '+15550001234',
    accessToken: `token-${randomUUID()}`,
    isDefault: opts.isDefault,
  });
}

export async function addTemplate(db: Database, workspaceId: string, definition: Record<string, unknown>) {
  return templateService(createStores(db)).add(workspaceId, definition);
}

export const ORDER_CONFIRMATION = {
  name: 'order_confirmation',
  language: 'en_US',
  category: 'UTILITY',
  status: 'APPROVED',
  components: [{ type: 'BODY', text: 'Hi {{1}}, your order {{2}} arrives {{3}}.' }],
};

export const PAYMENT_THANK_YOU = {
  name: 'payment_thank_you',
  language: 'en_US',
  category: 'UTILITY',
  status: 'APPROVED',
  components: [{ type: 'BODY', text: 'Dear {{1}}, we received {{2}} for invoice {{3}}. Thank you, {{4}}.' }],
};
