import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { isAppError, type AppError } from '@flowgate/errors';
import { ERROR_CODES, ErrorEnvelopeSchema, type ErrorCode, type FieldError } from '@flowgate/contracts';
import { isConnectionError } from '@flowgate/db';
import type { Logger } from '@flowgate/logger';
import { respond, ResponseContractError } from './respond';

/**
 * Writes the envelope of docs/contracts.md §2.4 through `respond` (checked against ErrorEnvelopeSchema with
 * strict responses on); `details` is always present (empty when there are none).
 */
export function sendError(
  res: Response,
  status: number,
  code: ErrorCode,
  message: string,
  details: readonly FieldError[] = [],
): void {
  const requestId = typeof res.locals['requestId'] === 'string' ? res.locals['requestId'] : '';
  respond(res, status, ErrorEnvelopeSchema, {
    success: false,
    error: { code, message, details: [...details], requestId },
  });
}

const INTERNAL_MESSAGE = 'An unexpected error occurred; quote the requestId when reporting it.';

/**
 * `sendError` for the error mapper, which has nobody to throw to: an envelope that breaks its own
 * contract is logged as the bug it is and replaced by a plain 500 (itself valid).
 */
function sendErrorSafely(logger: Logger, ...args: Parameters<typeof sendError>): void {
  const [res] = args;
  try {
    sendError(...args);
  } catch (err) {
    if (!(err instanceof ResponseContractError)) throw err;
    logger.error('error response violates its contract', { err });
    const requestId = typeof res.locals['requestId'] === 'string' ? res.locals['requestId'] : '';
    res.status(500).json({
      success: false,
      error: { code: 'INTERNAL_ERROR', message: INTERNAL_MESSAGE, details: [], requestId },
    });
  }
}

/** body-parser / raw-body errors carry `type` and `status`; map them to our codes. */
function bodyParserError(err: unknown): { status: number; code: ErrorCode; message: string } | undefined {
  if (typeof err !== 'object' || err === null || !('type' in err) || typeof err.type !== 'string')
    return undefined;
  switch (err.type) {
    case 'entity.parse.failed':
    case 'entity.verify.failed':
      return { status: 400, code: 'MALFORMED_JSON', message: 'The body is not valid JSON.' };
    case 'entity.too.large':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'The body is too large.' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return {
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Send the body as UTF-8 application/json.',
      };
    case 'request.aborted':
    case 'request.size.invalid':
      return { status: 400, code: 'VALIDATION_FAILED', message: 'The request body was incomplete.' };
    default:
      return undefined;
  }
}

/**
 * Errors raised by Express and its router before any handler runs carry a 4xx `status` (a path
 * that is not valid percent-encoding throws URIError with status 400). They are the client's
 * fault, so they get a 4xx, never a 500. Their own messages may quote the input: not echoed.
 */
function clientHttpError(err: unknown): { status: number; code: ErrorCode; message: string } | undefined {
  if (err instanceof URIError)
    return {
      status: 400,
      code: 'VALIDATION_FAILED',
      message: 'The request path is not valid percent-encoded UTF-8.',
    };
  if (typeof err !== 'object' || err === null) return undefined;
  const raw = 'status' in err ? err.status : 'statusCode' in err ? err.statusCode : undefined;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 400 || raw > 499) return undefined;
  switch (raw) {
    case 404:
      return { status: 404, code: 'NOT_FOUND', message: 'No such route.' };
    case 413:
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'The body is too large.' };
    case 415:
      return {
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Send the body as UTF-8 application/json.',
      };
    default:
      return { status: 400, code: 'VALIDATION_FAILED', message: 'The request is malformed.' };
  }
}

/** The one mapper from errors to the envelope of docs/contracts.md §2.4. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    // Answered before the body was read (415, 413 by its declared length, 401 …): close the
    // connection after the answer instead of letting Node read and discard the rest of it.
    if (!req.complete) res.setHeader('Connection', 'close');
    if (isAppError(err)) {
      const appErr: AppError = err;
      if (
        appErr.kind === 'rate_limited' &&
        'retryAfterSeconds' in appErr &&
        typeof appErr.retryAfterSeconds === 'number'
      ) {
        res.setHeader('Retry-After', String(appErr.retryAfterSeconds));
      }
      if (appErr.kind === 'unavailable') res.setHeader('Retry-After', '5');
      // The status is the code's documented one (the README's table is checked against it).
      sendErrorSafely(
        logger,
        res,
        ERROR_CODES[appErr.code].status,
        appErr.code,
        appErr.message,
        appErr.details,
      );
      return;
    }
    const parsed = bodyParserError(err);
    if (parsed) {
      sendErrorSafely(logger, res, parsed.status, parsed.code, parsed.message);
      return;
    }
    const client = clientHttpError(err);
    if (client) {
      sendErrorSafely(logger, res, client.status, client.code, client.message);
      return;
    }
    if (isConnectionError(err)) {
      logger.warn('database unavailable', { err });
      res.setHeader('Retry-After', '5');
      sendErrorSafely(
        logger,
        res,
        ERROR_CODES.SERVICE_UNAVAILABLE.status,
        'SERVICE_UNAVAILABLE',
        'A dependency is unavailable; retry shortly.',
      );
      return;
    }
    // A body that broke its schema (strict responses, every test run) is a bug like any other,
    // named as such in the log.
    logger.error(
      err instanceof ResponseContractError ? 'response violates its contract' : 'unhandled error',
      {
        err,
      },
    );
    sendErrorSafely(logger, res, 500, 'INTERNAL_ERROR', INTERNAL_MESSAGE);
  };
}

export function notFound(): RequestHandler {
  return (_req, res) => sendError(res, 404, 'NOT_FOUND', 'No such route.');
}
