import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { REPO_ROOT, testDatabase, testEnv, hasher, ORDER_CONFIRMATION } from '@flowgate/testing';
import { TokenCipher } from '@flowgate/db';
import { COMMANDS } from '@flowgate/cli';
import { startSandbox } from '@flowgate/sandbox';

const exec = promisify(execFile);
const env = { ...testEnv(), PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp' };

/** Runs `pnpm cli …` from the repository root, exactly as an operator would. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('pnpm', ['cli', ...args], { cwd: REPO_ROOT, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** `pnpm cli …` with `input` on standard input and extra environment. */
function cliWith(
  input: string | undefined,
  extraEnv: Record<string, string>,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('pnpm', ['cli', ...args], { cwd: REPO_ROOT, env: { ...env, ...extraEnv } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Exactly one line of JSON on stdout. */
function json(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? '') as Record<string, unknown>;
}

describe('pnpm cli (docs/contracts.md §3)', () => {
  it('when an operator sets up a workspace end to end, then each command prints its one JSON line', async () => {
    // Each command prints exactly the keys its declaration names (the README's CLI table is
    // checked against the same declaration by test/readme.test.ts).
    const printed: Record<string, string[]> = {};
    const keysOf = (name: string, out: Record<string, unknown>) => {
      printed[name] = Object.keys(out).sort();
      return out;
    };
    expect(keysOf('migrate', json((await cli('migrate', '--json')).stdout))).toEqual({ migrated: true });

    const ws = json(
      (
        await cli(
          'workspace:create',
          '--name',
          'CLI Co',
          '--owner-email',
          `ops-${randomUUID()}@example.test`,
          '--owner-password',
          'a long enough password',
          '--json',
        )
      ).stdout,
    );
    expect(Object.keys(keysOf('workspace:create', ws)).sort()).toEqual(['userId', 'workspaceId']);
    const workspace = String(ws['workspaceId']);

    const phone = json(
      (
        await cli(
          'phone-number:add',
          '--workspace',
          workspace,
          '--provider-phone-number-id',
          '106540352242922',
          '--display-phone-number',
          '+1 555 010 0001',
          '--access-token',
          'EAAG-cli-token',
          '--waba-id',
          '102290129340398',
          '--messages-per-second',
          '50',
          '--json',
        )
      ).stdout,
    );
    expect(Object.keys(keysOf('phone-number:add', phone))).toEqual(['phoneNumberId']);
    const stored = testDatabase();
    try {
      const row = await stored('phone_numbers')
        .where({ id: String(phone['phoneNumberId']) })
        .first<{ messages_per_second: number; waba_id: string }>('messages_per_second', 'waba_id');
      expect(row).toEqual({ messages_per_second: 50, waba_id: '102290129340398' });
    } finally {
      await stored.destroy();
    }

    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'fg-cli-')), 'template.json');
    writeFileSync(file, JSON.stringify(ORDER_CONFIRMATION));
    const template = json(
      (await cli('template:add', '--workspace', workspace, '--file', file, '--json')).stdout,
    );
    expect(Object.keys(keysOf('template:add', template))).toEqual(['templateId']);

    // template:sync reads Meta's list for the number's WABA (a sandbox here): the stored template
    // is unchanged, the other is created.
    const meta = await startSandbox({
      templates: {
        '102290129340398': [ORDER_CONFIRMATION, { ...ORDER_CONFIRMATION, name: 'order_shipped' }],
      },
    });
    try {
      const synced = await cliWith(
        undefined,
        { GRAPH_API_BASE_URL: meta.url },
        'template:sync',
        '--workspace',
        workspace,
        '--json',
      );
      expect(keysOf('template:sync', json(synced.stdout))).toMatchObject({
        wabaIds: ['102290129340398'],
        created: 1,
        unchanged: 1,
        missingFromMeta: [],
      });
      expect(synced.stdout + synced.stderr).not.toContain('EAAG-cli-token');
    } finally {
      await meta.close();
    }

    expect(
      keysOf(
        'workspace:set-rate-limit',
        json(
          (
            await cli(
              'workspace:set-rate-limit',
              '--workspace',
              workspace,
              '--per-second',
              '20',
              '--burst',
              '50',
              '--json',
            )
          ).stdout,
        ),
      ),
    ).toEqual({ workspaceId: workspace, perSecond: 20, burst: 50 });
    const refused = await cli('workspace:set-rate-limit', '--workspace', workspace, '--per-second', '0');
    expect(refused.code).not.toBe(0);

    const key = json(
      (await cli('api-key:create', '--workspace', workspace, '--label', 'staging', '--json')).stdout,
    );
    expect(Object.keys(keysOf('api-key:create', key)).sort()).toEqual([
      'apiKey',
      'apiSecret',
      'bearerToken',
      'id',
    ]);
    expect(key['bearerToken']).toBe(`${String(key['apiKey'])}.${String(key['apiSecret'])}`);
    expect(key['apiKey']).toMatch(/^pk_[a-z0-9]{40}$/);

    const list = keysOf(
      'api-key:list',
      json((await cli('api-key:list', '--workspace', workspace, '--json')).stdout),
    );
    expect(JSON.stringify(list)).not.toContain(String(key['apiSecret']));
    expect(
      (list['apiKeys'] as Array<{ apiKey: string; label: string }>).map((k) => [k.apiKey, k.label]),
    ).toEqual([[key['apiKey'], 'staging']]);

    expect(
      keysOf(
        'api-key:revoke',
        json(
          (
            await cli(
              'api-key:revoke',
              '--workspace',
              workspace,
              '--api-key',
              String(key['apiKey']),
              '--json',
            )
          ).stdout,
        ),
      ),
    ).toEqual({ revoked: true });
    expect(printed).toEqual(
      Object.fromEntries(Object.entries(COMMANDS).map(([name, spec]) => [name, [...spec.prints].sort()])),
    );
    const db = testDatabase();
    try {
      const row = await db('api_keys')
        .where({ api_key: key['apiKey'] })
        .first<{ revoked_at: Date | null; secret_hash: string }>();
      expect(row?.revoked_at).toBeInstanceOf(Date);
      expect(row?.secret_hash).toMatch(/^\$argon2id\$/);
      const number = await db('phone_numbers')
        .where({ id: phone['phoneNumberId'] })
        .first<{ access_token_encrypted: string }>();
      expect(number?.access_token_encrypted).not.toContain('EAAG-cli-token');
    } finally {
      await db.destroy();
    }
    // Generous: each command is its own `pnpm cli` process (a few seconds each on a busy machine).
  }, 180_000);

  it('when secrets come from stdin or the environment, then they never appear on the command line', async () => {
    const password = `stdin password ${randomUUID()}`;
    const email = `stdin-${randomUUID()}@example.test`;
    const ws = await cliWith(
      `${password}\n`,
      {},
      'workspace:create',
      '--name',
      'Stdin Co',
      '--owner-email',
      email,
      '--owner-password-stdin',
      '--json',
    );
    expect(ws.stderr).toBe('');
    const { workspaceId } = json(ws.stdout) as { workspaceId: string };

    const token = `EAAG-env-${randomUUID()}`;
    const phone = await cliWith(
      undefined,
      { FLOWGATE_ACCESS_TOKEN: token },
      'phone-number:add',
      '--workspace',
      workspaceId,
      '--provider-phone-number-id',
      String(100000000 + Math.floor(Math.random() * 899999999)),
      '--display-phone-number',
      '+15550001234',
      '--json',
    );
    expect(phone.stderr).toBe('');
    const { phoneNumberId } = json(phone.stdout) as { phoneNumberId: string };

    const piped = `EAAG-stdin-${randomUUID()}`;
    const second = await cliWith(
      piped,
      {},
      'phone-number:add',
      '--workspace',
      workspaceId,
      '--provider-phone-number-id',
      String(100000000 + Math.floor(Math.random() * 899999999)),
      '--display-phone-number',
      '+15550001235',
      '--access-token-stdin',
      '--json',
    );
    const secondId = (json(second.stdout) as { phoneNumberId: string }).phoneNumberId;

    const db = testDatabase();
    try {
      // The stored hash verifies the piped password without its trailing newline.
      const user = await db('users').where({ email }).first<{ password_hash: string }>();
      expect(await hasher.verify(user?.password_hash ?? '', password)).toBe(true);
      const cipher = new TokenCipher(
        Buffer.from((env as Record<string, string>)['FLOWGATE_SECRET_KEY'] ?? '', 'base64'),
      );
      const stored = await db('phone_numbers')
        .whereIn('id', [phoneNumberId, secondId])
        .select<Array<{ id: string; access_token_encrypted: string }>>('id', 'access_token_encrypted');
      const byId = new Map(stored.map((r) => [r.id, r.access_token_encrypted]));
      expect(cipher.decrypt(byId.get(phoneNumberId) ?? '', workspaceId)).toBe(token);
      expect(cipher.decrypt(byId.get(secondId) ?? '', workspaceId)).toBe(piped);
    } finally {
      await db.destroy();
    }

    // Two sources at once, or none, is a usage error that names the three ways.
    const both = await cliWith(
      'x',
      {},
      'workspace:create',
      '--name',
      'B',
      '--owner-email',
      email,
      '--owner-password',
      'p',
      '--owner-password-stdin',
    );
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/not both/);
    const none = await cliWith(
      undefined,
      {},
      'workspace:create',
      '--name',
      'N',
      '--owner-email',
      `n-${randomUUID()}@example.test`,
      '--json',
    );
    expect(none.code).not.toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain(
      '--owner-password P, --owner-password-stdin or FLOWGATE_OWNER_PASSWORD is required',
    );
  }, 180_000);

  it('when a command fails, then it exits non-zero with a message on stderr and nothing on stdout', async () => {
    const missing = await cli('api-key:create', '--json');
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/--workspace is required/);

    const unknown = await cli(
      'api-key:revoke',
      '--workspace',
      randomUUID(),
      '--api-key',
      `pk_${'a'.repeat(40)}`,
      '--json',
    );
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/NOT_FOUND/);

    const nope = await cli('no-such-command');
    expect(nope.code).not.toBe(0);
    expect(nope.stderr).toMatch(/Unknown command/);

    // Flags are per command: one that another command takes is refused, with this command's usage.
    const foreign = await cli('api-key:list', '--workspace', randomUUID(), '--label', 'x', '--json');
    expect(foreign.code).toBe(2);
    expect(foreign.stdout).toBe('');
    expect(foreign.stderr).toMatch(/--label/);
    expect(foreign.stderr).toContain('Usage: pnpm cli api-key:list --workspace W [--json]');
  }, 180_000);
});
