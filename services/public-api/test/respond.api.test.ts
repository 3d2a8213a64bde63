/**
 * `respond` (ADR 0023): with strict responses on, a body that breaks its schema never reaches the
 * client: the route's error becomes a 500 INTERNAL_ERROR, logged as a contract violation that
 * names the offending field; the error mapper's own envelopes get the same treatment.
 */
import express from 'express';
import request from 'supertest';
import { Type } from '@sinclair/typebox';
import { ValidationError } from '@flowgate/errors';
import { errorHandler } from '../src/http/errors';
import { respond, STRICT_RESPONSES } from '../src/http/respond';
import { capturingLogger } from '@flowgate/testing';

const PingSchema = Type.Object(
  { pong: Type.Literal(true), at: Type.String({ format: 'date-time' }) },
  { title: 'Ping', additionalProperties: false },
);

function appWith(strict?: boolean) {
  const { logger, lines } = capturingLogger('respond-test');
  const app = express();
  if (strict !== undefined) app.set(STRICT_RESPONSES, strict);
  app.get('/good', (_req, res) =>
    respond(res, 200, PingSchema, { pong: true, at: new Date(0).toISOString() }),
  );
  // What a hand-built body looked like before: a field the schema does not know, and a bad date.
  const bad = { pong: true, at: 'yesterday', attempts: 3 } as unknown as { pong: true; at: string };
  app.get('/bad', (_req, res) => respond(res, 200, PingSchema, bad));
  app.get('/bad-error', () => {
    // An error whose details break the envelope's FieldError shape.
    throw new ValidationError('VALIDATION_FAILED', 'x', [
      { path: 7 } as unknown as { path: string; message: string },
    ]);
  });
  app.use(errorHandler(logger));
  return { app, lines };
}

describe('respond', () => {
  it('when the body matches its schema, then it is sent as is', async () => {
    const { app } = appWith();
    const res = await request(app).get('/good');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ pong: true, at: '1970-01-01T00:00:00.000Z' });
  });

  it('when a route body breaks its schema under NODE_ENV=test, then 500 INTERNAL_ERROR and a log naming each offending field', async () => {
    const { app, lines } = appWith();
    const res = await request(app).get('/bad');
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ success: false, error: { code: 'INTERNAL_ERROR' } });
    const logged = lines.join('');
    expect(logged).toContain('response violates its contract');
    expect(logged).toContain('Ping');
    expect(logged).toContain('/attempts');
    expect(logged).toContain('/at');
  });

  it('when an error envelope breaks its schema, then a valid 500 envelope goes out instead and the violation is logged', async () => {
    const { app, lines } = appWith();
    const res = await request(app).get('/bad-error');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      success: false,
      error: { code: 'INTERNAL_ERROR', message: expect.any(String), details: [], requestId: '' },
    });
    expect(lines.join('')).toContain('error response violates its contract');
  });

  it('when strict responses are turned off, then bodies are sent unchecked (production: no per-response cost)', async () => {
    const { app } = appWith(false);
    const res = await request(app).get('/bad');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ pong: true, at: 'yesterday', attempts: 3 });
  });
});
