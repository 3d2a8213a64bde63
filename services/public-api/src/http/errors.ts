import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { isAppError, type AppError, type ErrorKind } from '@flowgate/errors';
import { ERROR_CODES, type ErrorCode } from '@flowgate/contracts';
import { isConnectionError } from '@flowgate/db';
import type { Logger } from '@flowgate/logger';

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  validation: 400,
  authentication: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
};

export function sendError(
  res: Response,
  status: number,
  code: string,
  message: string,
  details?: readonly unknown[],
): void {
  const requestId = typeof res.locals['requestId'] === 'string' ? res.locals['requestId'] : '';
  res.status(status).json({
    success: false,
    error: { code, message, ...(details && details.length > 0 ? { details } : {}), requestId },
  });
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

/** The one mapper from errors to the envelope of DESIGN §2.4. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
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
      // The documented status of the code wins (the README's table is generated from it).
      const documented = (ERROR_CODES as Record<string, { status: number } | undefined>)[appErr.code];
      sendError(
        res,
        documented?.status ?? STATUS_BY_KIND[appErr.kind],
        appErr.code,
        appErr.message,
        appErr.details,
      );
      return;
    }
    const parsed = bodyParserError(err);
    if (parsed) {
      sendError(res, parsed.status, parsed.code, parsed.message);
      return;
    }
    if (isConnectionError(err)) {
      logger.warn('database unavailable', { err: err instanceof Error ? err.message : String(err) });
      res.setHeader('Retry-After', '5');
      sendError(
        res,
        ERROR_CODES.SERVICE_UNAVAILABLE.status,
        'SERVICE_UNAVAILABLE',
        'A dependency is unavailable; retry shortly.',
      );
      return;
    }
    logger.error('unhandled error', { err });
    sendError(
      res,
      500,
      'INTERNAL_ERROR',
      'An unexpected error occurred; quote the requestId when reporting it.',
    );
  };
}

export function notFound(): RequestHandler {
  return (_req, res) => sendError(res, 404, 'NOT_FOUND', 'No such route.');
}
