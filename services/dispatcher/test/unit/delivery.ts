import type { Delivery } from '@flowgate/messaging';

/** A broker delivery as a consumer's handler receives it (first delivery unless `attempt` says). */
export function delivery(body: Buffer, attempt = 1): Delivery {
  return {
    body,
    messageId: undefined,
    correlationId: undefined,
    contentType: 'application/json',
    attempt,
    redelivered: false,
    headers: {},
  };
}

/** A delivery carrying `job` as JSON (or a string as it is, to test what is not JSON). */
export function jobDelivery(job: unknown, attempt = 1): Delivery {
  return delivery(Buffer.from(typeof job === 'string' ? job : JSON.stringify(job)), attempt);
}
