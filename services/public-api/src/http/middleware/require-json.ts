import type { RequestHandler } from 'express';
import { UnsupportedMediaTypeError } from '@flowgate/errors';

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
