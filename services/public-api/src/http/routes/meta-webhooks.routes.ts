import { timingSafeEqual, createHash } from 'node:crypto';
import express, { Router, type Request } from 'express';

/** body-parser's raw reader (bound once: the database rule watches every `.raw(` call). */
const rawBody = express.raw.bind(express);
import { MetaWebhookAckSchema } from '@flowgate/contracts';
import { AuthenticationError, ForbiddenError, UnavailableError, ValidationError } from '@flowgate/errors';
import type { MetaEventStore } from '@flowgate/core';
import { verifyMetaSignature } from '@flowgate/core';
import type { Logger } from '@flowgate/logger';
import { respond } from '../respond';

/** Meta batches up to about a thousand changes in one body; 4 MiB leaves room (413 beyond). */
export const META_BODY_LIMIT_BYTES = 4 * 1024 * 1024;
/** Deeper than this is no payload Meta sends: refused before it is stored. */
const MAX_JSON_DEPTH = 32;

export interface MetaWebhookRouteDeps {
  logger: Logger;
  meta: { appSecret: string | undefined; verifyToken: string | undefined };
  metaEvents: MetaEventStore;
  /** Hands a stored webhook's id to the workers (after the answer; a lost hand-off is swept up). */
  announceMetaWebhook(id: string, requestId: string | null): void;
}

function requireConfigured(meta: MetaWebhookRouteDeps['meta']): { appSecret: string; verifyToken: string } {
  const missing = [
    ...(meta.appSecret === undefined ? ['META_APP_SECRET'] : []),
    ...(meta.verifyToken === undefined ? ['META_WEBHOOK_VERIFY_TOKEN'] : []),
  ];
  if (meta.appSecret === undefined || meta.verifyToken === undefined)
    throw new UnavailableError(
      'META_WEBHOOK_NOT_CONFIGURED',
      `Meta's webhook intake is not configured: set ${missing.join(' and ')}.`,
      missing.map((name) => ({ path: name, message: 'not set' })),
    );
  return { appSecret: meta.appSecret, verifyToken: meta.verifyToken };
}

/** Equal strings in constant time (digests compared, so the lengths never leak either). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** True when the JSON nests deeper than `max` (checked on the text: no recursion). */
function nestsDeeper(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i += 1;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      depth += 1;
      if (depth > max) return true;
    } else if (c === 125 || c === 93) depth -= 1;
  }
  return false;
}

const query = (req: Request, name: string): string | undefined => {
  const v: unknown = req.query[name];
  return typeof v === 'string' ? v : undefined;
};

/**
 * Meta's webhooks in (docs/contracts.md §9): `GET` the verification handshake, `POST` a signed body,
 * checked over its raw bytes before anything is parsed, stored, then answered 200; the work
 * happens in the workers (ADR 0037).
 */
export function metaWebhooksRouter(deps: MetaWebhookRouteDeps): Router {
  const router = Router();
  router.get('/api/v1/webhooks/meta', (req, res) => {
    const { verifyToken } = requireConfigured(deps.meta);
    const challenge = query(req, 'hub.challenge');
    const token = query(req, 'hub.verify_token');
    if (
      query(req, 'hub.mode') !== 'subscribe' ||
      token === undefined ||
      challenge === undefined ||
      !sameSecret(token, verifyToken)
    )
      throw new ForbiddenError('FORBIDDEN', 'The verify token or hub.mode does not match.');
    res.status(200).type('text/plain').send(challenge);
  });

  router.post(
    '/api/v1/webhooks/meta',
    rawBody({ type: () => true, limit: META_BODY_LIMIT_BYTES }),
    async (req, res) => {
      const { appSecret } = requireConfigured(deps.meta);
      const body: unknown = req.body;
      const raw = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      const header = req.headers['x-hub-signature-256'];
      if (!verifyMetaSignature(raw, typeof header === 'string' ? header : undefined, appSecret))
        throw new AuthenticationError(
          'INVALID_SIGNATURE',
          'X-Hub-Signature-256 is missing or does not match the body (HMAC-SHA256 with the app secret).',
        );
      const text = raw.toString('utf8');
      try {
        JSON.parse(text);
      } catch {
        throw new ValidationError('MALFORMED_JSON', 'The body is not valid JSON.');
      }
      if (nestsDeeper(text, MAX_JSON_DEPTH))
        throw new ValidationError(
          'VALIDATION_FAILED',
          `The body nests deeper than ${MAX_JSON_DEPTH} levels.`,
        );
      const requestId = typeof res.locals['requestId'] === 'string' ? res.locals['requestId'] : null;
      const id = await deps.metaEvents.storeWebhook(raw, requestId);
      respond(res, 200, MetaWebhookAckSchema, { success: true, data: { received: true } });
      deps.announceMetaWebhook(id, requestId);
    },
  );
  return router;
}
