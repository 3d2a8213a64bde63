import {
  NotFoundError,
  RateLimitedError,
  UnavailableError,
  UnprocessableError,
  type AppError,
} from '@flowgate/errors';
import type { TokenCipher } from '@flowgate/db';
import type { Logger } from '@flowgate/logger';
import {
  createCloudApiClient,
  deriveTemplateVariables,
  isProviderError,
  validateTemplateDefinition,
  type CloudApiClient,
  type TemplateDefinitionError,
} from '@flowgate/whatsapp-cloud';
import { newId } from '../ids';
import type { PhoneNumberStore } from '../phone-numbers/phone-number-store';
import type { WorkspaceStore } from '../workspaces/workspace-store';
import type { TemplateStore } from './template-store';

/** The status a template gets when Meta no longer lists it: sends refuse it (TEMPLATE_NOT_APPROVED). */
export const MISSING_FROM_META_STATUS = 'DELETED';

/** Pages followed per business account at most (100 templates each: far above Meta's limits). */
const MAX_PAGES = 200;

export interface TemplateSyncReport {
  /** The business accounts read (the distinct `waba_id`s of the workspace's numbers). */
  wabaIds: string[];
  created: number;
  updated: number;
  unchanged: number;
  /** Stored templates Meta no longer lists, now marked DELETED (sends refuse them). */
  missingFromMeta: Array<{ id: string; name: string; language: string; previousStatus: string }>;
  /** Templates Meta no longer lists but a SCHEDULED or SENDING broadcast uses: left as they were. */
  kept: Array<{ id: string; name: string; language: string; status: string; broadcastIds: string[] }>;
  /** Templates Meta moved away from APPROVED while a SCHEDULED or SENDING broadcast uses them. */
  inUseNoLongerApproved: Array<{
    id: string;
    name: string;
    language: string;
    status: string;
    broadcastIds: string[];
  }>;
  /** Meta's templates Flowgate cannot store (the rules of `template:add`): skipped. */
  invalid: Array<{ name: string; language: string; errors: TemplateDefinitionError[] }>;
}

/** What the sync reads Meta through (the Cloud API client's `listTemplates`). */
export type TemplateListClient = Pick<CloudApiClient, 'listTemplates'>;

/** A Cloud API client for template sync from the Graph settings (`config.graph`). */
export function createTemplateListClient(graph: {
  baseUrl: string;
  version: string;
  timeoutMs?: number;
}): CloudApiClient {
  return createCloudApiClient({
    baseUrl: graph.baseUrl,
    graphVersion: graph.version,
    timeoutMs: graph.timeoutMs ?? 15_000,
    maxSockets: 4,
  });
}

/** Sorted-key JSON: jsonb does not keep Meta's key order, so equality is by content. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const rec = value as Record<string, unknown>;
    return `{${Object.keys(rec)
      .sort()
      .filter((k) => rec[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(rec[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const RATE_LIMIT_CODES: ReadonlySet<number> = new Set([4, 17, 32, 613, 80007, 130429]);

/**
 * Meta's failure as the caller's error, by the dispatcher's error policy (`classifyProviderFailure`):
 * a rate limit is 429 with Retry-After, a transient failure 503, a token or permission problem
 * (and anything permanent) 422 PROVIDER_REQUEST_FAILED naming Meta's code. The message carries
 * Meta's code and title only: never the token, never the request.
 */
export function templateSyncError(err: unknown, wabaId: string): AppError | undefined {
  if (!isProviderError(err)) return undefined;
  const what = `Meta's template list for business account ${wabaId}`;
  const said = `${err.code !== undefined ? `(#${err.code}) ` : ''}${err.title}`;
  if (err.classification.kind === 'retryable') {
    if (err.code !== undefined && RATE_LIMIT_CODES.has(err.code))
      return new RateLimitedError(`${what} is rate limited by Meta: ${said}. Retry later.`, 60);
    return new UnavailableError('SERVICE_UNAVAILABLE', `${what} is unavailable: ${said}. Retry later.`);
  }
  const hint =
    err.classification.kind === 'account'
      ? " Meta refused the number's access token or its permissions: reconnect the number with a token that may manage this account's templates."
      : '';
  return new UnprocessableError('PROVIDER_REQUEST_FAILED', `${what} failed: ${said}.${hint}`, [
    { path: `/wabaIds/${wabaId}`, message: said },
  ]);
}

/**
 * Template sync from Meta (issue 14, docs/meta-cloud-api.md §7, ADR 0044): for each business
 * account of the workspace's numbers, every page of `GET /{waba-id}/message_templates`; each
 * template is checked and its variables derived exactly as `template:add` does, then created or
 * updated by (name, language). A stored template Meta no longer lists is marked DELETED, so sends
 * refuse it, unless a SCHEDULED or SENDING broadcast still uses it: then it is kept as it was and
 * reported with those broadcasts.
 */
export function templateSyncService(deps: {
  stores: { templates: TemplateStore; phoneNumbers: PhoneNumberStore; workspaces: WorkspaceStore };
  cipher: TokenCipher;
  client: TemplateListClient;
  logger?: Logger | undefined;
  /** Called after the workspace's templates changed (drop send-path caches). */
  onChanged?: ((workspaceId: string) => void) | undefined;
}) {
  const { templates, phoneNumbers, workspaces } = deps.stores;

  /** Every template of one account, page by page (the `after` cursor until there is no `next`). */
  async function fetchAll(wabaId: string, accessToken: string): Promise<unknown[]> {
    const all: unknown[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      let result;
      try {
        result = await deps.client.listTemplates({ wabaId, accessToken, after, limit: 100 });
      } catch (err) {
        const mapped = templateSyncError(err, wabaId);
        deps.logger?.warn('template sync: Meta refused the template list', {
          wabaId,
          err: isProviderError(err) ? err.toJSON() : err,
        });
        throw mapped ?? err;
      }
      all.push(...result.templates);
      if (result.after === undefined) return all;
      after = result.after;
    }
    throw new UnavailableError(
      'SERVICE_UNAVAILABLE',
      `Meta's template list for business account ${wabaId} did not end after ${MAX_PAGES} pages.`,
    );
  }

  return {
    async sync(workspaceId: string): Promise<TemplateSyncReport> {
      if (!(await workspaces.exists(workspaceId)))
        throw new NotFoundError('NOT_FOUND', 'Workspace not found.');

      // One token per business account: the first number of the account that has one.
      const accounts = new Map<string, string>();
      for (const n of await phoneNumbers.list(workspaceId)) {
        if (n.wabaId === null || accounts.has(n.wabaId)) continue;
        const row = await phoneNumbers.withToken(n.id);
        if (row) accounts.set(n.wabaId, deps.cipher.decrypt(row.accessTokenEncrypted, workspaceId));
      }
      const report: TemplateSyncReport = {
        wabaIds: [...accounts.keys()],
        created: 0,
        updated: 0,
        unchanged: 0,
        missingFromMeta: [],
        kept: [],
        inUseNoLongerApproved: [],
        invalid: [],
      };
      // Without a business account nothing was read, so nothing may be called missing.
      if (accounts.size === 0) return report;

      const fromMeta = new Map<
        string,
        {
          name: string;
          language: string;
          category: string;
          status: string;
          components: unknown[];
          rejectionReason: string | null;
          providerTemplateId: string | null;
        }
      >();
      // Listed by Meta but not storable: still there, so never "missing" (left as stored).
      const listedButInvalid = new Set<string>();
      for (const [wabaId, token] of accounts) {
        for (const item of await fetchAll(wabaId, token)) {
          const parsed = validateTemplateDefinition(item);
          const rec = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
          if (!parsed.ok) {
            const name = typeof rec['name'] === 'string' ? rec['name'].slice(0, 512) : '';
            const language = typeof rec['language'] === 'string' ? rec['language'].slice(0, 20) : '';
            listedButInvalid.add(`${name}\u0000${language}`);
            report.invalid.push({ name, language, errors: parsed.errors.slice(0, 20) });
            continue;
          }
          const t = parsed.value;
          const reason = rec['rejected_reason'];
          const id = rec['id'];
          fromMeta.set(`${t.name}\u0000${t.language}`, {
            name: t.name,
            language: t.language,
            category: t.category,
            status: t.status,
            components: t.components,
            rejectionReason: typeof reason === 'string' && reason !== 'NONE' ? reason : null,
            providerTemplateId: typeof id === 'string' ? id : null,
          });
        }
      }

      const stored = await templates.listForSync(workspaceId);
      const storedByKey = new Map(stored.map((s) => [`${s.name}\u0000${s.language}`, s]));
      const leftApproved: string[] = [];
      try {
        for (const [key, m] of fromMeta) {
          const variables = deriveTemplateVariables(m.components);
          const existing = storedByKey.get(key);
          if (existing === undefined) {
            const outcome = await templates.insert({
              id: newId(),
              workspaceId,
              name: m.name,
              language: m.language,
              category: m.category,
              status: m.status,
              components: m.components,
              variables,
            });
            if (outcome === 'created') {
              report.created += 1;
              continue;
            }
            // Stored meanwhile (another sync, template:add): update it below like any other.
            const now = (await templates.byName(workspaceId, m.name)).find((s) => s.language === m.language);
            if (now === undefined) continue;
            await templates.update(workspaceId, now.id, { ...m, variables });
            report.updated += 1;
            continue;
          }
          const same =
            existing.category === m.category &&
            existing.status === m.status &&
            canonical(existing.components) === canonical(m.components) &&
            canonical(existing.variables) === canonical(variables) &&
            existing.rejectionReason === m.rejectionReason;
          if (same) {
            // Meta's id alone is learnt quietly (a template:add copy has none): not a change.
            if (m.providerTemplateId !== null && existing.providerTemplateId !== m.providerTemplateId)
              await templates.update(workspaceId, existing.id, { ...m, variables });
            report.unchanged += 1;
            continue;
          }
          await templates.update(workspaceId, existing.id, {
            ...m,
            providerTemplateId: m.providerTemplateId ?? existing.providerTemplateId,
            variables,
          });
          report.updated += 1;
          if (existing.status === 'APPROVED' && m.status !== 'APPROVED') leftApproved.push(existing.id);
        }

        const missing = stored.filter((s) => {
          const key = `${s.name}\u0000${s.language}`;
          return !fromMeta.has(key) && !listedButInvalid.has(key) && s.status !== MISSING_FROM_META_STATUS;
        });
        const marked = new Set(
          await templates.markUnlessInUse(
            workspaceId,
            missing.map((s) => s.id),
            MISSING_FROM_META_STATUS,
          ),
        );
        for (const s of missing) {
          if (marked.has(s.id))
            report.missingFromMeta.push({
              id: s.id,
              name: s.name,
              language: s.language,
              previousStatus: s.status,
            });
        }
        const unmarked = missing.filter((s) => !marked.has(s.id)).map((s) => s.id);
        const inUse = await templates.inUse(workspaceId, [...unmarked, ...leftApproved]);
        const unmarkedSet = new Set(unmarked);
        for (const u of inUse) {
          if (unmarkedSet.has(u.id)) report.kept.push(u);
          else report.inUseNoLongerApproved.push(u);
        }
      } finally {
        deps.onChanged?.(workspaceId);
      }
      deps.logger?.info('template sync done', {
        workspaceId,
        wabaIds: report.wabaIds,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        missingFromMeta: report.missingFromMeta.length,
        kept: report.kept.length,
        invalid: report.invalid.length,
      });
      return report;
    },
  };
}

export type TemplateSyncService = ReturnType<typeof templateSyncService>;
