/**
 * Security proof, part 1: workspace isolation, error bodies, helmet, and what reaches the logs.
 * public-api and the dispatcher run as real processes (their stdout/stderr captured) against a
 * database of their own and the sandbox provider; an in-process API with a capturing logger runs
 * beside them, so every log line this suite causes can be searched.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { startSandbox, type Sandbox } from '@flowgate/sandbox';
import { TokenCipher, type Database } from '@flowgate/db';
import { createArgon2Hasher, createStores, phoneNumberService, workspaceService } from '@flowgate/core';
import { addTemplate, ORDER_CONFIRMATION } from '@flowgate/testing';
import { freePort, startProcess, waitForHttp, type ServiceProcess } from '@flowgate/testing';
import { deleteTopology, uniquePrefix } from '@flowgate/testing';
import { capturingLogger, testEnv } from '@flowgate/testing';
import { createTestApp, type TestApp } from '@flowgate/testing';
import { isolatedDatabase, leaksIn, secretHits, startApiProcess, summary } from './support';

const hasher = createArgon2Hasher({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
const HELMET_HEADERS = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
] as const;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

interface Tenant {
  workspaceId: string;
  ownerEmail: string;
  password: string;
  token: string;
  phoneNumberId: string;
  providerPhoneNumberId: string;
  accessToken: string;
  contactId: string;
  key: { id: string; apiKey: string; apiSecret: string };
  headers: Record<string, string>;
  messageId: string;
}

describe('security: isolation, error bodies, headers and logs', () => {
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  let db: Database;
  let sandbox: Sandbox;
  let api: { proc: ServiceProcess; base: string; port: number };
  let dispatcher: ServiceProcess;
  let local: TestApp;
  let env: Record<string, string>;
  const sandboxLog = capturingLogger('sandbox');
  /** Every secret value this suite makes or sends, with what it is. */
  const secrets = new Map<string, string>();
  /** Every phone number (digits) this suite sends to or stores. */
  const phones = new Set<string>();
  /** Every error body any request of this suite received. */
  const errorBodies: Array<{ what: string; text: string }> = [];
  const tenants: Record<'a' | 'b', Tenant> = {} as Record<'a' | 'b', Tenant>;

  const secret = (value: string, what: string): string => {
    secrets.set(value, what);
    return value;
  };

  async function call(
    method: string,
    path: string,
    opts: { headers?: Record<string, string>; body?: unknown; raw?: string } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...opts.headers };
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${api.base}${path}`, { method, headers, body });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.status >= 400) errorBodies.push({ what: `${method} ${path} → ${res.status}`, text });
    return { status: res.status, headers: res.headers, text, json };
  }

  async function tenant(name: string): Promise<Tenant> {
    const password = secret(`pw-${randomBytes(18).toString('base64url')}`, 'an owner password');
    const ownerEmail = `owner-${randomUUID()}@example.test`;
    const { workspaceId } = await workspaceService(createStores(db), hasher).createWorkspace({
      name,
      ownerEmail,
      ownerPassword: password,
    });
    const accessToken = secret(`EAAG${randomBytes(24).toString('base64url')}`, 'a provider access token');
    const providerPhoneNumberId = String(100000000000000 + Math.floor(Math.random() * 1e14));
    const { phoneNumberId } = await phoneNumberService(
      createStores(db),
      new TokenCipher(Buffer.from(String(env['FLOWGATE_SECRET_KEY']), 'base64')),
    ).add({
      workspaceId,
      providerPhoneNumberId,
      displayPhoneNumber: '+15550001234',
      accessToken,
      isDefault: true,
    });
    await addTemplate(db, workspaceId, ORDER_CONFIRMATION);
    await addTemplate(db, workspaceId, { ...ORDER_CONFIRMATION, name: `only_${name}` });
    const contactPhone = `4479${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    phones.add(contactPhone);
    const contactId = randomUUID();
    await db('contacts').insert({ id: contactId, workspace_id: workspaceId, phone: contactPhone });

    const login = await call('POST', '/api/v1/auth/login', { body: { email: ownerEmail, password } });
    expect(login.status).toBe(200);
    const token = secret((login.json as { data: { token: string } }).data.token, 'an admin JWT');
    const created = await call('POST', `/api/v1/workspaces/${workspaceId}/api-keys`, {
      headers: { authorization: `Bearer ${token}` },
      body: { label: name },
    });
    expect(created.status).toBe(201);
    const key = (created.json as { data: Tenant['key'] }).data;
    secret(key.apiSecret, 'an API secret');
    secret(Buffer.from(`${key.apiKey}:${key.apiSecret}`).toString('base64'), 'a Basic credential');
    const headers = { apiKey: key.apiKey, apiSecret: key.apiSecret };
    const phone = `9198${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    phones.add(phone);
    const content = secret(`message body ${randomUUID()}`, 'a message body');
    const sent = await call('POST', '/api/v1/public/messages/send', {
      headers: { ...headers, 'idempotency-key': 'shared-idempotency-key' },
      body: { type: 'text', phone: `+${phone.slice(0, 2)} ${phone.slice(2, 7)}-${phone.slice(7)}`, content },
    });
    expect(sent.status).toBe(201);
    const messageId = (sent.json as { data: { id: string } }).data.id;
    return {
      workspaceId,
      ownerEmail,
      password,
      token,
      phoneNumberId,
      providerPhoneNumberId,
      accessToken,
      contactId,
      key,
      headers,
      messageId,
    };
  }

  beforeAll(async () => {
    database = await isolatedDatabase('security');
    db = database.db;
    sandbox = await startSandbox({ port: 0, logger: sandboxLog.logger });
    env = testEnv({
      DATABASE_URL: database.url,
      AMQP_PREFIX: uniquePrefix('sec'),
      GRAPH_API_BASE_URL: sandbox.url,
      LOG_LEVEL: 'debug',
    });
    secret(String(env['FLOWGATE_SECRET_KEY']), 'FLOWGATE_SECRET_KEY');
    secret(String(env['JWT_SECRET']), 'JWT_SECRET');
    api = await startApiProcess(env);
    const dispatcherHealth = await freePort();
    dispatcher = startProcess('services/dispatcher/src/main.ts', {
      ...env,
      DISPATCHER_HEALTH_PORT: String(dispatcherHealth),
    });
    // Both connected to PostgreSQL and RabbitMQ before the first message is sent.
    await waitForHttp(`${api.base}/readyz`, api.proc, 60_000);
    await waitForHttp(`http://127.0.0.1:${dispatcherHealth}/readyz`, dispatcher, 60_000);
    local = await createTestApp({ DATABASE_URL: database.url }, { relayIntervalMs: 3_600_000 });
    tenants.a = await tenant('a');
    tenants.b = await tenant('b');
  }, 120_000);

  afterAll(async () => {
    await Promise.all([api?.proc.stop(), dispatcher?.stop()]);
    await local?.close();
    await sandbox?.close();
    if (env) await deleteTopology(String(env['AMQP_PREFIX']));
    await database?.drop();
  });

  it("when every partner and admin route is tried with another workspace's ids and keys, then none succeeds", async () => {
    const { a, b } = tenants;
    const adminA = { authorization: `Bearer ${a.token}` };
    const sendA = (body: Record<string, unknown>, extra: Record<string, string> = {}) =>
      call('POST', '/api/v1/public/messages/send', { headers: { ...a.headers, ...extra }, body });
    const text = { type: 'text', phone: '919812345678', content: 'hello' };
    const bKeysBefore = await db('api_keys').where({ workspace_id: b.workspaceId }).orderBy('id');
    const bMessagesBefore = await db('messages')
      .where({ workspace_id: b.workspaceId })
      .count<[{ count: string }]>();

    // [what, request, expected status, did it reach B's data?]
    const cases: Array<[string, () => Promise<Answer>, number, (r: Answer) => boolean]> = [
      [
        "partner: read B's message with A's key",
        () => call('GET', `/api/v1/public/messages/${b.messageId}`, { headers: a.headers }),
        404,
        (r) => r.text.includes(b.messageId),
      ],
      [
        "partner: send from B's number with A's key",
        () => sendA({ ...text, phoneNumberId: b.phoneNumberId }),
        422,
        (r) => r.status < 300,
      ],
      [
        "partner: send to B's contact with A's key",
        () => sendA({ type: 'text', contactId: b.contactId, content: 'hi' }),
        422,
        (r) => r.status < 300,
      ],
      [
        "partner: B's own template with A's key",
        () =>
          sendA({
            type: 'template',
            phone: '919812345678',
            templateName: 'only_b',
            templateVariables: { '1': 'x', '2': 'y', '3': 'z' },
          }),
        422,
        (r) => r.status < 300,
      ],
      [
        "partner: list templates with A's key shows none of B's",
        () => call('GET', '/api/v1/public/templates', { headers: a.headers }),
        200,
        (r) => r.text.includes('only_b'),
      ],
      [
        'partner: A and B used one Idempotency-Key: B got a message of its own',
        () => call('GET', `/api/v1/public/messages/${b.messageId}`, { headers: b.headers }),
        200,
        () => b.messageId === a.messageId,
      ],
      [
        "partner: A repeats B's Idempotency-Key and body: no replay of B's message",
        async () => {
          const body = { ...text, content: 'same body' };
          const first = await call('POST', '/api/v1/public/messages/send', {
            headers: { ...b.headers, 'idempotency-key': 'b-only-key' },
            body,
          });
          expect(first.status).toBe(201);
          const res = await sendA(body, { 'idempotency-key': 'b-only-key' });
          return {
            ...res,
            text: `${res.text} replayed=${res.headers.get('idempotent-replayed') ?? ''} b=${first.text}`,
          };
        },
        201,
        (r) =>
          /replayed=true/.test(r.text) ||
          (r.json as { data?: { id?: string } }).data?.id ===
            (JSON.parse(r.text.split(' b=')[1] ?? '{}') as { data?: { id?: string } }).data?.id,
      ],
      [
        "partner: A's key with B's secret",
        () =>
          call('GET', '/api/v1/public/templates', {
            headers: { apiKey: a.key.apiKey, apiSecret: b.key.apiSecret },
          }),
        401,
        (r) => r.status < 300,
      ],
      [
        "partner: B's key with A's secret",
        () =>
          call('GET', '/api/v1/public/templates', {
            headers: { apiKey: b.key.apiKey, apiSecret: a.key.apiSecret },
          }),
        401,
        (r) => r.status < 300,
      ],
      [
        "partner: A's admin JWT as partner credentials",
        () => call('GET', '/api/v1/public/templates', { headers: adminA }),
        401,
        (r) => r.status < 300,
      ],
      [
        "admin: list B's keys as A's owner",
        () => call('GET', `/api/v1/workspaces/${b.workspaceId}/api-keys`, { headers: adminA }),
        403,
        (r) => r.text.includes(b.key.apiKey),
      ],
      [
        "admin: create a key in B as A's owner",
        () => call('POST', `/api/v1/workspaces/${b.workspaceId}/api-keys`, { headers: adminA, body: {} }),
        403,
        (r) => r.status < 300,
      ],
      [
        "admin: revoke B's key in B as A's owner",
        () => call('DELETE', `/api/v1/workspaces/${b.workspaceId}/api-keys/${b.key.id}`, { headers: adminA }),
        403,
        (r) => r.status < 300,
      ],
      [
        "admin: revoke B's key through A's workspace",
        () => call('DELETE', `/api/v1/workspaces/${a.workspaceId}/api-keys/${b.key.id}`, { headers: adminA }),
        404,
        (r) => r.status < 300,
      ],
      [
        "admin: list B's keys with A's partner key",
        () => call('GET', `/api/v1/workspaces/${b.workspaceId}/api-keys`, { headers: a.headers }),
        401,
        (r) => r.status < 300,
      ],
      [
        "admin: list B's keys with B's partner key",
        () => call('GET', `/api/v1/workspaces/${b.workspaceId}/api-keys`, { headers: b.headers }),
        401,
        (r) => r.status < 300,
      ],
      [
        "admin: log in to B's owner with A's password",
        () => call('POST', '/api/v1/auth/login', { body: { email: b.ownerEmail, password: a.password } }),
        401,
        (r) => r.status < 300,
      ],
    ];
    let successes = 0;
    for (const [what, send, status, reached] of cases) {
      const res = await send();
      if (reached(res) || res.status !== status) successes += 1;
      expect({ what, status: res.status, reachedB: reached(res) }).toEqual({ what, status, reachedB: false });
    }
    // Nothing of B changed: same keys (none revoked, none added), no message but B's own.
    const bKeysAfter = await db('api_keys').where({ workspace_id: b.workspaceId }).orderBy('id');
    expect(bKeysAfter).toEqual(bKeysBefore);
    expect(bKeysAfter.every((k: { revoked_at: Date | null }) => k.revoked_at === null)).toBe(true);
    const bMessagesAfter = await db('messages')
      .where({ workspace_id: b.workspaceId })
      .count<[{ count: string }]>();
    expect(Number(bMessagesAfter[0]?.count)).toBe(Number(bMessagesBefore[0]?.count) + 1);
    summary(
      'cross-workspace',
      `${cases.length} routes tried with another workspace's ids and keys, ${successes} succeeded`,
    );
    expect(successes).toBe(0);
  });

  it('when hostile requests arrive, then every error is a 4xx JSON envelope with helmet headers and nothing internal in it', async () => {
    const { a } = tenants;
    const send = '/api/v1/public/messages/send';
    const hostile: Array<[string, () => Promise<Answer>, number]> = [
      [
        'malformed JSON',
        () =>
          call('POST', send, {
            headers: { ...a.headers, 'content-type': 'application/json' },
            raw: '{"type":',
          }),
        400,
      ],
      [
        'JSON nested 5000 deep',
        () =>
          call('POST', send, {
            headers: { ...a.headers, 'content-type': 'application/json' },
            raw: '['.repeat(5000) + ']'.repeat(5000),
          }),
        400,
      ],
      [
        '__proto__ pollution',
        () =>
          call('POST', send, {
            headers: { ...a.headers, 'content-type': 'application/json' },
            raw: '{"__proto__":{"admin":true},"type":"text"}',
          }),
        400,
      ],
      [
        'text/plain body',
        () => call('POST', send, { headers: { ...a.headers, 'content-type': 'text/plain' }, raw: 'hello' }),
        415,
      ],
      [
        'latin1 charset',
        () =>
          call('POST', send, {
            headers: { ...a.headers, 'content-type': 'application/json; charset=latin1' },
            raw: '{}',
          }),
        415,
      ],
      [
        'gzip that is not gzip',
        () =>
          call('POST', send, {
            headers: { ...a.headers, 'content-type': 'application/json', 'content-encoding': 'gzip' },
            raw: 'not gzip',
          }),
        400,
      ],
      [
        'SQL in the message id',
        () => call('GET', "/api/v1/public/messages/1'%20OR%201=1;--", { headers: a.headers }),
        404,
      ],
      [
        'SQL in the key id',
        () =>
          call('DELETE', `/api/v1/workspaces/${a.workspaceId}/api-keys/x';DROP%20TABLE%20api_keys;--`, {
            headers: { authorization: `Bearer ${a.token}` },
          }),
        404,
      ],
      [
        'SQL in the workspace id',
        () =>
          call('GET', "/api/v1/workspaces/'%20OR%20''='/api-keys", {
            headers: { authorization: `Bearer ${a.token}` },
          }),
        404,
      ],
      [
        'bad percent-encoding (partner)',
        () => call('GET', '/api/v1/public/messages/%E0%A4%A', { headers: a.headers }),
        400,
      ],
      ['bad percent-encoding (admin)', () => call('GET', '/api/v1/workspaces/%E0%A4%A/api-keys'), 400],
      ['NUL in the path', () => call('GET', '/api/v1/public/messages/%00', { headers: a.headers }), 404],
      [
        'a 10 000-character path',
        () => call('GET', `/api/v1/public/messages/${'a'.repeat(10_000)}`, { headers: a.headers }),
        404,
      ],
      [
        'query arrays and objects',
        () =>
          call('GET', '/api/v1/public/templates?a[b]=c&a[]=1&__proto__[x]=1', { headers: { apiKey: 'x' } }),
        401,
      ],
      ['unknown method', () => call('PROPFIND', '/api/v1/public/templates'), 401],
      [
        'numbers beyond double precision',
        () =>
          call('POST', send, {
            headers: { ...a.headers, 'content-type': 'application/json' },
            raw: '{"type":"location","phone":"919812345678","latitude":1e400,"longitude":-1e400}',
          }),
        400,
      ],
      [
        'a huge label',
        () =>
          call('POST', `/api/v1/workspaces/${a.workspaceId}/api-keys`, {
            headers: { authorization: `Bearer ${a.token}` },
            body: { label: 'x'.repeat(100_000) },
          }),
        400,
      ],
      [
        'login with an object for a password',
        () => call('POST', '/api/v1/auth/login', { body: { email: a.ownerEmail, password: { $gt: '' } } }),
        400,
      ],
      [
        'a forged JWT (alg none)',
        () =>
          call('GET', `/api/v1/workspaces/${a.workspaceId}/api-keys`, {
            headers: {
              authorization: `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(`{"sub":"x"}`).toString('base64url')}.`,
            },
          }),
        401,
      ],
      [
        'Basic with no colon',
        () =>
          call('GET', '/api/v1/public/templates', {
            headers: { authorization: `Basic ${Buffer.from('pk_only').toString('base64')}` },
          }),
        401,
      ],
      ['no such route', () => call('GET', '/api/v2/anything'), 404],
    ];
    let tried = 0;
    for (const [what, sendIt, status] of hostile) {
      const res = await sendIt();
      tried += 1;
      expect({ what, status: res.status }).toEqual({ what, status });
      expect({ what, type: res.headers.get('content-type') }).toEqual({
        what,
        type: expect.stringMatching(/^application\/json/),
      });
      const error = (res.json as { success?: boolean; error?: Record<string, unknown> } | undefined) ?? {};
      expect({ what, success: error.success, keys: Object.keys(error.error ?? {}).sort() }).toEqual({
        what,
        success: false,
        keys: ['code', 'details', 'message', 'requestId'],
      });
      expect({ what, requestId: error.error?.['requestId'] }).toEqual({
        what,
        requestId: res.headers.get('x-request-id'),
      });
      for (const h of HELMET_HEADERS)
        expect({ what, header: h, present: res.headers.has(h) }).toEqual({ what, header: h, present: true });
      expect(res.headers.has('x-powered-by')).toBe(false);
    }

    // helmet on the way out of successes too, and of the throttle and readiness answers.
    const ok: Array<[string, () => Promise<Answer>, number]> = [
      ['/healthz', () => call('GET', '/healthz'), 200],
      ['/readyz', () => call('GET', '/readyz'), 200],
      ['templates', () => call('GET', '/api/v1/public/templates', { headers: a.headers }), 200],
      [
        'send',
        () =>
          call('POST', send, {
            headers: a.headers,
            body: { type: 'text', phone: '919812345678', content: 'ok' },
          }),
        201,
      ],
      ['openapi', () => call('GET', '/api/v1/public/openapi.json'), 200],
    ];
    for (const [what, sendIt, status] of ok) {
      const res = await sendIt();
      expect({ what, status: res.status }).toEqual({ what, status });
      for (const h of HELMET_HEADERS)
        expect({ what, header: h, present: res.headers.has(h) }).toEqual({ what, header: h, present: true });
    }
    summary(
      'hostile input',
      `${tried} hostile requests tried: all 4xx JSON with helmet headers; ${ok.length} successes checked for helmet headers`,
    );
  });

  it('when the in-process API meets the same mistakes, then it answers alike (its logger is searched below)', async () => {
    const { a } = tenants;
    const wrong = secret(randomBytes(32).toString('base64url'), 'a wrong API secret');
    const attempts = [
      request(local.app).get('/api/v1/public/templates').set({ apiKey: a.key.apiKey, apiSecret: wrong }),
      request(local.app)
        .post('/api/v1/auth/login')
        .send({ email: a.ownerEmail, password: secret(`wrong-${randomUUID()}`, 'a wrong password') }),
      request(local.app)
        .get('/api/v1/public/templates')
        .set({ authorization: `Basic ${Buffer.from(`${a.key.apiKey}:${wrong}`).toString('base64')}` }),
      request(local.app)
        .get(`/api/v1/workspaces/${a.workspaceId}/api-keys`)
        .set({ authorization: `Bearer ${a.token}x` }),
      request(local.app)
        .post('/api/v1/public/messages/send')
        .set({ ...a.headers, 'content-type': 'application/json' })
        .send(`{"type":"text","content":"${secrets.keys().next().value ?? ''}`),
    ];
    for (const r of await Promise.all(attempts)) {
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      errorBodies.push({ what: `in-process ${r.status}`, text: r.text });
    }
  });

  it('when the suite is over, then no error body leaked internals and no log line holds a secret, a token, a password, a body or an unmasked phone number', async () => {
    // Let the dispatcher deliver (it decrypts and uses the access tokens), then stop the processes
    // so their shutdown lines are in the capture too.
    const { a, b } = tenants;
    const deadline = Date.now() + 40_000;
    const finalOf = async (t: Tenant) =>
      (
        (await call('GET', `/api/v1/public/messages/${t.messageId}`, { headers: t.headers })).json as {
          data: { status: string };
        }
      ).data.status;
    let statuses = [await finalOf(a), await finalOf(b)];
    while (statuses.some((s) => s !== 'SENT') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      statuses = [await finalOf(a), await finalOf(b)];
    }
    if (statuses.some((st) => st !== 'SENT'))
      process.stdout.write(
        `not delivered; the last dispatcher lines:\n${dispatcher.output.join('').slice(-3000)}\n`,
      );
    expect(statuses).toEqual(['SENT', 'SENT']);
    // The sandbox was called for each workspace's number: the dispatcher decrypted and used its token.
    expect(sandbox.calls().map((c) => c.phoneNumberId)).toEqual(
      expect.arrayContaining([a.providerPhoneNumberId, b.providerPhoneNumberId]),
    );
    await Promise.all([api.proc.stop(), dispatcher.stop()]);

    const leaks = errorBodies.flatMap(({ what, text }) =>
      leaksIn(text).map(([kind, match]) => ({ what, kind, match })),
    );
    expect(leaks).toEqual([]);

    const logs: Record<string, readonly string[]> = {
      'public-api process': api.proc.output,
      'dispatcher process': dispatcher.output,
      'in-process API': local.logs,
      sandbox: sandboxLog.lines,
    };
    const all = Object.values(logs).flat();
    const lineCount = all
      .join('')
      .split('\n')
      .filter((l) => l.length > 0).length;
    const hits = secretHits(all, secrets);
    const phoneHits = secretHits(all, new Map([...phones].map((p) => [p, 'an unmasked phone number'])));
    const masked = all.join('').match(/\*{4,}\d{4}/g)?.length ?? 0;
    summary(
      'logs',
      `${secrets.size} secrets/tokens/passwords/bodies and ${phones.size} phone numbers searched in ${lineCount} log lines of ${Object.keys(logs).length} sources: ${hits.length + phoneHits.length} hits (${masked} masked numbers seen); ${errorBodies.length} error bodies checked, ${leaks.length} leaks`,
    );
    expect(lineCount).toBeGreaterThan(20);
    expect(hits).toEqual([]);
    expect(phoneHits).toEqual([]);
  }, 60_000);
});
