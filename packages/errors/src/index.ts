import type { ErrorCode } from '@flowgate/contracts';

export type { ErrorCode };

/**
 * Domain errors. Each carries a stable UPPER_SNAKE `code` from @flowgate/contracts' ERROR_CODES
 * (the README's error table is checked against it, so no other code can be thrown) and optional
 * `details`; none knows about HTTP. The services' single error mapper turns them into status codes.
 */
export interface ErrorDetail {
  /** JSON pointer-ish path of the offending field, e.g. `/templateVariables/2`. */
  path: string;
  message: string;
}

export abstract class AppError extends Error {
  abstract readonly kind: ErrorKind;
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[] | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    details?: readonly ErrorDetail[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

export type ErrorKind =
  | 'validation'
  | 'authentication'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable'
  | 'payload_too_large'
  | 'unsupported_media_type';

export class ValidationError extends AppError {
  readonly kind = 'validation' as const;
}
export class AuthenticationError extends AppError {
  readonly kind = 'authentication' as const;
  constructor(
    code: ErrorCode = 'UNAUTHORIZED',
    message = 'Missing or invalid credentials. Send apiKey and apiSecret headers.',
  ) {
    super(code, message);
  }
}
export class ForbiddenError extends AppError {
  readonly kind = 'forbidden' as const;
}
export class NotFoundError extends AppError {
  readonly kind = 'not_found' as const;
}
export class ConflictError extends AppError {
  readonly kind = 'conflict' as const;
}
export class UnprocessableError extends AppError {
  readonly kind = 'unprocessable' as const;
}
export class RateLimitedError extends AppError {
  readonly kind = 'rate_limited' as const;
  constructor(
    message: string,
    /** Seconds after which the caller may try again. */
    readonly retryAfterSeconds: number,
  ) {
    super('RATE_LIMITED', message);
  }
}
export class UnavailableError extends AppError {
  readonly kind = 'unavailable' as const;
}
export class PayloadTooLargeError extends AppError {
  readonly kind = 'payload_too_large' as const;
}
export class UnsupportedMediaTypeError extends AppError {
  readonly kind = 'unsupported_media_type' as const;
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
