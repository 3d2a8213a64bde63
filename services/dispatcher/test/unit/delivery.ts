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
