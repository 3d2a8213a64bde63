/**
 * Every publish failure is a `BrokerError`. All of them mean the same thing to a caller ("not
 * confirmed: keep the message and publish it again later"); the code says why, for logs and
 * metrics.
 */
export type BrokerErrorCode =
  /** Not connected (or the channel died before the confirm arrived). */
  | 'BROKER_UNAVAILABLE'
  /** `close()` was called on this broker. */
  | 'BROKER_CLOSED'
  /** No confirm within `publishTimeoutMs`. The message may still arrive. */
  | 'PUBLISH_TIMEOUT'
  /** The broker nacked the message (e.g. a quorum queue without a majority). */
  | 'PUBLISH_NACKED'
  /** No queue was bound to take the message (topology missing). */
  | 'PUBLISH_UNROUTABLE'
  /** The message itself is invalid (empty id, reserved header, …): do not retry as is. */
  | 'INVALID_MESSAGE';

export class BrokerError extends Error {
  readonly code: BrokerErrorCode;

  constructor(code: BrokerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerError';
    this.code = code;
  }
}

export function isBrokerError(err: unknown): err is BrokerError {
  return err instanceof BrokerError;
}

/** Normalises anything thrown into an Error without losing it. */
export function toError(err: unknown): Error {
  if (err instanceof Error) return err;
  return new Error(typeof err === 'string' ? err : `non-error thrown: ${String(err)}`);
}
