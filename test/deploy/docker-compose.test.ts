import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { EnvSchema, loadConfig, loadSandboxConfig, SANDBOX_CONFIG_KEYS } from '@flowgate/config';

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
const rootPackage = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  packageManager: string;
};
const scripts = rootPackage.scripts;
const FLOWGATE = ['migrate', 'public-api', 'dispatcher', 'sandbox'];

/** The file a root script runs (`scripts/node --import tsx services/public-api/src/main.ts` → that path). */
const entryOf = (script: string): string | undefined =>
  /^(?:scripts\/node --import )?tsx\s+(\S+\.ts)\b/.exec(scripts[script] ?? '')?.[1];

interface Stage {
  name: string;
  base: string;
  /** Instructions of the stage, continuation lines joined: `RUN …`, `COPY …`, `CMD …`. */
  instructions: string[];
}

/** The Dockerfile's stages, in order. */
function dockerStages(file: string): Stage[] {
  const text = readFileSync(path.join(root, file), 'utf8')
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const stages: Stage[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '') continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) stages.push({ base: from[1] ?? '', name: from[2] ?? `#${stages.length}`, instructions: [] });
    else stages.at(-1)?.instructions.push(line);
  }
  return stages;
}

/** `pnpm <x>` invocations in a shell command or an exec-form array. */
function pnpmCommands(instruction: string): string[][] {
  const exec = /^(?:CMD|ENTRYPOINT)\s+(\[.*\])$/.exec(instruction);
  if (exec) {
    const argv = JSON.parse(exec[1] ?? '[]') as string[];
    return argv[0] === 'pnpm' ? [argv.slice(1)] : [];
  }
  return instruction
    .split(/&&|;|\|\|/)
    .map((part) =>
      part
        .trim()
        .replace(/^RUN\s+/, '')
        .split(/\s+/),
    )
    .filter((argv) => argv[0] === 'pnpm')
    .map((argv) => argv.slice(1));
}

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

  it.each(FLOWGATE)('service %s runs a real root script, whose entry file exists, in the image', (name) => {
    const s = service(name);
    const [bin, script, ...args] = s.command ?? [];
    expect(bin).toBe('pnpm');
    expect(scripts[script ?? '']).toBeDefined();
    const entry = entryOf(script ?? '');
    expect(entry).toBeDefined();
    expect(existsSync(path.join(root, entry ?? 'missing'))).toBe(true);
    if (script === 'cli') expect(args[0]).toBe('migrate');
    expect(s.build?.target).toBe('runtime');
    const stages = dockerStages(s.build?.dockerfile ?? 'missing');
    expect(stages.map((st) => st.name)).toContain('runtime');
  });

  it('the Dockerfile stages build on each other and their commands exist', () => {
    const stages = dockerStages('infra/docker/Dockerfile');
    const names = stages.map((st) => st.name);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    // The compose target is the last stage, so `docker build` without --target builds it too.
    expect(names.at(-1)).toBe('runtime');
    const pnpmVersion = rootPackage.packageManager.split('@')[1];
    const pnpmBuiltins = new Set(['install']);
    const seen: string[] = [];
    stages.forEach((stage, i) => {
      // A stage built on another stage names an earlier one; COPY --from too.
      if (!stage.base.includes(':')) expect(names.slice(0, i)).toContain(stage.base);
      for (const ins of stage.instructions) {
        const from = /--from=(\S+)/.exec(ins)?.[1];
        if (from !== undefined) expect(names.slice(0, i)).toContain(from);
        // The pnpm that is installed is the one package.json pins.
        for (const m of ins.matchAll(/npm install -g pnpm@(\S+)/g)) expect(m[1]).toBe(pnpmVersion);
        for (const [cmd, ...rest] of pnpmCommands(ins)) {
          seen.push(cmd ?? '');
          if (pnpmBuiltins.has(cmd ?? '')) {
            if (rest.includes('--frozen-lockfile'))
              expect(existsSync(path.join(root, 'pnpm-lock.yaml'))).toBe(true);
            continue;
          }
          expect(scripts[cmd ?? '']).toBeDefined();
          const entry = entryOf(cmd ?? '');
          if (entry !== undefined) expect(existsSync(path.join(root, entry))).toBe(true);
        }
        // The native-module check names a package that really depends on it.
        const required = /require\('\.\/(packages\/[^/]+)\/node_modules\/([^']+)'\)/.exec(ins);
        if (required) {
          const pkg = JSON.parse(
            readFileSync(path.join(root, required[1] ?? '', 'package.json'), 'utf8'),
          ) as {
            dependencies?: Record<string, string>;
          };
          expect(Object.keys(pkg.dependencies ?? {})).toContain(required[2]);
        }
      }
    });
    // The stages install from the lockfile, type-check, and start the API by default.
    expect(seen).toEqual(expect.arrayContaining(['install', 'typecheck', 'start:api']));
    const deps = stages[0];
    // Dependencies are installed from the lockfile after copying the sources, so the host's
    // node_modules must not be copied in.
    expect(deps?.instructions.some((ins) => /pnpm install --frozen-lockfile/.test(ins))).toBe(true);
    const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '**/node_modules', '.data']));
    // The runtime stage copies the checked tree, runs unprivileged, and its default command is real.
    const runtime = stages.at(-1);
    expect(runtime?.instructions.some((ins) => /^COPY --from=check\b/.test(ins))).toBe(true);
    const user = runtime?.instructions.filter((ins) => ins.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER\s+(root|0)$/);
    const cmd = runtime?.instructions.filter((ins) => ins.startsWith('CMD ')).at(-1) ?? '';
    expect(pnpmCommands(cmd)).toHaveLength(1);
    const exposed = runtime?.instructions.find((ins) => ins.startsWith('EXPOSE '));
    expect(exposed).toBe(`EXPOSE ${service('public-api').environment?.['PORT']}`);
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
    const sandboxEnv = resolve(sandbox.environment ?? {});
    // Only variables `pnpm sandbox` reads (from the config schema), and values it accepts.
    for (const key of Object.keys(sandboxEnv)) expect(SANDBOX_CONFIG_KEYS).toContain(key);
    const sandboxConfig = loadSandboxConfig(sandboxEnv);
    // Reachable from the other containers, on the port the mapping, the health check and the
    // services' GRAPH_API_BASE_URL use.
    expect(sandboxConfig.host).toBe('0.0.0.0');
    expect(sandbox.ports).toContain(`${sandboxConfig.port}:${sandboxConfig.port}`);
    expect(JSON.stringify(sandbox.healthcheck)).toContain(`:${sandboxConfig.port}/healthz`);
    expect(new URL(resolve(service('dispatcher').environment ?? {})['GRAPH_API_BASE_URL'] ?? '').port).toBe(
      String(sandboxConfig.port),
    );
    for (const name of ['postgres', 'rabbitmq', 'sandbox', 'public-api', 'dispatcher'])
      expect(service(name).healthcheck?.test.length).toBeGreaterThan(0);
    expect(JSON.stringify(api.healthcheck)).toContain(`:${api.environment?.['PORT']}/readyz`);
    const dispatcher = service('dispatcher');
    expect(JSON.stringify(dispatcher.healthcheck)).toContain(
      `:${dispatcher.environment?.['DISPATCHER_HEALTH_PORT']}/readyz`,
    );
  });
});
