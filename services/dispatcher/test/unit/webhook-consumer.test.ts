import { createLogger } from '@flowgate/logger';
import type { DeliveryJob, JobOutcome, StoredEvent, WebhookDeliveryWorker } from '@flowgate/core';
import { webhookDeliveryHandler, type FollowUp } from '../../src/consumer/webhook-consumer';
import { jobDelivery as delivery } from './delivery';

const logger = createLogger({ service: 'test', silent: true });

const event = (id: string): StoredEvent => ({
  id,
  workspaceId: 'ws_1',
  type: 'message.sent',
  data: { id },
  occurredAt: new Date('2026-12-04T10:00:00.000Z'),
});

/** Records the jobs it is asked to deliver and answers each with `outcomes[eventId]` (done by default). */
function fakeWorker(outcomes: Record<string, JobOutcome | 'throw'> = {}, concurrencyPerEndpoint = 2) {
  const jobs: DeliveryJob[] = [];
  const worker = {
    concurrencyPerEndpoint,
    deliver(job: DeliveryJob): Promise<JobOutcome> {
      jobs.push(job);
      const o = outcomes[job.eventId] ?? { kind: 'done' };
      return o === 'throw' ? Promise.reject(new Error('database said no')) : Promise.resolve(o);
    },
    close: () => undefined,
  } as unknown as WebhookDeliveryWorker;
  return { worker, jobs };
}

function publisher(fail = false) {
  const published: FollowUp[] = [];
  const publish = (jobs: FollowUp[]): Promise<void> => {
    if (fail) return Promise.reject(new Error('broker said no'));
    published.push(...jobs);
    return Promise.resolve();
  };
  return { publish, published };
}

describe('webhook delivery handler', () => {
  it('when a batch is all delivered, then each event is delivered once at attempt 1 and the batch is acked', async () => {
    const { worker, jobs } = fakeWorker();
    const { publish, published } = publisher();
    const batch = { endpointId: 'we_1', events: [event('e1'), event('e2'), event('e3')] };
    expect(await webhookDeliveryHandler(worker, publish, logger)(delivery(batch))).toBe('ack');
    expect(jobs.map((j) => [j.eventId, j.endpointId, j.attempt, j.event?.id])).toEqual([
      ['e1', 'we_1', 1, 'e1'],
      ['e2', 'we_1', 1, 'e2'],
      ['e3', 'we_1', 1, 'e3'],
    ]);
    expect(jobs[0]?.event?.occurredAt.toISOString()).toBe('2026-12-04T10:00:00.000Z');
    // A batch holds one prefetch place for all its events: they may queue for a turn longer.
    expect(jobs.every((j) => j.turnWaitMs === 2000)).toBe(true);
    expect(published).toEqual([]);
  });

  it('when some events fail, are busy or cannot be recorded, then each becomes a single job and the batch is acked', async () => {
    const { worker } = fakeWorker({
      e2: { kind: 'retry', inMs: 5000 },
      e3: { kind: 'busy' },
      e4: 'throw',
    });
    const { publish, published } = publisher();
    const batch = { endpointId: 'we_1', events: ['e1', 'e2', 'e3', 'e4'].map(event) };
    expect(await webhookDeliveryHandler(worker, publish, logger)(delivery(batch))).toBe('ack');
    expect(
      published
        .map((f) => [f.eventId, f.endpointId, f.attempt, f.event.id])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual([
      ['e2', 'we_1', 2, 'e2'],
      ['e3', 'we_1', 1, 'e3'],
      ['e4', 'we_1', 1, 'e4'],
    ]);
  });

  it('when an event finds its endpoint saturated, then the events not yet started become single jobs untried', async () => {
    const { worker, jobs } = fakeWorker({ e1: { kind: 'busy' } }, 1);
    const { publish, published } = publisher();
    const batch = { endpointId: 'we_1', events: ['e1', 'e2', 'e3'].map(event) };
    expect(await webhookDeliveryHandler(worker, publish, logger)(delivery(batch))).toBe('ack');
    expect(jobs.map((j) => j.eventId)).toEqual(['e1']);
    expect(published.map((f) => [f.eventId, f.attempt])).toEqual([
      ['e1', 1],
      ['e2', 1],
      ['e3', 1],
    ]);
  });

  it('when the follow-ups cannot be published, then the whole batch comes back (nothing is lost)', async () => {
    const { worker } = fakeWorker({ e2: { kind: 'retry', inMs: 5000 } });
    const { publish } = publisher(true);
    const batch = { endpointId: 'we_1', events: [event('e1'), event('e2')] };
    expect(await webhookDeliveryHandler(worker, publish, logger)(delivery(batch))).toEqual({
      deferInMs: 5000,
    });
  });

  it("a single job's attempt is its starting attempt plus the broker's count; its outcome maps to the queue", async () => {
    const { worker, jobs } = fakeWorker({
      e2: { kind: 'retry', inMs: 30_000 },
      e3: { kind: 'busy' },
      e4: { kind: 'early', inMs: 7000 },
      e5: 'throw',
    });
    const { publish } = publisher();
    const handle = webhookDeliveryHandler(worker, publish, logger);
    expect(await handle(delivery({ eventId: 'e1', endpointId: 'we_1' }))).toBe('ack');
    expect(await handle(delivery({ eventId: 'e2', endpointId: 'we_1', attempt: 2 }, 3))).toEqual({
      retryInMs: 30_000,
    });
    expect(await handle(delivery({ eventId: 'e3', endpointId: 'we_1', event: event('e3') }))).toEqual({
      deferInMs: 1000,
    });
    expect(await handle(delivery({ eventId: 'e4', endpointId: 'we_1', attempt: 2 }))).toEqual({
      deferInMs: 7000,
    });
    expect(await handle(delivery({ eventId: 'e5', endpointId: 'we_1' }))).toEqual({ deferInMs: 5000 });
    expect(jobs.map((j) => [j.eventId, j.attempt, j.event?.id])).toEqual([
      ['e1', 1, undefined],
      ['e2', 4, undefined],
      ['e3', 1, 'e3'],
      ['e4', 2, undefined],
      ['e5', 1, undefined],
    ]);
  });

  it.each([
    ['not JSON', '{'],
    ['null', null],
    ['no event or endpoint', {}],
    ['an event id but no endpoint', { eventId: 'e1' }],
    ['a zero attempt', { eventId: 'e1', endpointId: 'we_1', attempt: 0 }],
    ['a fractional attempt', { eventId: 'e1', endpointId: 'we_1', attempt: 1.5 }],
    ['an attempt as text', { eventId: 'e1', endpointId: 'we_1', attempt: '2' }],
    ['an empty batch', { endpointId: 'we_1', events: [] }],
    ['a batch with a malformed event', { endpointId: 'we_1', events: [event('e1'), { id: 'e2' }] }],
    ['a batch with a null event', { endpointId: 'we_1', events: [null] }],
    [
      'a batch too long',
      { endpointId: 'we_1', events: Array.from({ length: 1001 }, (_, i) => event(`e${i}`)) },
    ],
  ])('parks a job with %s, delivering nothing', async (_label, job) => {
    const { worker, jobs } = fakeWorker();
    const { publish, published } = publisher();
    expect(await webhookDeliveryHandler(worker, publish, logger)(delivery(job))).toBe('park');
    expect(jobs).toEqual([]);
    expect(published).toEqual([]);
  });
});
