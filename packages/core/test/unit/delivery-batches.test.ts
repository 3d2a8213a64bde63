import { DELIVERY_BATCH_MAX, deliveryBatchMessages, deliveryJobMessage, type StoredEvent } from '../../src';

const event = (id: string): StoredEvent => ({
  id,
  workspaceId: 'ws_1',
  type: 'message.read',
  data: { id },
  occurredAt: new Date('2026-12-04T10:00:00.000Z'),
});
const body = (m: { body: Buffer }): Record<string, unknown> =>
  JSON.parse(m.body.toString('utf8')) as Record<string, unknown>;

describe('partner delivery batches (ADR 0047)', () => {
  it('groups the fan-out by endpoint, in outbox order, at most DELIVERY_BATCH_MAX events a job', () => {
    const ids = Array.from({ length: DELIVERY_BATCH_MAX + 5 }, (_, i) => `e${i}`);
    const pairs = ids.flatMap((id) => [
      { eventId: id, endpointId: 'we_a', event: event(id) },
      ...(Number(id.slice(1)) % 2 === 0 ? [{ eventId: id, endpointId: 'we_b', event: event(id) }] : []),
    ]);
    const messages = deliveryBatchMessages(pairs);
    const jobs = messages.map(body);
    expect(jobs.map((j) => [j['endpointId'], (j['events'] as StoredEvent[]).length])).toEqual([
      ['we_a', DELIVERY_BATCH_MAX],
      ['we_a', 5],
      ['we_b', 53],
    ]);
    expect((jobs[0]?.['events'] as StoredEvent[]).map((e) => e.id)).toEqual(ids.slice(0, DELIVERY_BATCH_MAX));
    expect((jobs[2]?.['events'] as StoredEvent[])[1]).toEqual({
      ...event('e2'),
      occurredAt: '2026-12-04T10:00:00.000Z',
    });
    expect(new Set(messages.map((m) => m.messageId)).size).toBe(3);
    expect(messages.every((m) => m.contentType === 'application/json')).toBe(true);
  });

  it('a pair without its event stays a single job (the worker reads the event from the outbox)', () => {
    const messages = deliveryBatchMessages([
      { eventId: 'e1', endpointId: 'we_a' },
      { eventId: 'e2', endpointId: 'we_a', event: event('e2') },
    ]);
    expect(messages.map(body)).toEqual([
      { eventId: 'e1', endpointId: 'we_a' },
      { endpointId: 'we_a', events: [{ ...event('e2'), occurredAt: '2026-12-04T10:00:00.000Z' }] },
    ]);
  });

  it('a single job carries its starting attempt only past the first', () => {
    expect(body(deliveryJobMessage({ eventId: 'e1', endpointId: 'we_a', attempt: 1 }))).toEqual({
      eventId: 'e1',
      endpointId: 'we_a',
    });
    expect(body(deliveryJobMessage({ eventId: 'e1', endpointId: 'we_a', attempt: 2 }))).toEqual({
      eventId: 'e1',
      endpointId: 'we_a',
      attempt: 2,
    });
    expect(deliveryJobMessage({ eventId: 'e1', endpointId: 'we_a' }).messageId).toBe('e1:we_a');
  });

  it('nothing in, nothing out', () => {
    expect(deliveryBatchMessages([])).toEqual([]);
  });
});
