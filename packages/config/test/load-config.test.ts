import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, configDefaults, loadConfig } from '@flowgate/config';

const KEY = Buffer.alloc(32, 7).toString('base64');
const VALID = { DATABASE_URL: 'postgres://x@h/db', FLOWGATE_SECRET_KEY: KEY, JWT_SECRET: 'j'.repeat(40) };

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
    const problems = (error as ConfigError).problems;
    const names = problems.map((p) => p.split(':')[0]);
    // Schema problems and the missing secrets together, one line per variable.
    expect(names.sort()).toEqual(
      ['FLOWGATE_SECRET_KEY', 'GRAPH_API_VERSION', 'JWT_SECRET', 'LOG_LEVEL', 'PORT'].sort(),
    );
    expect(problems).toContain('LOG_LEVEL: must be one of: error, warn, info, debug');
    expect(problems.join('\n')).not.toMatch(/equal to constant|anyOf/);
  });

  it('when a choice variable is wrong, then the message names the allowed values once, without the value', () => {
    let error: unknown;
    try {
      loadConfig({ FLOWGATE_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'fg-')), SANDBOX: 'yes' });
    } catch (err) {
      error = err;
    }
    expect((error as ConfigError).problems).toEqual(['SANDBOX: must be one of: true, false']);
  });

  it('when the configuration is refused in embedded mode, then no secrets file is written', () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'fg-')), 'data');
    expect(() => loadConfig({ FLOWGATE_DATA_DIR: dir, PORT: 'x' })).toThrow(ConfigError);
    // Problems found after the schema check (a refused TRUST_PROXY, crossed timeouts) too.
    expect(() => loadConfig({ FLOWGATE_DATA_DIR: dir, TRUST_PROXY: 'true' })).toThrow(ConfigError);
    expect(() =>
      loadConfig({
        FLOWGATE_DATA_DIR: dir,
        HTTP_HEADERS_TIMEOUT_MS: '5000',
        HTTP_REQUEST_TIMEOUT_MS: '1000',
      }),
    ).toThrow(ConfigError);
    expect(existsSync(dir)).toBe(false);
  });

  it.each([
    ['false', false],
    ['0', false],
    ['1', 1],
    ['2', 2],
    ['10.0.0.0/8, loopback', ['10.0.0.0/8', 'loopback']],
    ['192.168.1.10,fd00::/8', ['192.168.1.10', 'fd00::/8']],
  ])('when TRUST_PROXY is %j, then the app trusts %j', (value, expected) => {
    const config = loadConfig({ ...VALID, TRUST_PROXY: value });
    expect(config.http.trustProxy).toEqual(expected);
  });

  it.each([
    ['true', /any X-Forwarded-For/],
    ['yes', /"yes"/],
    ['10.0.0.0/33', /"10.0.0.0\/33"/],
    ['10.0.0.0/8,300.1.1.1', /"300.1.1.1"/],
    ['99', /at most 20/],
  ])('when TRUST_PROXY is %j, then the config is refused', (value, message) => {
    expect(() => loadConfig({ ...VALID, TRUST_PROXY: value })).toThrow(message);
  });

  it('when the slow-client timeouts are set, then they are typed, and headers may not outlast the request', () => {
    const config = loadConfig({ ...VALID, HTTP_HEADERS_TIMEOUT_MS: '500', HTTP_REQUEST_TIMEOUT_MS: '800' });
    expect(config.http).toMatchObject({ headersTimeoutMs: 500, requestTimeoutMs: 800 });
    expect(loadConfig(VALID).http).toMatchObject({ headersTimeoutMs: 10000, requestTimeoutMs: 30000 });
    expect(() =>
      loadConfig({ ...VALID, HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '1000' }),
    ).toThrow(/HTTP_HEADERS_TIMEOUT_MS: must not be greater than HTTP_REQUEST_TIMEOUT_MS/);
  });

  it('configDefaults gives the argon2 and auth settings of an empty environment', () => {
    expect(configDefaults()).toEqual({
      argon2: loadConfig(VALID).argon2,
      auth: loadConfig(VALID).auth,
    });
    expect(configDefaults().argon2).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
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
