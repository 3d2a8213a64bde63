import { Writable } from 'node:stream';
import { createLogger, maskPhone, runWithContext } from '@flowgate/logger';

function capture(secrets: string[] = []) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: createLogger({ service: 'test', stream, secrets }), lines };
}

describe('logger', () => {
  it('when logging inside a request context, then each JSON line carries the request id', () => {
    const { logger, lines } = capture();
    runWithContext({ requestId: 'req-1' }, () => logger.info('hello', { count: 2 }));
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'info',
      message: 'hello',
      requestId: 'req-1',
      service: 'test',
      count: 2,
    });
  });

  it('when metadata holds secrets, bodies or phone numbers, then they are redacted or masked', () => {
    const { logger, lines } = capture(['super-secret-jwt-key']);
    logger.warn('x', {
      apiSecret: 's3cr3t',
      password: 'hunter2',
      accessToken: 'EAAG-token',
      content: 'Hello Jane, your order',
      nested: { authorization: 'Basic abc', phone: '+91 98765 43210', to: '919876543210' },
      note: 'contains super-secret-jwt-key inline',
    });
    const out = lines.join('');
    for (const leaked of [
      's3cr3t',
      'hunter2',
      'EAAG-token',
      'Hello Jane',
      'Basic abc',
      '98765',
      'super-secret-jwt-key',
    ])
      expect(out).not.toContain(leaked);
    expect(out).toContain('********3210');
  });

  it('when an error object is logged, then its stack is kept and registered secrets in it are scrubbed', () => {
    const { logger, lines } = capture(['amqp-pa55word']);
    const err = Object.assign(new Error('connect failed for amqp://guest:amqp-pa55word@mq:5672'), {
      code: 'ECONNREFUSED',
      // What a driver may hang on an error: a query's values, a request body.
      parameters: ['919876543210', 'Hello Jane'],
      body: 'Your order has shipped',
    });
    logger.error('broker down', { err });
    const line = JSON.parse(lines[0] ?? '{}') as {
      err?: { message?: string; stack?: string; code?: string };
    };
    expect(line.err?.code).toBe('ECONNREFUSED');
    expect(line.err?.stack).toContain('logger.test.ts');
    expect(line.err?.message).toContain('[redacted]');
    const out = lines.join('');
    for (const leaked of ['amqp-pa55word', '919876543210', 'Hello Jane', 'Your order has shipped'])
      expect(out).not.toContain(leaked);
  });

  it('maskPhone keeps only the last four digits', () => {
    expect(maskPhone('+1 555-000-1234')).toBe('*******1234');
    expect(maskPhone('12')).toBe('****');
  });
});
