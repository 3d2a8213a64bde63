import { API_KEY_SCOPES } from '@flowgate/contracts';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig, secretValues, ConfigError, type Config } from '@flowgate/config';
import { migrateLatest, type Database } from '@flowgate/db';
import { createInfrastructure, type Infrastructure } from '@flowgate/runtime';
import { createLogger } from '@flowgate/logger';
import { isAppError } from '@flowgate/errors';
import { startSandbox } from '@flowgate/sandbox';
import {
  apiKeyService,
  createLocalRevocationBus,
  createPgRevocationBus,
  createTemplateListClient,
  DEMO_META_TEMPLATES,
  DEMO_WABA_ID,
  isUuid,
  phoneNumberService,
  templateService,
  templateSyncService,
  workspaceService,
} from '@flowgate/core';

/**
 * The operator's CLI (docs/contracts.md §3). Each command prints one line of JSON with --json, a readable
 * line otherwise; failures go to stderr with a non-zero exit code. Every command declares its
 * flags and the keys it prints: parsing, the usage text and the README's CLI table (checked by
 * test/readme.test.ts) all come from that one declaration.
 */
type Flags = Record<string, string | boolean | undefined>;
type Command = (ctx: {
  config: Config;
  db: Database;
  infra: Infrastructure;
  flags: Flags;
  /** A secret flag's value: `--x V`, `--x-stdin` (read from standard input) or its variable. */
  secret(name: string): string;
}) => Promise<Record<string, unknown>>;

export interface FlagSpec {
  name: string;
  /** The value's placeholder in the usage text (`--name N`); undefined for a boolean switch. */
  value?: string;
  required: boolean;
  /**
   * A secret: also accepted as `--<name>-stdin` (the value is read from standard input) or from
   * this environment variable (of the config schema), so it need not sit in shell history or `ps`.
   */
  secretEnv?: 'FLOWGATE_OWNER_PASSWORD' | 'FLOWGATE_ACCESS_TOKEN';
}

export interface CommandSpec {
  flags: readonly FlagSpec[];
  /** Top-level keys of the `--json` line. */
  prints: readonly string[];
  run: Command;
}

const req = (name: string, value: string): FlagSpec => ({ name, value, required: true });
const secretReq = (name: string, value: string, secretEnv: FlagSpec['secretEnv']): FlagSpec => ({
  name,
  value,
  required: true,
  secretEnv,
});
const opt = (name: string, value?: string): FlagSpec =>
  value === undefined ? { name, required: false } : { name, value, required: false };

class UsageError extends Error {}

function required(flags: Flags, name: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`--${name} is required`);
  return v;
}

function workspaceFlag(flags: Flags): string {
  const id = required(flags, 'workspace');
  if (!isUuid(id)) throw new UsageError('--workspace must be a workspace id (uuid)');
  return id;
}

function revocationBus(config: Config, db: Database) {
  const logger = createLogger({ service: 'cli', silent: true });
  return config.database.kind === 'postgres'
    ? createPgRevocationBus({ connectionString: config.database.url, db, logger })
    : createLocalRevocationBus();
}

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  migrate: {
    flags: [],
    prints: ['migrated'],
    run: async ({ db }) => {
      await migrateLatest(db);
      return { migrated: true };
    },
  },
  'workspace:create': {
    flags: [
      req('name', 'N'),
      req('owner-email', 'E'),
      secretReq('owner-password', 'P', 'FLOWGATE_OWNER_PASSWORD'),
    ],
    prints: ['workspaceId', 'userId'],
    run: async ({ infra, flags, secret }) =>
      workspaceService(infra.stores, infra.hasher).createWorkspace({
        name: required(flags, 'name'),
        ownerEmail: required(flags, 'owner-email'),
        ownerPassword: secret('owner-password'),
      }),
  },
  'phone-number:add': {
    flags: [
      req('workspace', 'W'),
      req('provider-phone-number-id', 'ID'),
      req('display-phone-number', '+D'),
      secretReq('access-token', 'T', 'FLOWGATE_ACCESS_TOKEN'),
      opt('waba-id', 'X'),
      opt('default'),
      opt('messages-per-second', 'N'),
    ],
    prints: ['phoneNumberId'],
    run: async ({ infra, flags, secret }) =>
      phoneNumberService(infra.stores, infra.cipher).add({
        workspaceId: workspaceFlag(flags),
        providerPhoneNumberId: required(flags, 'provider-phone-number-id'),
        displayPhoneNumber: required(flags, 'display-phone-number'),
        accessToken: secret('access-token'),
        wabaId: typeof flags['waba-id'] === 'string' ? flags['waba-id'] : undefined,
        isDefault: flags['default'] === true,
        messagesPerSecond:
          typeof flags['messages-per-second'] === 'string' ? Number(flags['messages-per-second']) : undefined,
      }),
  },
  'workspace:set-rate-limit': {
    flags: [req('workspace', 'W'), req('per-second', 'N'), opt('burst', 'B')],
    prints: ['workspaceId', 'perSecond', 'burst'],
    run: async ({ infra, flags }) => {
      const positive = (name: string, value: string): number => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
          throw new UsageError(`--${name} must be a whole number from 1 to 1000000`);
        return n;
      };
      const workspaceId = workspaceFlag(flags);
      const perSecond = positive('per-second', required(flags, 'per-second'));
      const burst = typeof flags['burst'] === 'string' ? positive('burst', flags['burst']) : perSecond * 2;
      if (burst < perSecond) throw new UsageError('--burst must be at least --per-second');
      if (!(await infra.stores.workspaces.setRateLimit(workspaceId, perSecond, burst)))
        throw new UsageError('no such workspace');
      return { workspaceId, perSecond, burst };
    },
  },
  'template:add': {
    flags: [req('workspace', 'W'), req('file', 'F')],
    prints: ['templateId'],
    run: async ({ infra, flags }) => {
      const file = required(flags, 'file');
      let definition: unknown;
      try {
        definition = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new UsageError(
          `cannot read ${file} as JSON: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      return templateService(infra.stores).add(workspaceFlag(flags), definition);
    },
  },
  'template:sync': {
    flags: [req('workspace', 'W')],
    prints: [
      'wabaIds',
      'created',
      'updated',
      'unchanged',
      'missingFromMeta',
      'kept',
      'inUseNoLongerApproved',
      'invalid',
    ],
    run: async ({ config, infra, flags }) => {
      const workspaceId = workspaceFlag(flags);
      // Embedded (or SANDBOX=true): Meta is the sandbox, started for this call with the demo
      // account's template list (`pnpm start` holds the embedded database, so it is not running).
      const sandbox = config.sandbox.enabled
        ? await startSandbox({ host: '127.0.0.1', templates: { [DEMO_WABA_ID]: DEMO_META_TEMPLATES } })
        : undefined;
      const client = createTemplateListClient({
        baseUrl: sandbox?.url ?? config.graph.baseUrl,
        version: config.graph.version,
        timeoutMs: config.dispatch.providerTimeoutMs,
      });
      try {
        const report = await templateSyncService({
          stores: infra.stores,
          cipher: infra.cipher,
          client,
        }).sync(workspaceId);
        return { ...report };
      } finally {
        client.close();
        await sandbox?.close();
      }
    },
  },
  'api-key:create': {
    flags: [req('workspace', 'W'), opt('label', 'L'), opt('scopes', 'S,S'), opt('allowed-ips', 'CIDR,CIDR')],
    prints: ['id', 'apiKey', 'apiSecret', 'bearerToken'],
    run: async ({ infra, flags }) => {
      const list = (name: string): string[] | undefined =>
        typeof flags[name] === 'string'
          ? flags[name]
              .split(',')
              .map((x) => x.trim())
              .filter((x) => x !== '')
          : undefined;
      const scopes = list('scopes');
      const unknown = scopes?.filter((x) => !(API_KEY_SCOPES as readonly string[]).includes(x)) ?? [];
      if (unknown.length > 0)
        throw new UsageError(`unknown scope ${unknown.join(', ')} (one of ${API_KEY_SCOPES.join(', ')})`);
      const created = await apiKeyService(infra.stores, infra.hasher, createLocalRevocationBus()).create({
        workspaceId: workspaceFlag(flags),
        label: typeof flags['label'] === 'string' ? flags['label'] : undefined,
        scopes,
        allowedIps: list('allowed-ips'),
      });
      return {
        id: created.id,
        apiKey: created.apiKey,
        apiSecret: created.apiSecret,
        bearerToken: `${created.apiKey}.${created.apiSecret}`,
      };
    },
  },
  'api-key:list': {
    flags: [req('workspace', 'W')],
    prints: ['apiKeys'],
    run: async ({ infra, flags }) => ({
      apiKeys: await apiKeyService(infra.stores, infra.hasher, createLocalRevocationBus()).list(
        workspaceFlag(flags),
      ),
    }),
  },
  'api-key:revoke': {
    flags: [req('workspace', 'W'), req('api-key', 'pk_…')],
    prints: ['revoked'],
    run: async ({ config, db, infra, flags }) => {
      const bus = revocationBus(config, db);
      try {
        await apiKeyService(infra.stores, infra.hasher, bus).revoke(workspaceFlag(flags), {
          apiKey: required(flags, 'api-key'),
        });
      } finally {
        await bus.close();
      }
      return { revoked: true };
    },
  },
};

/** `phone-number:add --workspace W … [--waba-id X] [--default]`, from the command's flags. */
export function usageOf(name: string, spec: CommandSpec): string {
  const flags = spec.flags.map((f) => {
    const text = f.value === undefined ? `--${f.name}` : `--${f.name} ${f.value}`;
    if (f.secretEnv !== undefined) return `${text} (or --${f.name}-stdin, or env ${f.secretEnv})`;
    return f.required ? text : `[${text}]`;
  });
  return [name, ...flags].join(' ');
}

function optionsOf(spec: CommandSpec): Record<string, { type: 'boolean' | 'string' }> {
  const options: Record<string, { type: 'boolean' | 'string' }> = { json: { type: 'boolean' } };
  for (const f of spec.flags) {
    options[f.name] = { type: f.value === undefined ? 'boolean' : 'string' };
    if (f.secretEnv !== undefined) options[`${f.name}-stdin`] = { type: 'boolean' };
  }
  return options;
}

function usage(): string {
  return [
    'Usage: pnpm cli <command> [flags] [--json]',
    '',
    ...Object.entries(COMMANDS).map(([name, spec]) => `  ${usageOf(name, spec)}`),
  ].join('\n');
}

export async function runCli(
  argv: string[],
  env: Readonly<Record<string, string | undefined>>,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<number> {
  const [name, ...rest] = argv.filter((a) => a !== '--');
  const command = name !== undefined ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`${name ? `Unknown command: ${name}\n\n` : ''}${usage()}\n`);
    return 2;
  }
  let flags: Flags;
  try {
    // Strict per command: a flag another command takes is an error here, not silently ignored.
    flags = parseArgs({
      args: rest,
      options: optionsOf(command),
      strict: true,
      allowPositionals: false,
    }).values; // no `multiple` option: every value is a string or a boolean
  } catch (err) {
    process.stderr.write(
      `${err instanceof Error ? err.message : String(err)}\n\nUsage: pnpm cli ${usageOf(String(name), command)} [--json]\n`,
    );
    return 2;
  }
  const json = flags['json'] === true;
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    return 78;
  }
  // The CLI publishes nothing: the database, its stores, the hasher and the cipher.
  const infra = await createInfrastructure(config, createLogger({ service: 'cli', silent: true }), {
    needsBroker: false,
    poolMax: 2,
  });
  const { db } = infra;
  try {
    if (name !== 'migrate') await migrateIfEmbedded(config, db);
    const secrets = await secretFlags(command, flags, config, stdin);
    const secret = (flag: string): string => {
      const value = secrets.get(flag);
      if (value === undefined) throw new UsageError(`--${flag} is required`);
      return value;
    };
    const result = await command.run({ config, db, infra, flags, secret });
    process.stdout.write(json ? `${JSON.stringify(result)}\n` : `${humanize(result)}\n`);
    return 0;
  } catch (err) {
    const secrets = [
      ...secretValues(config),
      ...Object.values(flags).filter((v): v is string => typeof v === 'string' && v.length >= 6),
    ];
    let message =
      err instanceof UsageError
        ? `${err.message}\n\n${usage()}`
        : isAppError(err)
          ? `${err.code}: ${err.message}${err.details ? `\n${err.details.map((d) => `  ${d.path}: ${d.message}`).join('\n')}` : ''}`
          : `error: ${err instanceof Error ? err.message : String(err)}`;
    for (const s of secrets) message = message.split(s).join('[redacted]');
    process.stderr.write(`${message}\n`);
    return 1;
  } finally {
    await infra.close();
  }
}

/**
 * The value of each secret flag of the command, from exactly one of: the flag itself, its
 * `-stdin` switch (all of standard input, one trailing newline removed), or its environment
 * variable. Two sources at once, or none, is a usage error naming the three ways.
 */
async function secretFlags(
  command: CommandSpec,
  flags: Flags,
  config: Config,
  stdin: NodeJS.ReadableStream,
): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const spec of command.flags) {
    if (spec.secretEnv === undefined) continue;
    const inline = flags[spec.name];
    const fromStdin = flags[`${spec.name}-stdin`] === true;
    const fromEnv =
      spec.secretEnv === 'FLOWGATE_OWNER_PASSWORD' ? config.cli.ownerPassword : config.cli.accessToken;
    const ways = `--${spec.name} ${spec.value ?? ''}, --${spec.name}-stdin or ${spec.secretEnv}`;
    if (typeof inline === 'string' && fromStdin)
      throw new UsageError(`give --${spec.name} or --${spec.name}-stdin, not both`);
    let value: string | undefined;
    if (typeof inline === 'string') value = inline;
    else if (fromStdin) value = (await readAll(stdin)).replace(/\r?\n$/, '');
    else value = fromEnv;
    if (value === undefined || value.length === 0) {
      if (spec.required) throw new UsageError(`${ways} is required`);
      continue;
    }
    values.set(spec.name, value);
  }
  return values;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Embedded PostgreSQL is created on demand, so the first CLI call on a fresh data dir works. */
async function migrateIfEmbedded(config: Config, db: Database): Promise<void> {
  if (config.database.kind === 'pglite') await migrateLatest(db);
}

function humanize(result: Record<string, unknown>): string {
  return Object.entries(result)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v, null, 2)}`)
    .join('\n');
}

if (require.main === module) {
  void runCli(process.argv.slice(2), process.env).then((code) => {
    process.exitCode = code;
  });
}
