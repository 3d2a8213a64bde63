import { createLogger } from '@flowgate/logger';
import type { MetaWebhookProcessor } from '@flowgate/core';
import { metaWebhookHandler } from '../../src/consumer/meta-consumer';
import { jobDelivery as delivery } from './delivery';

const logger = createLogger({ service: 'test', silent: true });

/** Records the ids it is asked to process; the ids in `failing` reject. */
function fakeProcessor(failing: ReadonlySet<string> = new Set()) {
  const processed: string[] = [];
  const p: MetaWebhookProcessor = {
    process(id) {
      processed.push(id);
      return failing.has(id) ? Promise.reject(new Error('database said no')) : Promise.resolve(true);
    },
    giveUp: () => Promise.resolve(),
  };
  return { p, processed };
}

describe('meta webhook handler', () => {
  it('when a delivery names several stored webhooks, then it processes each and acks once all are done', async () => {
    const { p, processed } = fakeProcessor();
    const outcome = await metaWebhookHandler(p, logger)(delivery({ webhookIds: ['1', '2', '3'] }));
    expect(outcome).toBe('ack');
    expect(processed).toEqual(['1', '2', '3']);
  });

  it("reads a sweep's single webhookId as before", async () => {
    const { p, processed } = fakeProcessor();
    expect(await metaWebhookHandler(p, logger)(delivery({ webhookId: '42' }))).toBe('ack');
    expect(processed).toEqual(['42']);
  });

  it('when one of them fails, then the whole delivery comes back later (the others are no-ops then)', async () => {
    const { p, processed } = fakeProcessor(new Set(['2']));
    const outcome = await metaWebhookHandler(p, logger)(delivery({ webhookIds: ['1', '2', '3'] }, 3));
    expect(outcome).toEqual({ retryInMs: 3000 });
    expect(processed).toEqual(['1', '2', '3']);
  });

  it.each([
    ['not JSON', '{'],
    ['no ids', {}],
    ['an empty list', { webhookIds: [] }],
    ['a non-numeric id', { webhookIds: ['1', 'x'] }],
    ['a number instead of a string', { webhookIds: [1] }],
    ['too many ids', { webhookIds: Array.from({ length: 501 }, (_, i) => String(i + 1)) }],
    ['null', null],
  ])('parks a delivery with %s, processing nothing', async (_label, job) => {
    const { p, processed } = fakeProcessor();
    expect(await metaWebhookHandler(p, logger)(delivery(job))).toBe('park');
    expect(processed).toEqual([]);
  });
});
