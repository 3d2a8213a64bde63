/**
 * The README's first command, as a newcomer with only Node runs it (issue 16): a copy of the
 * repository without node_modules, a PATH holding the system's tools but no pnpm, a temp data dir.
 * It must install, print that Flowgate is running, and run it on the pinned Node (ADR 0018).
 */
import { spawn, execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, REPO_ROOT } from '@flowgate/testing';
import { sleep } from '@flowgate/testing';

const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const firstCommand = (/```bash\n(.*)\n/.exec(readme)?.[1] ?? '').replace(/\s+#.*$/, '');
const pinnedNode = /^node-version=(\S+)$/m.exec(readFileSync(path.join(REPO_ROOT, '.npmrc'), 'utf8'))?.[1];

/** CA and proxy settings of this machine, passed on as a fresh shell on it would have them. */
function machineTrust(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [
    'NODE_EXTRA_CA_CERTS',
    'SSL_CERT_FILE',
    'HTTPS_PROXY',
    'https_proxy',
    'HTTP_PROXY',
    'http_proxy',
    'NO_PROXY',
    'no_proxy',
  ]) {
    const value = process.env[name];
    if (value !== undefined) out[name] = value;
  }
  let cafile = '';
  try {
    cafile = execFileSync('npm', ['config', 'get', 'cafile'], { encoding: 'utf8' }).trim();
  } catch {
    cafile = '';
  }
  const ca =
    cafile !== '' && cafile !== 'null' && cafile !== 'undefined' ? cafile : out['NODE_EXTRA_CA_CERTS'];
  if (ca !== undefined) out['NPM_CONFIG_CAFILE'] = ca;
  return out;
}

/** A bin folder with every tool of the system's PATH except pnpm (and the other package managers). */
function pathWithoutPnpm(dir: string): string {
  const hidden = new Set(['pnpm', 'pnpx', 'corepack', 'yarn', 'yarnpkg']);
  for (const from of (process.env['PATH'] ?? '').split(':')) {
    if (!from || from.includes('node_modules') || !existsSync(from)) continue;
    for (const name of readdirSync(from)) {
      if (hidden.has(name) || existsSync(path.join(dir, name))) continue;
      symlinkSync(path.join(from, name), path.join(dir, name));
    }
  }
  return dir;
}

/** The repository's files as a fresh clone has them (tracked and new, not ignored). */
function copyRepository(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f && existsSync(path.join(REPO_ROOT, f)));
  for (const file of files) {
    mkdirSync(path.dirname(path.join(to, file)), { recursive: true });
    cpSync(path.join(REPO_ROOT, file), path.join(to, file), { verbatimSymlinks: true });
  }
}

/** The executables of a process group's processes whose command line mentions `needle` (Linux /proc). */
function groupExecutables(pgid: number, needle: string): string[] {
  const exes: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (Number(fields[2]) === pgid && cmdline.includes(needle)) exes.push(readlinkSync(`/proc/${pid}/exe`));
    } catch {
      // the process ended meanwhile
    }
  }
  return exes;
}

describe("the README's first command on a machine with only Node", () => {
  it('installs, starts Flowgate on the pinned Node 24 with a PATH that has no pnpm, and prints that it is running', async () => {
    expect(firstCommand).toMatch(/^npx --yes pnpm@\S+ install && npx --yes pnpm@\S+ start$/);
    const work = mkdtempSync(path.join(os.tmpdir(), 'flowgate-readme-'));
    const clone = path.join(work, 'flowgate');
    const bin = path.join(work, 'bin');
    const dataDir = path.join(work, 'data');
    mkdirSync(bin);
    copyRepository(clone);
    const PATH = pathWithoutPnpm(bin);
    expect(() => execFileSync('sh', ['-c', 'command -v pnpm'], { env: { PATH } })).toThrow();

    const child = spawn('sh', ['-c', firstCommand], {
      cwd: clone,
      env: {
        PATH,
        HOME: process.env['HOME'] ?? '/tmp',
        // An empty global prefix: npx cannot borrow a globally installed pnpm (and put its folder on
        // PATH) as it would on this machine, but fetches the pinned one as on a fresh machine.
        NPM_CONFIG_PREFIX: path.join(work, 'npm-global'),
        // The machine's own trust settings (a registry behind a TLS-inspecting proxy) come along:
        // the global npmrc that names the CA file is not read under the empty prefix.
        ...machineTrust(),
        FLOWGATE_DATA_DIR: dataDir,
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
        SANDBOX_PORT: '0',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const chunks: string[] = [];
    child.stdout?.on('data', (d: Buffer) => chunks.push(d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => chunks.push(d.toString('utf8')));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const deadline = Date.now() + 420_000; // an install and a first start; minutes on a loaded 2-core machine
      while (
        !chunks.join('').includes('Flowgate is running') &&
        child.exitCode === null &&
        Date.now() < deadline
      )
        await sleep(200);
      const output = chunks.join('');
      expect([child.exitCode, output]).toEqual([null, expect.stringContaining('Flowgate is running')]);
      expect(output).toContain(`(embedded: data in ${dataDir})`);
      expect(existsSync(path.join(clone, 'node_modules'))).toBe(true);
      // Flowgate itself (not npx or pnpm, which run on the system Node) runs on the installed binary.
      const nodes = groupExecutables(child.pid ?? -1, 'scripts/start.ts').filter((exe) =>
        /\/node$/.test(exe),
      );
      expect(nodes).toEqual([expect.stringContaining(path.join(clone, 'node_modules'))]);
      expect(
        execFileSync(nodes[0] ?? 'missing', ['-p', 'process.version'], { encoding: 'utf8' }).trim(),
      ).toBe(`v${pinnedNode}`);
    } finally {
      try {
        process.kill(-(child.pid ?? 0), 'SIGTERM');
      } catch {
        // already gone
      }
      await Promise.race([exited, sleep(15_000)]);
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // stopped by SIGTERM
      }
      rmSync(work, { recursive: true, force: true });
    }
  }, 540_000);
});
