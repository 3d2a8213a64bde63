import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { EnvSchema, loadConfig, loadSandboxConfig, SANDBOX_CONFIG_KEYS } from '@flowgate/config';
import { BUILD_TARGETS, entryOfScript } from '../../scripts/build';

/**
 * Docker cannot run on this machine, so the compose file and the Dockerfile are checked against
 * the code instead: every command is a compiled entry point that `pnpm build` writes, every
 * variable is one the config schema knows and accepts, ports agree with the environment, every
 * long-running service has a health check, and the image is built the way ADR 0028 says
 * (compiled JavaScript, production dependencies only, tini, HEALTHCHECK, cached installs, Node
 * 24). test/deploy/compiled.test.ts runs the compiled output for real.
 */
const root = path.join(__dirname, '..', '..');
interface ComposeService {
  image?: string;
  build?: { dockerfile: string; target: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const rootPackage = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  packageManager: string;
};
const FLOWGATE = ['migrate', 'public-api', 'dispatcher', 'sandbox'];
const COMPILED = new Set(Object.values(BUILD_TARGETS).map((name) => `dist/${name}.js`));

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
    else stages.at(-1)?.instructions.push(line.replace(/\s+/g, ' '));
  }
  return stages;
}

/** `pnpm <x>` invocations in a shell command. */
function pnpmCommands(instruction: string): string[][] {
  return instruction
    .replace(/^RUN\s+(--mount=\S+\s+)*/, '')
    .split(/&&|;|\|\|/)
    .map((part) => part.trim().split(/\s+/))
    .filter((argv) => argv[0] === 'pnpm')
    .map((argv) => argv.slice(1));
}

/** Resolves `${NAME:-default}` the way compose does when NAME is unset. */
const resolve = (env: Record<string, string>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]),
  );

const service = (name: string): ComposeService => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};

const stages = dockerStages('infra/docker/Dockerfile');
const stage = (name: string): Stage => {
  const s = stages.find((st) => st.name === name);
  if (!s) throw new Error(`the Dockerfile has no stage ${name}`);
  return s;
};
const runtime = stages.at(-1) as Stage;
const lastOf = (st: Stage, keyword: string): string | undefined =>
  st.instructions.filter((ins) => ins.startsWith(`${keyword} `)).at(-1);

/** Every workspace package's manifest (the globs of pnpm-workspace.yaml). */
function workspaceManifests(): string[] {
  const workspace = parse(readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8')) as {
    packages: string[];
  };
  const out: string[] = [];
  for (const glob of workspace.packages) {
    const dir = glob.replace(/\/\*$/, '');
    for (const name of readdirSync(path.join(root, dir)))
      if (existsSync(path.join(root, dir, name, 'package.json'))) out.push(`${dir}/${name}/package.json`);
  }
  return out.sort();
}

describe('docker-compose.yml', () => {
  it('has PostgreSQL, RabbitMQ (a supported 4.x with the management UI), a migration step, the API, the dispatcher and the sandbox', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'dispatcher',
      'migrate',
      'postgres',
      'public-api',
      'rabbitmq',
      'sandbox',
    ]);
    const rabbit = /^rabbitmq:(\d+)\.(\d+)-management$/.exec(service('rabbitmq').image ?? '');
    expect(rabbit).not.toBeNull();
    expect(Number(rabbit?.[1])).toBeGreaterThanOrEqual(4);
    expect(service('rabbitmq').ports).toContain('15672:15672');
    expect(service('public-api').depends_on?.['migrate']?.condition).toBe('service_completed_successfully');
  });

  it.each(FLOWGATE)('service %s runs a compiled entry point of the runtime image', (name) => {
    const s = service(name);
    const [bin, file, ...args] = s.command ?? [];
    expect(bin).toBe('node');
    expect(COMPILED).toContain(file);
    // The compiled file comes from a root script whose TypeScript entry exists.
    const script = Object.entries(BUILD_TARGETS).find(([, n]) => `dist/${n}.js` === file)?.[0] ?? '';
    expect(existsSync(path.join(root, entryOfScript(script)))).toBe(true);
    if (name === 'migrate') expect(args).toEqual(['migrate', '--json']);
    expect(s.build?.target).toBe('runtime');
    expect(s.build?.dockerfile).toBe('infra/docker/Dockerfile');
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
    for (const key of Object.keys(sandboxEnv)) expect(SANDBOX_CONFIG_KEYS).toContain(key);
    const sandboxConfig = loadSandboxConfig(sandboxEnv);
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

describe('infra/docker/Dockerfile (ADR 0028)', () => {
  it('stages build on each other, the runtime stage is last, and every base image is Node 24', () => {
    const names = stages.map((st) => st.name);
    expect(names.at(-1)).toBe('runtime');
    stages.forEach((st, i) => {
      if (st.base.includes(':')) expect(st.base).toMatch(/^node:24(\.\d+)*-bookworm-slim$/);
      else expect(names.slice(0, i)).toContain(st.base);
      for (const ins of st.instructions) {
        const from = /--from=(\S+)/.exec(ins)?.[1];
        if (from !== undefined) expect(names.slice(0, i)).toContain(from);
      }
    });
  });

  it('installs the pinned pnpm from the lockfile, manifests first, so source changes reuse the install layers', () => {
    const pnpmVersion = rootPackage.packageManager.split('@')[1];
    for (const st of stages)
      for (const ins of st.instructions)
        for (const m of ins.matchAll(/npm install -g pnpm@(\S+)/g)) expect(m[1]).toBe(pnpmVersion);
    const manifests = stage('manifests');
    const copied = manifests.instructions
      .filter((ins) => ins.startsWith('COPY '))
      .flatMap((ins) => ins.split(' ').slice(1, -1));
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml']));
    // Every workspace package's manifest, and nothing else (no source reaches the install layers).
    expect(copied.filter((f) => f.includes('/')).sort()).toEqual(workspaceManifests());
    expect(manifests.instructions.some((ins) => /^COPY \. /.test(ins))).toBe(false);
    for (const name of ['deps', 'prod-deps']) {
      const installs = stage(name)
        .instructions.flatMap(pnpmCommands)
        .filter((argv) => argv[0] === 'install');
      expect(installs).toHaveLength(1);
      expect(installs[0]).toContain('--frozen-lockfile');
    }
    expect(stage('prod-deps').instructions.flatMap(pnpmCommands)[0]).toEqual(
      expect.arrayContaining(['--prod', '--config.node-linker=hoisted']),
    );
    const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '**/node_modules', '.data', 'dist']));
  });

  it('type-checks and compiles with the real root scripts', () => {
    const build = stage('build');
    expect(build.base).toBe('deps');
    const commands = build.instructions.flatMap(pnpmCommands).map((argv) => argv[0]);
    expect(commands).toEqual(['typecheck', 'build']);
    for (const cmd of commands) expect(rootPackage.scripts[cmd ?? '']).toBeDefined();
    expect(rootPackage.scripts['build']).toMatch(/\bscripts\/build\.ts$/);
  });

  it('runtime: compiled JavaScript and production dependencies only, tini as PID 1, a HEALTHCHECK, unprivileged', () => {
    const copies = runtime.instructions.filter((ins) => ins.startsWith('COPY '));
    expect(copies).toEqual([
      'COPY --from=prod-deps /app/node_modules ./node_modules',
      'COPY --from=build /app/dist ./dist',
    ]);
    // No package manager, compiler or TypeScript in the final stage.
    expect(runtime.instructions.join('\n')).not.toMatch(/pnpm|tsx|g\+\+|typescript/);
    expect(lastOf(runtime, 'ENTRYPOINT')).toBe('ENTRYPOINT ["/usr/bin/tini", "--"]');
    expect(runtime.instructions.some((ins) => /apt-get install .*\btini\b/.test(ins))).toBe(true);
    const cmd = JSON.parse(lastOf(runtime, 'CMD')?.replace(/^CMD /, '') ?? '[]') as string[];
    expect(cmd).toEqual(['node', 'dist/public-api.js']);
    const health = lastOf(runtime, 'HEALTHCHECK') ?? '';
    expect(health).toMatch(/--interval=\d+s/);
    expect(health).toContain('/healthz');
    const user = lastOf(runtime, 'USER');
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER\s+(root|0)$/);
    expect(lastOf(runtime, 'EXPOSE')).toBe(`EXPOSE ${service('public-api').environment?.['PORT']}`);
    expect(runtime.instructions.some((ins) => /NODE_ENV=production/.test(ins))).toBe(true);
  });
});
