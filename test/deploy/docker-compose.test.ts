import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { EnvSchema, loadConfig } from '@flowgate/config';

/**
 * Docker cannot run on this machine, so the compose file is checked against the code instead:
 * every command is a real script, every variable is one the config schema knows and accepts,
 * ports agree with the environment, and every long-running service has a health check.
 */
const root = path.join(__dirname, '..', '..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      build?: { dockerfile: string; target: string };
      command?: string[];
      environment?: Record<string, string>;
      ports?: string[];
      healthcheck?: { test: string[] };
      depends_on?: Record<string, { condition: string }>;
    }
  >;
};
const scripts = (
  JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;
const FLOWGATE = ['migrate', 'public-api', 'dispatcher', 'sandbox'];
const SANDBOX_ENV = ['SANDBOX_PORT', 'SANDBOX_HOST', 'SANDBOX_SLOW_MS'];

/** Resolves `${NAME:-default}` the way compose does when NAME is unset. */
const resolve = (env: Record<string, string>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]),
  );

const service = (name: string) => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};

describe('docker-compose.yml', () => {
  it('has PostgreSQL, RabbitMQ with the management UI, a migration step, the API, the dispatcher and the sandbox', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'dispatcher',
      'migrate',
      'postgres',
      'public-api',
      'rabbitmq',
      'sandbox',
    ]);
    expect(service('rabbitmq').image).toMatch(/management/);
    expect(service('rabbitmq').ports).toContain('15672:15672');
    expect(service('public-api').depends_on?.['migrate']?.condition).toBe('service_completed_successfully');
  });

  it.each(FLOWGATE)('service %s runs a real root script with the multi-stage image', (name) => {
    const s = service(name);
    const [bin, script, ...args] = s.command ?? [];
    expect(bin).toBe('pnpm');
    expect(scripts[script ?? '']).toBeDefined();
    if (script === 'cli') expect(args[0]).toBe('migrate');
    expect(s.build?.target).toBe('runtime');
    const dockerfile = readFileSync(path.join(root, s.build?.dockerfile ?? 'missing'), 'utf8');
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/AS runtime/);
  });

  it.each(['migrate', 'public-api', 'dispatcher'])(
    'service %s sets only known variables, and the config accepts them',
    (name) => {
      const env = resolve(service(name).environment ?? {});
      for (const key of Object.keys(env)) expect(Object.keys(EnvSchema.properties)).toContain(key);
      const config = loadConfig(env);
      expect(config.database.kind).toBe('postgres');
      expect(config.amqp.url).toMatch(/@rabbitmq:5672$/);
      expect(config.graph.baseUrl).toBe('http://sandbox:4010');
    },
  );

  it('ports agree with the environment and every long-running service has a health check', () => {
    const api = service('public-api');
    expect(api.ports).toContain(`${api.environment?.['PORT']}:${api.environment?.['PORT']}`);
    const sandbox = service('sandbox');
    for (const key of Object.keys(sandbox.environment ?? {})) expect(SANDBOX_ENV).toContain(key);
    expect(sandbox.ports).toContain(`${sandbox.environment?.['SANDBOX_PORT']}:4010`);
    for (const name of ['postgres', 'rabbitmq', 'sandbox', 'public-api', 'dispatcher'])
      expect(service(name).healthcheck?.test.length).toBeGreaterThan(0);
    expect(JSON.stringify(api.healthcheck)).toContain(`:${api.environment?.['PORT']}/readyz`);
    const dispatcher = service('dispatcher');
    expect(JSON.stringify(dispatcher.healthcheck)).toContain(
      `:${dispatcher.environment?.['DISPATCHER_HEALTH_PORT']}/readyz`,
    );
  });
});
