import { createDatabase, migrateLatest, TokenCipher } from '@flowgate/db';
import { randomBytes } from 'node:crypto';
import { testDatabase } from '@flowgate/testing';

const TABLES = [
  'workspaces',
  'users',
  'memberships',
  'api_keys',
  'phone_numbers',
  'templates',
  'contacts',
  'messages',
  'message_events',
  'partner_events',
];

describe('migrations', () => {
  it('when run on embedded PostgreSQL (PGlite), then every table exists and a second run applies nothing', async () => {
    const db = createDatabase({ kind: 'pglite-memory' });
    try {
      expect((await migrateLatest(db)).length).toBeGreaterThan(0);
      expect(await migrateLatest(db)).toEqual([]);
      for (const table of TABLES) expect(await db.schema.hasTable(table)).toBe(true);
    } finally {
      await db.destroy();
    }
  });

  it('when run on PostgreSQL, then every table exists and a second run applies nothing', async () => {
    const db = testDatabase();
    try {
      expect(await migrateLatest(db)).toEqual([]);
      for (const table of TABLES) expect(await db.schema.hasTable(table)).toBe(true);
    } finally {
      await db.destroy();
    }
  });
});

describe('TokenCipher', () => {
  it('when a token is encrypted, then only the same key and workspace decrypt it', () => {
    const cipher = new TokenCipher(randomBytes(32));
    const ct = cipher.encrypt('EAAG-secret-token', 'ws-1');
    expect(ct).not.toContain('EAAG');
    expect(cipher.decrypt(ct, 'ws-1')).toBe('EAAG-secret-token');
    expect(() => cipher.decrypt(ct, 'ws-2')).toThrow();
    expect(() => new TokenCipher(randomBytes(32)).decrypt(ct, 'ws-1')).toThrow();
  });
});
