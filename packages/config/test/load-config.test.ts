import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '@flowgate/config';

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('loadConfig', () => {
  it('when DATABASE_URL is set without secrets and values are bad, then every problem is listed at once', () => {
    let error: unknown;
    try {
      loadConfig({
        DATABASE_URL: 'postgres://x@h/db',
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        GRAPH_API_VERSION: '25',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/PORT/);
    expect(problems).toMatch(/LOG_LEVEL/);
    expect(problems).toMatch(/GRAPH_API_VERSION/);
  });

  it('when DATABASE_URL is set, then FLOWGATE_SECRET_KEY and JWT_SECRET are required and checked', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://x@h/db' })).toThrow(
      /FLOWGATE_SECRET_KEY[\s\S]*JWT_SECRET/,
    );
    expect(() =>
      loadConfig({
        DATABASE_URL: 'postgres://x@h/db',
        FLOWGATE_SECRET_KEY: 'c2hvcnQ=',
        JWT_SECRET: 'x'.repeat(32),
      }),
    ).toThrow(/32 bytes/);
  });

  it('when values are valid, then they are typed, defaulted and frozen', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://x@h/db',
      FLOWGATE_SECRET_KEY: KEY,
      JWT_SECRET: 'j'.repeat(40),
      PORT: '8080',
    });
    expect(config.http.port).toBe(8080);
    expect(config.graph).toEqual({ baseUrl: 'https://graph.facebook.com', version: 'v25.0' });
    expect(config.argon2).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://x@h/db' });
    expect(Object.isFrozen(config.http)).toBe(true);
  });

  it('when argon2 parameters go below OWASP minimums, then the config is refused', () => {
    expect(() =>
      loadConfig({
        FLOWGATE_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'fg-')),
        ARGON2_MEMORY_KIB: '1024',
        ARGON2_TIME_COST: '1',
      }),
    ).toThrow(/ARGON2_MEMORY_KIB[\s\S]*ARGON2_TIME_COST/);
  });

  it('when no DATABASE_URL is set, then embedded mode generates secrets once and reuses them', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fg-'));
    const first = loadConfig({ FLOWGATE_DATA_DIR: dir });
    const second = loadConfig({ FLOWGATE_DATA_DIR: dir });
    expect(first.database).toEqual({ kind: 'pglite', dir: path.join(dir, 'pglite') });
    expect(first.secretKey.length).toBe(32);
    expect(second.secretKey.equals(first.secretKey)).toBe(true);
    expect(second.jwtSecret).toBe(first.jwtSecret);
  });
});
