import { ConfigError, EnvSchema, loadSandboxConfig, SANDBOX_CONFIG_KEYS } from '../src/index';

describe('loadSandboxConfig', () => {
  it('when nothing is set, then it uses the schema defaults and needs no database or secrets', () => {
    expect(loadSandboxConfig({})).toEqual({
      port: 4010,
      host: '0.0.0.0',
      slowMs: 3000,
      chaos: undefined,
      webhookUrl: undefined,
      statusDelaysMs: [200, 800, 1500],
      appSecret: undefined,
      webhook: undefined,
      logLevel: 'info',
    });
  });

  it('reads only its own variables, typed', () => {
    const config = loadSandboxConfig({
      SANDBOX_PORT: '0',
      SANDBOX_HOST: '127.0.0.1',
      SANDBOX_SLOW_MS: '250',
      SANDBOX_CHAOS: '{"http500Rate":0.1}',
      LOG_LEVEL: 'warn',
      DATABASE_URL: 'not even a URL',
    });
    expect(config).toEqual({
      port: 0,
      host: '127.0.0.1',
      slowMs: 250,
      chaos: '{"http500Rate":0.1}',
      webhookUrl: undefined,
      statusDelaysMs: [200, 800, 1500],
      appSecret: undefined,
      webhook: undefined,
      logLevel: 'warn',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('enables the webhook only when both SANDBOX_WEBHOOK_URL and META_APP_SECRET are set', () => {
    const both = loadSandboxConfig({
      SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:3000/api/v1/webhooks/meta',
      SANDBOX_STATUS_DELAYS_MS: '0,10,20',
      META_APP_SECRET: 'app-secret-123',
    });
    expect(both.webhook).toEqual({
      url: 'http://127.0.0.1:3000/api/v1/webhooks/meta',
      appSecret: 'app-secret-123',
      statusDelaysMs: [0, 10, 20],
    });
    expect(both.statusDelaysMs).toEqual([0, 10, 20]);
    const urlOnly = loadSandboxConfig({ SANDBOX_WEBHOOK_URL: 'https://example.com/hook' });
    expect(urlOnly.webhookUrl).toBe('https://example.com/hook');
    expect(urlOnly.webhook).toBeUndefined();
    const secretOnly = loadSandboxConfig({ META_APP_SECRET: 'app-secret-123' });
    expect(secretOnly.appSecret).toBe('app-secret-123');
    expect(secretOnly.webhook).toBeUndefined();
  });

  it('when the webhook settings are bad, then it lists them', () => {
    let error: unknown;
    try {
      loadSandboxConfig({
        SANDBOX_WEBHOOK_URL: 'ftp://example.com',
        SANDBOX_STATUS_DELAYS_MS: '1,2',
        META_APP_SECRET: 'short',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('SANDBOX_WEBHOOK_URL');
    expect(problems).toContain('SANDBOX_STATUS_DELAYS_MS');
    expect(problems).toContain('META_APP_SECRET');
    expect(problems).not.toContain('short');
  });

  it('when values are bad, then it throws one ConfigError listing every problem', () => {
    let error: unknown;
    try {
      loadSandboxConfig({ SANDBOX_PORT: '70000', SANDBOX_SLOW_MS: 'slow', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('SANDBOX_PORT: must be <= 65535');
    expect(problems).toContain('SANDBOX_SLOW_MS: must be integer');
    expect(problems).toContain('LOG_LEVEL: must be one of: error, warn, info, debug');
    expect(problems).not.toContain('equal to constant');
  });

  it('every key it reads is in the schema (so in the README table)', () => {
    for (const key of SANDBOX_CONFIG_KEYS) expect(Object.keys(EnvSchema.properties)).toContain(key);
  });
});
