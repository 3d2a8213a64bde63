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

  it('maskPhone keeps only the last four digits', () => {
    expect(maskPhone('+1 555-000-1234')).toBe('*******1234');
    expect(maskPhone('12')).toBe('****');
  });
});
