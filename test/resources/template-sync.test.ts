/**
 * Template sync from Meta (issue 14 item 2, docs/meta-cloud-api.md §7, ADR 0044) through the
 * public doors: the admin route and `pnpm cli template:sync`, on PostgreSQL, with the sandbox as
 * Meta (`GET /{version}/{waba-id}/message_templates` with paging).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import request from 'supertest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  bootstrapDemo,
  createStores,
  createTemplateListClient,
  DEMO_META_TEMPLATES,
  DEMO_TEMPLATES,
  DEMO_WABA_ID,
  phoneNumberService,
  templateSyncService,
} from '@flowgate/core';
import { TokenCipher } from '@flowgate/db';
import { SANDBOX_TOKENS, SANDBOX_WABAS, startSandbox, type Sandbox } from '@flowgate/sandbox';
import {
  addMember,
  addTemplate,
  createApiKey,
  createTestApp,
  createWorkspace,
  hasher,
  isolatedDatabase,
  REPO_ROOT,
  testEnv,
  type TestApp,
} from '@flowgate/testing';

const exec = promisify(execFile);

interface Report {
  wabaIds: string[];
  created: number;
  updated: number;
  unchanged: number;
  missingFromMeta: Array<{ id: string; name: string; language: string; previousStatus: string }>;
  kept: Array<{ id: string; name: string; language: string; status: string; broadcastIds: string[] }>;
  inUseNoLongerApproved: Array<{ id: string; status: string; broadcastIds: string[] }>;
  invalid: Array<{ name: string; language: string; errors: unknown[] }>;
}

const body = (text: string): { type: 'BODY'; text: string } => ({ type: 'BODY', text });
const template = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  language: 'en_US',
  category: 'UTILITY',
  status: 'APPROVED',
  components: [body(`Hi {{1}}, this is ${name}.`)],
  ...extra,
});
/** Header, body and a URL button: variables header, body and button keys. */
const RICH = template('rich_update', {
  parameter_format: 'POSITIONAL',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}' },
    body('Hi {{1}}, your parcel arrives by {{2}}.'),
    { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Track', url: 'https://shop.example.com/t/{{1}}' }] },
  ],
});

const newWabaId = (): string => String(200000000000000 + Math.floor(Math.random() * 1e14));

describe('template sync from Meta', () => {
  let sandbox: Sandbox;
  let t: TestApp;

  beforeAll(async () => {
    sandbox = await startSandbox();
    t = await createTestApp({ GRAPH_API_BASE_URL: sandbox.url });
  });
  afterAll(async () => {
    await t.close();
    await sandbox.close();
  });

  /** A workspace whose number belongs to a business account of its own; its owner's session. */
  async function workspace(opts: { accessToken?: string; wabaId?: string } = {}) {
    const ws = await createWorkspace(t.runtime.db);
    const wabaId = opts.wabaId ?? newWabaId();
    const accessToken = opts.accessToken ?? `token-${randomUUID()}`;
    await phoneNumberService(createStores(t.runtime.db), new TokenCipher(t.config.secretKey)).add({
      workspaceId: ws.workspaceId,
      providerPhoneNumberId: String(100000000000000 + Math.floor(Math.random() * 1e14)),
      displayPhoneNumber: '+15550001234',
      accessToken,
      wabaId,
      isDefault: true,
    });
    const key = await createApiKey(t.runtime.db, ws.workspaceId);
    return {
      ...ws,
      wabaId,
      accessToken,
      session: await login(ws.ownerEmail, ws.password),
      partner: { apiKey: key.apiKey, apiSecret: key.apiSecret },
    };
  }

  async function login(email: string, password: string): Promise<string> {
    const res = await request(t.app).post('/api/v1/auth/login').send({ email, password });
    expect(res.status).toBe(200);
    return String((res.body as { data: { token: string } }).data.token);
  }

  const sync = (workspaceId: string, token: string | undefined) => {
    const r = request(t.app).post(`/api/v1/workspaces/${workspaceId}/templates/sync`);
    return token === undefined ? r : r.set('Authorization', `Bearer ${token}`);
  };
  const reportOf = (res: { body: unknown }): Report => (res.body as { data: Report }).data;
  const countOf = async (workspaceId: string): Promise<number> =>
    (await t.runtime.db('templates').where({ workspace_id: workspaceId })).length;

  it('follows every page, creates, updates and leaves alone, deriving variables as template:add does', async () => {
    const w = await workspace();
    // Stored before: one Meta will list unchanged, one it has re-categorised and paused.
    await addTemplate(t.runtime.db, w.workspaceId, template('same_one'));
    await addTemplate(t.runtime.db, w.workspaceId, template('changed_one'));
    // 130 templates: two pages of 100 (the client's limit) and 30.
    const many = Array.from({ length: 127 }, (_, i) => template(`bulk_${String(i).padStart(3, '0')}`));
    sandbox.setTemplates(w.wabaId, [
      ...many,
      RICH,
      template('same_one'),
      template('changed_one', { category: 'MARKETING', status: 'PAUSED' }),
    ]);

    const res = await sync(w.workspaceId, w.session);
    expect(res.status).toBe(200);
    expect(reportOf(res)).toEqual({
      wabaIds: [w.wabaId],
      created: 128,
      updated: 1,
      unchanged: 1,
      missingFromMeta: [],
      kept: [],
      inUseNoLongerApproved: [],
      invalid: [],
    });

    const all = await request(t.app).get('/api/v1/public/templates?status=ALL').set(w.partner);
    const listed = (all.body as { data: { templates: Array<Record<string, unknown>> } }).data.templates;
    expect(listed).toHaveLength(130);
    expect(listed.find((x) => x['name'] === 'changed_one')).toMatchObject({
      category: 'MARKETING',
      status: 'PAUSED',
    });
    expect(listed.find((x) => x['name'] === 'bulk_126')).toMatchObject({ status: 'APPROVED' });

    // Variables exactly as template:add derives them for the same definition.
    const other = await createWorkspace(t.runtime.db);
    await addTemplate(t.runtime.db, other.workspaceId, RICH);
    const added = await t.runtime.db('templates').where({ workspace_id: other.workspaceId }).first();
    const synced = listed.find((x) => x['name'] === 'rich_update');
    expect(synced?.['variables']).toEqual((added as { variables: string[] }).variables);
    expect(synced?.['variables']).toEqual(expect.arrayContaining(['1', '2']));

    // A second sync changes nothing.
    const again = reportOf(await sync(w.workspaceId, w.session));
    expect([again.created, again.updated, again.unchanged]).toEqual([0, 0, 130]);
  });

  it('marks a template Meta no longer lists DELETED, and sends of it are refused', async () => {
    const w = await workspace();
    await addTemplate(t.runtime.db, w.workspaceId, template('kept_by_meta'));
    const gone = await addTemplate(t.runtime.db, w.workspaceId, template('dropped_by_meta'));
    await addTemplate(t.runtime.db, w.workspaceId, template('odd_at_meta'));
    // Meta still lists odd_at_meta, in a form Flowgate cannot store (a gap in its placeholders):
    // reported invalid, left as stored, never "missing".
    sandbox.setTemplates(w.wabaId, [
      template('kept_by_meta'),
      template('odd_at_meta', { components: [body('Hi {{1}} and {{3}}')] }),
    ]);
    const send = (name: string) =>
      request(t.app)
        .post('/api/v1/public/messages/send')
        .set(w.partner)
        .send({
          type: 'template',
          phone: '919876543210',
          templateName: name,
          templateVariables: { '1': 'Ann' },
        });
    expect((await send('dropped_by_meta')).status).toBe(201);

    const report = reportOf(await sync(w.workspaceId, w.session));
    expect(report.missingFromMeta).toEqual([
      { id: gone.templateId, name: 'dropped_by_meta', language: 'en_US', previousStatus: 'APPROVED' },
    ]);
    expect(report.unchanged).toBe(1);
    expect(report.invalid).toEqual([
      {
        name: 'odd_at_meta',
        language: 'en_US',
        errors: [expect.objectContaining({ path: '/components/0/text' })],
      },
    ]);
    expect((await send('odd_at_meta')).status).toBe(201);
    const refused = await send('dropped_by_meta');
    expect(refused.status).toBe(422);
    expect((refused.body as { error: { code: string } }).error.code).toBe('TEMPLATE_NOT_APPROVED');
    expect((await send('kept_by_meta')).status).toBe(201);
    // Reported once: a later sync finds it DELETED already.
    expect(reportOf(await sync(w.workspaceId, w.session)).missingFromMeta).toEqual([]);
  });

  it('keeps a template Meta dropped while a SCHEDULED broadcast uses it, and says so', async () => {
    const w = await workspace();
    const used = await addTemplate(t.runtime.db, w.workspaceId, template('campaign_one'));
    const paused = await addTemplate(t.runtime.db, w.workspaceId, template('campaign_two'));
    const unused = await addTemplate(t.runtime.db, w.workspaceId, template('not_in_use'));
    const phone = await t.runtime.db('phone_numbers').where({ workspace_id: w.workspaceId }).first('id');
    const broadcast = async (templateId: string, name: string, status: string) => {
      const id = randomUUID();
      await t.runtime.db('broadcasts').insert({
        id,
        workspace_id: w.workspaceId,
        phone_number_id: (phone as { id: string }).id,
        template_id: templateId,
        name: `b-${id.slice(0, 8)}`,
        template_name: name,
        template_language: 'en_US',
        status,
        total: 1,
        scheduled_at: new Date(Date.now() + 3_600_000),
      });
      return id;
    };
    const scheduled = await broadcast(used.templateId, 'campaign_one', 'SCHEDULED');
    await broadcast(used.templateId, 'campaign_one', 'COMPLETED');
    await broadcast(unused.templateId, 'not_in_use', 'CANCELLED');
    // SCHEDULED an hour ahead, not SENDING: a SENDING row without recipients is one the
    // dispatcher's releaser may complete before the sync runs (it did once in CI).
    const sending = await broadcast(paused.templateId, 'campaign_two', 'SCHEDULED');
    // Meta: campaign_one gone, campaign_two paused, not_in_use gone.
    sandbox.setTemplates(w.wabaId, [template('campaign_two', { status: 'PAUSED' })]);

    const report = reportOf(await sync(w.workspaceId, w.session));
    expect(report.kept).toEqual([
      {
        id: used.templateId,
        name: 'campaign_one',
        language: 'en_US',
        status: 'APPROVED',
        broadcastIds: [scheduled],
      },
    ]);
    expect(report.missingFromMeta.map((m) => m.name)).toEqual(['not_in_use']);
    expect(report.inUseNoLongerApproved).toEqual([
      expect.objectContaining({ id: paused.templateId, status: 'PAUSED', broadcastIds: [sending] }),
    ]);
    const statusOf = async (id: string) =>
      (await t.runtime.db('templates').where({ id }).first<{ status: string }>('status')).status;
    expect(await statusOf(used.templateId)).toBe('APPROVED');
    expect(await statusOf(unused.templateId)).toBe('DELETED');
    expect(await statusOf(paused.templateId)).toBe('PAUSED');

    // Once the broadcast is over, the next sync marks it.
    await t.runtime.db('broadcasts').where({ id: scheduled }).update({ status: 'COMPLETED' });
    const later = reportOf(await sync(w.workspaceId, w.session));
    expect(later.kept).toEqual([]);
    expect(later.missingFromMeta.map((m) => m.name)).toEqual(['campaign_one']);
  });

  it('answers 401 without a session, 403 to members and outsiders, 404 for a malformed id; owners and admins sync', async () => {
    const w = await workspace();
    sandbox.setTemplates(w.wabaId, [template('hostile_check')]);
    const other = await workspace();
    const member = await addMember(t.runtime.db, w.workspaceId, 'member');
    const admin = await addMember(t.runtime.db, w.workspaceId, 'admin');
    const memberSession = await login(member.email, member.password);

    expect((await sync(w.workspaceId, undefined)).status).toBe(401);
    expect((await sync(w.workspaceId, 'not.a.jwt')).status).toBe(401);
    expect((await sync(w.workspaceId, w.partner.apiKey)).status).toBe(401);
    const asMember = await sync(w.workspaceId, memberSession);
    expect(asMember.status).toBe(403);
    expect((asMember.body as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    // Another workspace's owner: the same 403 as for a workspace that does not exist.
    const outsider = await sync(w.workspaceId, other.session);
    const nowhere = await sync(randomUUID(), other.session);
    expect([outsider.status, nowhere.status]).toEqual([403, 403]);
    expect(outsider.body).toMatchObject({
      error: { code: 'FORBIDDEN', message: (nowhere.body as { error: { message: string } }).error.message },
    });
    expect((await sync('not-a-uuid', w.session)).status).toBe(404);
    // Nothing was synced by the refused calls.
    expect(await countOf(w.workspaceId)).toBe(0);

    const asAdmin = await sync(w.workspaceId, await login(admin.email, admin.password));
    expect(asAdmin.status).toBe(200);
    expect(reportOf(asAdmin).created).toBe(1);
    // The other workspace's templates are untouched by this one's sync.
    expect(await countOf(other.workspaceId)).toBe(0);
  });

  it("maps Meta's refusals: expired token 422 PROVIDER_REQUEST_FAILED, rate limit 429 with Retry-After; no token in any log", async () => {
    const expired = await workspace({ accessToken: SANDBOX_TOKENS.EXPIRED });
    sandbox.setTemplates(expired.wabaId, [template('never_read')]);
    await addTemplate(t.runtime.db, expired.workspaceId, template('stays_put'));
    const refused = await sync(expired.workspaceId, expired.session);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ error: { code: 'PROVIDER_REQUEST_FAILED' } });
    expect((refused.body as { error: { message: string } }).error.message).toContain('#190');
    // A failed read changes nothing (the stored template is not "missing").
    expect(
      await t.runtime.db('templates').where({ workspace_id: expired.workspaceId }).select('name', 'status'),
    ).toEqual([{ name: 'stays_put', status: 'APPROVED' }]);

    const limited = await workspace({ wabaId: SANDBOX_WABAS.RATE_LIMITED });
    const throttled = await sync(limited.workspaceId, limited.session);
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('60');
    expect(throttled.body).toMatchObject({ error: { code: 'RATE_LIMITED' } });

    const unknown = await workspace();
    const notThere = await sync(unknown.workspaceId, unknown.session);
    expect(notThere.status).toBe(422);

    const logs = t.logs.join('');
    expect(logs).toContain('template sync');
    for (const token of [limited.accessToken, unknown.accessToken]) expect(logs).not.toContain(token);
    expect(JSON.stringify([refused.body, throttled.body, notThere.body])).not.toContain(limited.accessToken);
  });

  it('pnpm cli template:sync --json prints the report as one JSON line', async () => {
    const w = await workspace();
    sandbox.setTemplates(w.wabaId, [template('cli_one'), RICH]);
    await addTemplate(t.runtime.db, w.workspaceId, template('cli_one'));
    const { stdout } = await exec('pnpm', ['cli', 'template:sync', '--workspace', w.workspaceId, '--json'], {
      cwd: REPO_ROOT,
      env: {
        ...testEnv({
          GRAPH_API_BASE_URL: sandbox.url,
          FLOWGATE_SECRET_KEY: t.config.secretKey.toString('base64'),
        }),
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '/tmp',
      },
    });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      wabaIds: [w.wabaId],
      created: 1,
      updated: 0,
      unchanged: 1,
      missingFromMeta: [],
      kept: [],
      inUseNoLongerApproved: [],
      invalid: [],
    });
    expect(stdout).not.toContain(w.accessToken);
  });

  it("syncs the demo workspace against the sandbox's demo account, also for a demo number made before it had one", async () => {
    const own = await isolatedDatabase('tsync_demo');
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fg-demo-'));
    const meta = await startSandbox({ templates: { [DEMO_WABA_ID]: DEMO_META_TEMPLATES } });
    const client = createTemplateListClient({ baseUrl: meta.url, version: 'v25.0' });
    try {
      const stores = createStores(own.db);
      const cipher = new TokenCipher(t.config.secretKey);
      const { credentials } = await bootstrapDemo(stores, hasher, cipher, dataDir);
      // As a data dir from before: the demo number without a WABA id; the next start sets it.
      await own
        .db('phone_numbers')
        .where({ workspace_id: credentials.workspaceId })
        .update({ waba_id: null });
      expect((await bootstrapDemo(stores, hasher, cipher, dataDir)).created).toBe(false);
      const report = await templateSyncService({ stores, cipher, client }).sync(credentials.workspaceId);
      expect(report).toMatchObject({
        wabaIds: [DEMO_WABA_ID],
        created: DEMO_META_TEMPLATES.length - DEMO_TEMPLATES.length,
        unchanged: DEMO_TEMPLATES.length,
        missingFromMeta: [],
        invalid: [],
      });
    } finally {
      client.close();
      await meta.close();
      rmSync(dataDir, { recursive: true, force: true });
      await own.drop();
    }
  });
});
