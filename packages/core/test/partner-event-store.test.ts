import { KnexPartnerEventStore } from '@flowgate/core';
import { createWorkspace, testDatabase } from '@flowgate/testing';

describe('partner-events outbox (KnexPartnerEventStore)', () => {
  const db = testDatabase();
  const store = new KnexPartnerEventStore();
  afterAll(() => db.destroy());

  it('when events are appended in a transaction that commits, then they are stored with evt_ ids', async () => {
    const { workspaceId } = await createWorkspace(db);
    const at = new Date('2026-12-01T10:00:00.000Z');
    const ids = await db.transaction((trx) =>
      store.append(trx, [
        {
          workspaceId,
          type: 'message.delivered',
          data: { messageId: 'm1', status: 'DELIVERED' },
          occurredAt: at,
        },
        { workspaceId, type: 'contact.opted_out', data: { contactId: 'c1' } },
      ]),
    );
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(id).toMatch(/^evt_[0-9a-f]{32}$/);
    const rows = await db('partner_events').whereIn('id', ids).orderBy('type');
    expect(rows.map((r: { type: string }) => r.type)).toEqual(['contact.opted_out', 'message.delivered']);
    const delivered = rows.find((r: { type: string }) => r.type === 'message.delivered') as {
      data: unknown;
      occurred_at: Date;
      relayed_at: Date | null;
    };
    expect(delivered.data).toEqual({ messageId: 'm1', status: 'DELIVERED' });
    expect(delivered.occurred_at.toISOString()).toBe(at.toISOString());
    expect(delivered.relayed_at).toBeNull();
  });

  it('when the transaction that made the change rolls back, then its events are gone with it', async () => {
    const { workspaceId } = await createWorkspace(db);
    let ids: string[] = [];
    await expect(
      db.transaction(async (trx) => {
        ids = await store.append(trx, [{ workspaceId, type: 'message.read', data: { messageId: 'm2' } }]);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(ids).toHaveLength(1);
    expect(await db('partner_events').whereIn('id', ids)).toEqual([]);
  });

  it('when nothing is appended, then nothing is written', async () => {
    expect(await store.append(db, [])).toEqual([]);
  });
});
