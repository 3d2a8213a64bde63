import type { RequestHandler } from 'express';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from '@flowgate/errors';

/** 415 for a body that is not JSON (checked before any work on it). */
export function requireJson(): RequestHandler {
  return (req, _res, next) => {
    const hasBody =
      req.get('content-length') !== undefined
        ? req.get('content-length') !== '0'
        : req.get('transfer-encoding') !== undefined;
    if (hasBody && !req.is('application/json')) {
      throw new UnsupportedMediaTypeError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
    }
    next();
  };
}

/**
 * 413 at once for a body whose declared Content-Length is over the limit: the JSON parser would
 * otherwise read (and throw away) all of it before answering. Chunked bodies are counted by the
 * parser as they arrive.
 */
export function limitDeclaredBody(limitBytes: number): RequestHandler {
  return (req, _res, next) => {
    // Parsed already under a route's own limit (POST /broadcasts).
    if (req.body !== undefined) return next();
    const declared = req.get('content-length');
    if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limitBytes)
      throw new PayloadTooLargeError('PAYLOAD_TOO_LARGE', 'The body is too large.');
    next();
  };
}
