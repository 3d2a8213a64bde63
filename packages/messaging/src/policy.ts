/**
 * Behaviour both adapters share: delay tiers, handler outcome → settlement, reserved headers,
 * message validation. Keeping it in one place is what makes the two adapters agree.
 */
import { BrokerError, toError } from './errors';
import type {
  BrokerLogger,
  Delivery,
  DeliveryHandler,
  HandlerOutcome,
  HeaderValue,
  OutgoingMessage,
  PublishResult,
} from './types';

/** 1 s, 5 s, 30 s, 2 min, 10 min. */
export const DEFAULT_DELAY_TIERS_MS: readonly number[] = [1_000, 5_000, 30_000, 120_000, 600_000];
/** A retry requested on this attempt (or later) parks the message instead. */
export const DEFAULT_MAX_ATTEMPTS = 20;
export const DEFAULT_PUBLISH_TIMEOUT_MS = 10_000;

/** Header carrying the attempt number (1 on first publish). */
export const ATTEMPT_HEADER = 'x-attempt';
/** Header saying why a message was parked (`handler`, `max-attempts`). */
export const PARK_REASON_HEADER = 'x-park-reason';
/** Per-publish id, used to match a broker `basic.return` with its confirm. */
export const PUBLISH_ID_HEADER = 'x-flowgate-publish-id';

const RESERVED_HEADERS = new Set([
  ATTEMPT_HEADER,
  PARK_REASON_HEADER,
  PUBLISH_ID_HEADER,
  'x-death',
  'x-delivery-count',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
]);

export function isReservedHeader(name: string): boolean {
  return RESERVED_HEADERS.has(name.toLowerCase());
}

/** Validates and sorts delay tiers: positive integers (ms), deduplicated, at least one. */
export function normaliseDelayTiers(tiers: readonly number[] | undefined): readonly number[] {
  const source = tiers ?? DEFAULT_DELAY_TIERS_MS;
  if (source.length === 0) throw new RangeError('delayTiersMs needs at least one tier');
  for (const t of source) {
    // x-message-ttl is an unsigned 32-bit integer of milliseconds.
    if (!Number.isInteger(t) || t <= 0 || t > 0xffff_ffff) {
      throw new RangeError(`delay tier must be a positive integer of milliseconds, got ${String(t)}`);
    }
  }
  return [...new Set(source)].sort((a, b) => a - b);
}

/** The smallest tier that is at least `requestedMs`, or the largest tier. */
export function pickDelayTier(tiers: readonly number[], requestedMs: number): number {
  for (const t of tiers) if (t >= requestedMs) return t;
  const last = tiers[tiers.length - 1];
  if (last === undefined) throw new RangeError('no delay tiers configured');
  return last;
}

/**
 * For a deferral: the largest tier that is at most `requestedMs`, or the smallest tier. A
 * deferral says "not now, about then": coming back a little early costs one more look, while
 * rounding up (1.1 s → 5 s) would leave a paced number idle.
 */
export function pickDeferTier(tiers: readonly number[], requestedMs: number): number {
  let picked = tiers[0];
  if (picked === undefined) throw new RangeError('no delay tiers configured');
  for (const t of tiers) if (t <= requestedMs) picked = t;
  return picked;
}

export type ParkReason = 'handler' | 'max-attempts';

export type Settlement =
  | { kind: 'ack' }
  | { kind: 'retry'; delayMs: number; nextAttempt: number }
  | { kind: 'park'; reason: ParkReason };

export interface SettlementPolicy {
  delayTiersMs: readonly number[];
  maxAttempts: number;
}

function isDelay(ms: unknown): ms is number {
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0;
}

function isValidOutcome(outcome: unknown): outcome is HandlerOutcome {
  if (outcome === 'ack' || outcome === 'park') return true;
  if (typeof outcome !== 'object' || outcome === null) return false;
  if ('retryInMs' in outcome) return isDelay(outcome.retryInMs) && !('deferInMs' in outcome);
  if ('deferInMs' in outcome) return isDelay(outcome.deferInMs);
  return false;
}

/**
 * Runs the handler and turns its outcome into a settlement. A handler that throws, or returns
 * something that is not an outcome, is retried after the first tier (logged at error: it is a
 * bug or an outage, not a decision); it never loops through an immediate requeue.
 */
export async function runHandler(
  handler: DeliveryHandler,
  delivery: Delivery,
  policy: SettlementPolicy,
  logger: BrokerLogger,
): Promise<Settlement> {
  let outcome: unknown;
  try {
    outcome = await handler(delivery);
  } catch (err) {
    logger.error('message handler threw; retrying after the first delay tier', {
      messageId: delivery.messageId,
      attempt: delivery.attempt,
      err: toError(err),
    });
    outcome = { retryInMs: 0 };
  }
  let valid: HandlerOutcome;
  if (isValidOutcome(outcome)) {
    valid = outcome;
  } else {
    logger.error('message handler returned an invalid outcome; retrying after the first delay tier', {
      messageId: delivery.messageId,
      attempt: delivery.attempt,
    });
    valid = { retryInMs: 0 };
  }
  if (valid === 'ack') return { kind: 'ack' };
  if (valid === 'park') return { kind: 'park', reason: 'handler' };
  // A deferral is not an attempt: same attempt number, never parked for it.
  if ('deferInMs' in valid)
    return {
      kind: 'retry',
      delayMs: pickDeferTier(policy.delayTiersMs, valid.deferInMs),
      nextAttempt: delivery.attempt,
    };
  if (delivery.attempt >= policy.maxAttempts) {
    logger.warn('message used up its attempts; parking it', {
      messageId: delivery.messageId,
      attempt: delivery.attempt,
      maxAttempts: policy.maxAttempts,
    });
    return { kind: 'park', reason: 'max-attempts' };
  }
  return {
    kind: 'retry',
    delayMs: pickDelayTier(policy.delayTiersMs, valid.retryInMs),
    nextAttempt: delivery.attempt + 1,
  };
}

/** Throws `INVALID_MESSAGE` for a message no broker should take. */
export function assertValidMessage(msg: OutgoingMessage): void {
  if (!Buffer.isBuffer(msg.body)) throw new BrokerError('INVALID_MESSAGE', 'body must be a Buffer');
  if (typeof msg.messageId !== 'string' || msg.messageId.length === 0 || msg.messageId.length > 255) {
    throw new BrokerError(
      'INVALID_MESSAGE',
      'messageId must be a non-empty string of at most 255 characters',
    );
  }
  for (const [name, value] of Object.entries(msg.headers ?? {})) {
    if (isReservedHeader(name)) throw new BrokerError('INVALID_MESSAGE', `header ${name} is reserved`);
    const ok = typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
    if (!ok) throw new BrokerError('INVALID_MESSAGE', `header ${name} must be a string or a finite number`);
  }
}

/** Keeps the application headers (string or number values) and drops broker-internal ones. */
export function applicationHeaders(raw: unknown): Record<string, HeaderValue> {
  const out: Record<string, HeaderValue> = {};
  if (typeof raw !== 'object' || raw === null) return out;
  for (const [name, value] of Object.entries(raw)) {
    if (isReservedHeader(name)) continue;
    if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) out[name] = value;
  }
  return out;
}

/** The attempt number carried in a header; 1 when absent or malformed. */
export function parseAttempt(raw: unknown): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

export function assertValidPrefetch(prefetch: number): void {
  if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65_535) {
    throw new RangeError(`prefetch must be an integer between 1 and 65535, got ${String(prefetch)}`);
  }
}

export async function publishAll(
  publish: (msg: OutgoingMessage) => Promise<void>,
  msgs: readonly OutgoingMessage[],
): Promise<PublishResult[]> {
  const settled = await Promise.allSettled(msgs.map((m) => publish(m)));
  return settled.map((s, i) => {
    const messageId = msgs[i]?.messageId ?? '';
    return s.status === 'fulfilled'
      ? { messageId, ok: true }
      : { messageId, ok: false, error: toError(s.reason) };
  });
}

/** Tracks promises in flight so `stop()`/`close()` can wait for them. */
export class InFlight {
  private readonly pending = new Set<Promise<unknown>>();

  get size(): number {
    return this.pending.size;
  }

  track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    const remove = (): void => {
      this.pending.delete(p);
    };
    p.then(remove, remove);
    return p;
  }

  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
