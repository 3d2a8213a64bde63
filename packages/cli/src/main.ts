import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig, secretValues, ConfigError, type Config } from '@flowgate/config';
import { createDatabase, migrateLatest, TokenCipher, type Database } from '@flowgate/db';
import { createLogger } from '@flowgate/logger';
import { isAppError } from '@flowgate/errors';
import {
  apiKeyService,
  createArgon2Hasher,
  createLocalRevocationBus,
  createPgRevocationBus,
  isUuid,
  phoneNumberService,
  templateService,
  workspaceService,
} from '@flowgate/core';

/**
 * The operator's CLI (DESIGN §3). Each command prints one line of JSON with --json, a readable
 * line otherwise; failures go to stderr with a non-zero exit code.
 */
type Flags = Record<string, string | boolean | undefined>;
type Command = (ctx: { config: Config; db: Database; flags: Flags }) => Promise<Record<string, unknown>>;

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

const COMMANDS: Record<string, { usage: string; run: Command }> = {
  migrate: {
    usage: 'migrate',
    run: async ({ db }) => {
      await migrateLatest(db);
      return { migrated: true };
    },
  },
  'workspace:create': {
    usage: 'workspace:create --name N --owner-email E --owner-password P',
    run: async ({ config, db, flags }) =>
      workspaceService(db, createArgon2Hasher(config.argon2)).createWorkspace({
        name: required(flags, 'name'),
        ownerEmail: required(flags, 'owner-email'),
        ownerPassword: required(flags, 'owner-password'),
      }),
  },
  'phone-number:add': {
    usage:
      'phone-number:add --workspace W --provider-phone-number-id ID --display-phone-number +D --access-token T [--waba-id X] [--default]',
    run: async ({ config, db, flags }) =>
      phoneNumberService(db, new TokenCipher(config.secretKey)).add({
        workspaceId: workspaceFlag(flags),
        providerPhoneNumberId: required(flags, 'provider-phone-number-id'),
        displayPhoneNumber: required(flags, 'display-phone-number'),
        accessToken: required(flags, 'access-token'),
        wabaId: typeof flags['waba-id'] === 'string' ? flags['waba-id'] : undefined,
        isDefault: flags['default'] === true,
      }),
  },
  'template:add': {
    usage: 'template:add --workspace W --file F',
    run: async ({ db, flags }) => {
      const file = required(flags, 'file');
      let definition: unknown;
      try {
        definition = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new UsageError(
          `cannot read ${file} as JSON: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      return templateService(db).add(workspaceFlag(flags), definition);
    },
  },
  'api-key:create': {
    usage: 'api-key:create --workspace W [--label L]',
    run: async ({ config, db, flags }) => {
      const created = await apiKeyService(
        db,
        createArgon2Hasher(config.argon2),
        createLocalRevocationBus(),
      ).create({
        workspaceId: workspaceFlag(flags),
        label: typeof flags['label'] === 'string' ? flags['label'] : undefined,
      });
      return { id: created.id, apiKey: created.apiKey, apiSecret: created.apiSecret };
    },
  },
  'api-key:list': {
    usage: 'api-key:list --workspace W',
    run: async ({ config, db, flags }) => ({
      apiKeys: await apiKeyService(db, createArgon2Hasher(config.argon2), createLocalRevocationBus()).list(
        workspaceFlag(flags),
      ),
    }),
  },
  'api-key:revoke': {
    usage: 'api-key:revoke --workspace W --api-key pk_…',
    run: async ({ config, db, flags }) => {
      const bus = revocationBus(config, db);
      try {
        await apiKeyService(db, createArgon2Hasher(config.argon2), bus).revoke(workspaceFlag(flags), {
          apiKey: required(flags, 'api-key'),
        });
      } finally {
        await bus.close();
      }
      return { revoked: true };
    },
  },
};

const STRING_FLAGS = [
  'name',
  'owner-email',
  'owner-password',
  'workspace',
  'provider-phone-number-id',
  'display-phone-number',
  'access-token',
  'waba-id',
  'file',
  'label',
  'api-key',
] as const;
const OPTIONS = {
  ...Object.fromEntries(STRING_FLAGS.map((f) => [f, { type: 'string' as const }])),
  json: { type: 'boolean' as const },
  default: { type: 'boolean' as const },
};

function usage(): string {
  return [
    'Usage: pnpm cli <command> [flags] [--json]',
    '',
    ...Object.values(COMMANDS).map((c) => `  ${c.usage}`),
  ].join('\n');
}

export async function runCli(
  argv: string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const [name, ...rest] = argv.filter((a) => a !== '--');
  const command = name !== undefined ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`${name ? `Unknown command: ${name}\n\n` : ''}${usage()}\n`);
    return 2;
  }
  let flags: Flags;
  try {
    flags = parseArgs({ args: rest, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
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
  const db = createDatabase(config.database, { poolMax: 2 });
  try {
    if (name !== 'migrate') await migrateIfEmbedded(config, db);
    const result = await command.run({ config, db, flags });
    process.stdout.write(json ? `${JSON.stringify(result)}\n` : `${humanize(result)}\n`);
    return 0;
  } catch (err) {
    const secrets = secretValues(config);
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
    await db.destroy();
  }
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
