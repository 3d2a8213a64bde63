import { ConfigError, EnvSchema, loadSandboxConfig, SANDBOX_CONFIG_KEYS } from '../src/index';

describe('loadSandboxConfig', () => {
  it('when nothing is set, then it uses the schema defaults and needs no database or secrets', () => {
    expect(loadSandboxConfig({})).toEqual({
      port: 4010,
      host: '0.0.0.0',
      slowMs: 3000,
      chaos: undefined,
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
      logLevel: 'warn',
    });
    expect(Object.isFrozen(config)).toBe(true);
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
