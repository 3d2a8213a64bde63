/**
 * Security proof, part 2: a flood of wrong secrets, and hostile HTTP (oversized headers and
 * bodies, slow clients, header injection) against public-api running as its own process, whose
 * CPU time and memory are read from /proc.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { configDefaults } from '@flowgate/config';
import { createArgon2Hasher, createStores, workspaceService } from '@flowgate/core';
import type { ServiceProcess } from '@flowgate/testing';
import { deleteTopology, uniquePrefix } from '@flowgate/testing';
import { testEnv } from '@flowgate/testing';
import { inPool } from '@flowgate/testing';
import {
  isolatedDatabase,
  leaksIn,
  procUsage,
  rawRequest,
  secretHits,
  startApiProcess,
  summary,
} from './support';

const FAILURES_PER_KEY = 10;
const KEYS = 5;
const FLOOD = 2000;
const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('security: floods and hostile HTTP against a separate API process', () => {
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  let api: { proc: ServiceProcess; base: string; port: number };
  let env: Record<string, string>;
  const secrets = new Map<string, string>();
  const keys: Array<{ id: string; apiKey: string; apiSecret: string }> = [];
  /** A key the flood never touches (its failure budget is whole). */
  let spare: { id: string; apiKey: string; apiSecret: string } | undefined;
  let workspaceId = '';
  let hostileTried = 0;

  beforeAll(async () => {
    database = await isolatedDatabase('flood');
    env = testEnv({
      DATABASE_URL: database.url,
      AMQP_PREFIX: uniquePrefix('flood'),
      LOG_LEVEL: 'info',
      AUTH_FAILURES_PER_KEY: String(FAILURES_PER_KEY),
      // High, so the per-key budget is what this flood (all from one address) meets.
      AUTH_FAILURES_PER_IP: '100000',
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    });
    secrets.set(String(env['FLOWGATE_SECRET_KEY']), 'FLOWGATE_SECRET_KEY');
    secrets.set(String(env['JWT_SECRET']), 'JWT_SECRET');
    api = await startApiProcess(env);
    const password = `pw-${randomBytes(18).toString('base64url')}`;
    secrets.set(password, 'an owner password');
    const email = `flood-${randomUUID()}@example.test`;
    const hasher = createArgon2Hasher(configDefaults().argon2);
    ({ workspaceId } = await workspaceService(createStores(database.db), hasher).createWorkspace({
      name: 'flood',
      ownerEmail: email,
      ownerPassword: password,
    }));
    const login = await fetch(`${api.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const token = ((await login.json()) as { data: { token: string } }).data.token;
    secrets.set(token, 'an admin JWT');
    for (let i = 0; i <= KEYS; i += 1) {
      const res = await fetch(`${api.base}/api/v1/workspaces/${workspaceId}/api-keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: '{}',
      });
      const key = ((await res.json()) as { data: { id: string; apiKey: string; apiSecret: string } }).data;
      secrets.set(key.apiSecret, 'an API secret');
      if (i < KEYS) keys.push(key);
      else spare = key;
    }
  }, 60_000);

  afterAll(async () => {
    await api?.proc.stop();
    if (env) await deleteTopology(String(env['AMQP_PREFIX']));
    await database?.drop();
  });

  it('when 2000 wrong secrets flood five keys, then at most AUTH_FAILURES_PER_KEY argon2 checks run per key, the rest are 429 with Retry-After, and CPU and memory stay bounded', async () => {
    // What one argon2id check with the configured parameters costs on this machine, measured here.
    const { argon2, auth } = configDefaults();
    const hasher = createArgon2Hasher(argon2);
    const hash = await hasher.hash('calibration');
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < 5; i += 1) await hasher.verify(hash, 'calibration');
    const cpu1 = process.cpuUsage(cpu0);
    const argon2CpuMs = (cpu1.user + cpu1.system) / 1000 / 5;

    const before = procUsage(Number(api.proc.child.pid));
    const answers = await inPool(FLOOD, 50, async (i) => {
      const key = keys[i % KEYS];
      const wrong = randomBytes(32).toString('base64url');
      secrets.set(wrong, 'a wrong API secret');
      const res = await fetch(`${api.base}/api/v1/public/templates`, {
        headers: { apiKey: String(key?.apiKey), apiSecret: wrong },
      });
      const body = await res.text();
      return { key: key?.apiKey, status: res.status, retryAfter: res.headers.get('retry-after'), body };
    });
    const after = procUsage(Number(api.proc.child.pid));

    const checksPerKey = new Map<string, number>();
    for (const a of answers)
      if (a.status === 401) checksPerKey.set(String(a.key), (checksPerKey.get(String(a.key)) ?? 0) + 1);
    const throttled = answers.filter((a) => a.status === 429);
    const cpuMs = after.cpuMs - before.cpuMs;
    const rssGrowthMb = (after.rssKb - before.rssKb) / 1024;
    // Generous bounds from the configuration: every allowed argon2 run at 3× its measured cost,
    // plus 3 ms of CPU per request for everything else; memory: the argon2 runs allowed at once
    // plus 150 MB for the heap's growth under 50 concurrent connections. Without the budget this flood would cost
    // FLOOD argon2 runs, about FLOOD / (KEYS × FAILURES_PER_KEY) = 40 times the first term.
    const cpuBoundMs = KEYS * FAILURES_PER_KEY * argon2CpuMs * 3 + FLOOD * 3;
    const rssBoundMb = (auth.maxConcurrentVerifications * argon2.memoryCost) / 1024 + 150;
    summary(
      'flood',
      `${FLOOD} wrong secrets on ${KEYS} keys: ${[...checksPerKey.values()].join('/')} argon2 checks per key (limit ${FAILURES_PER_KEY}), ${throttled.length} × 429; API CPU ${cpuMs} ms (bound ${Math.round(cpuBoundMs)}, one argon2 ≈ ${argon2CpuMs.toFixed(1)} ms), RSS ${rssGrowthMb >= 0 ? '+' : ''}${rssGrowthMb.toFixed(1)} MB (bound ${rssBoundMb.toFixed(0)}), peak ${(after.hwmKb / 1024).toFixed(0)} MB`,
    );
    expect(answers.every((a) => a.status === 401 || a.status === 429)).toBe(true);
    expect([...checksPerKey.values()]).toEqual(Array.from({ length: KEYS }, () => FAILURES_PER_KEY));
    expect(throttled).toHaveLength(FLOOD - KEYS * FAILURES_PER_KEY);
    for (const t of throttled) {
      expect(Number(t.retryAfter)).toBeGreaterThan(0);
      expect(JSON.parse(t.body)).toMatchObject({ success: false, error: { code: 'RATE_LIMITED' } });
    }
    expect(cpuMs).toBeLessThan(cpuBoundMs);
    expect(rssGrowthMb).toBeLessThan(rssBoundMb);
    // Still serving: readiness and other routes answer after the flood.
    expect((await fetch(`${api.base}/readyz`)).status).toBe(200);
  });

  it('when headers are oversized, then 431 or a closed connection, never a 500', async () => {
    const cases: Array<[string, string]> = [
      ['one 20 KB header', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
      ['5000 small headers', `GET /healthz HTTP/1.1\r\nHost: x\r\n${'X-h: v\r\n'.repeat(5000)}\r\n`],
      ['a 20 KB request line', `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
      [
        'a 20 KB X-Request-Id',
        `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${'r'.repeat(20_000)}\r\n\r\n`,
      ],
    ];
    for (const [what, req] of cases) {
      const res = await rawRequest(api.port, [req]);
      hostileTried += 1;
      expect({ what, answer: [431, 'closed'].includes(res.status ?? 'closed') }).toEqual({
        what,
        answer: true,
      });
      expect(res.raw).not.toMatch(/^HTTP\/1\.1 5/);
      if (res.status === 431) expect(res.headers['x-request-id']).toMatch(UUID_RE);
    }
  });

  it('when bodies are oversized, then 413 with the JSON envelope', async () => {
    const key = spare;
    const auth = `apiKey: ${key?.apiKey}\r\napiSecret: ${key?.apiSecret}\r\n`;
    const big = JSON.stringify({ type: 'text', phone: '919812345678', content: 'x'.repeat(300_000) });
    const chunked = (data: string): string => `${data.length.toString(16)}\r\n${data}\r\n0\r\n\r\n`;
    const cases: Array<[string, Array<string | Buffer>]> = [
      [
        'a 300 KB JSON body',
        [
          `POST /api/v1/public/messages/send HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: ${big.length}\r\nConnection: close\r\n\r\n`,
          big,
        ],
      ],
      [
        'a 300 KB chunked body',
        [
          `POST /api/v1/public/messages/send HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
          chunked(big),
        ],
      ],
      [
        'a declared 10 MB body (not sent)',
        [
          `POST /api/v1/public/messages/send HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 10485760\r\nConnection: close\r\n\r\n`,
        ],
      ],
      [
        'an admin 300 KB body without a token',
        [
          `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\nConnection: close\r\n\r\n`,
          big,
        ],
      ],
    ];
    for (const [what, chunks] of cases) {
      const res = await rawRequest(api.port, chunks);
      hostileTried += 1;
      expect({ what, status: res.status }).toEqual({ what, status: 413 });
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(res.body)).toMatchObject({
        success: false,
        error: { code: 'PAYLOAD_TOO_LARGE', details: [] },
      });
      expect(leaksIn(res.body)).toEqual([]);
    }
  });

  it('when a client sends its headers or body too slowly, then the server closes the connection (slowloris)', async () => {
    const start = ['GET /healthz HTTP/1.1\r\n', 'Host: x\r\n'];
    const dribble = Array.from({ length: 100 }, (_, i) => `X-Slow-${i}: y\r\n`);
    const slowHeaders = await rawRequest(api.port, [...start, ...dribble], { gapMs: 200, giveUpMs: 15_000 });
    const body = Array.from({ length: 100 }, () => 'a');
    const slowBody = await rawRequest(
      api.port,
      [
        'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n',
        ...body,
      ],
      { gapMs: 200, giveUpMs: 15_000 },
    );
    hostileTried += 2;
    summary(
      'slow clients',
      `slow headers closed after ${slowHeaders.closedAfterMs} ms (${slowHeaders.statusLine || 'no answer'}), slow body after ${slowBody.closedAfterMs} ms (${slowBody.statusLine || 'no answer'}); HTTP_HEADERS_TIMEOUT_MS=${HEADERS_TIMEOUT_MS}, HTTP_REQUEST_TIMEOUT_MS=${REQUEST_TIMEOUT_MS}`,
    );
    // Closed by the server long before the client would have finished (100 × 200 ms = 20 s).
    for (const r of [slowHeaders, slowBody]) {
      expect(r.closedAfterMs).toBeLessThan(15_000);
      expect([408, 400]).toContain(r.status ?? 408);
      if (r.status !== undefined) expect(r.headers['x-request-id']).toMatch(UUID_RE);
    }
    // And the server still serves everyone else.
    expect((await fetch(`${api.base}/healthz`)).status).toBe(200);
  });

  it('when X-Request-Id or Idempotency-Key carry CR/LF, control or over-long values, then they are never echoed raw; X-Request-Id is kept only when safe', async () => {
    const key = spare;
    const auth = `apiKey: ${key?.apiKey}\r\napiSecret: ${key?.apiSecret}\r\n`;
    const send = (extra: string): string[] => {
      const body = JSON.stringify({ type: 'text', phone: '919812345678', content: 'hi' });
      return [
        `POST /api/v1/public/messages/send HTTP/1.1\r\nHost: x\r\n${auth}${extra}Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      ];
    };
    const get = (extra: string): string[] => [
      `GET /healthz HTTP/1.1\r\nHost: x\r\n${extra}Connection: close\r\n\r\n`,
    ];
    const injected = 'Set-Cookie: injected=1';
    // [what, request, marker that must not come back, expected status, X-Request-Id rule]
    const cases: Array<[string, string[], string, number, 'kept' | 'replaced' | 'none']> = [
      ['CR inside X-Request-Id', get(`X-Request-Id: abc\r${injected}\r\n`), 'injected', 400, 'none'],
      ['LF inside X-Request-Id', get(`X-Request-Id: abc\n${injected}\r\n`), 'injected', 400, 'none'],
      ['NUL inside X-Request-Id', get('X-Request-Id: abc\x00def\r\n'), 'abc\x00def', 400, 'none'],
      [
        'X-Request-Id of 300 characters',
        get(`X-Request-Id: ${'r'.repeat(300)}\r\n`),
        'r'.repeat(300),
        200,
        'replaced',
      ],
      [
        'X-Request-Id with spaces and markup',
        get('X-Request-Id: <script>alert(1)</script> x\r\n'),
        '<script>',
        200,
        'replaced',
      ],
      [
        'X-Request-Id with quotes and slashes',
        get('X-Request-Id: ../../"etc"\r\n'),
        '../../"etc"',
        200,
        'replaced',
      ],
      ['X-Request-Id with non-ASCII bytes', get('X-Request-Id: r\xe9q\xffid\r\n'), 'r\xe9q', 200, 'replaced'],
      ['a safe X-Request-Id', get('X-Request-Id: req-123.abc:xyz_9\r\n'), '\u0000never', 200, 'kept'],
      ['CR inside Idempotency-Key', send(`Idempotency-Key: k\r${injected}\r\n`), 'injected', 400, 'none'],
      [
        'Idempotency-Key of 300 characters',
        send(`Idempotency-Key: ${'i'.repeat(300)}\r\n`),
        'i'.repeat(300),
        400,
        'replaced',
      ],
      [
        'Idempotency-Key with a tab and spaces',
        send('Idempotency-Key: a\tb c\r\n'),
        'a\tb c',
        400,
        'replaced',
      ],
      [
        'Idempotency-Key with non-ASCII bytes',
        send('Idempotency-Key: k\xe9y\r\n'),
        'k\xe9y',
        400,
        'replaced',
      ],
    ];
    for (const [what, chunks, marker, status, rule] of cases) {
      const res = await rawRequest(api.port, chunks);
      hostileTried += 1;
      expect({ what, status: res.status }).toEqual({ what, status });
      expect({ what, echoed: res.raw.includes(marker) }).toEqual({ what, echoed: false });
      expect({ what, cookie: res.headers['set-cookie'] }).toEqual({ what, cookie: undefined });
      if (status === 400)
        expect({ what, body: (JSON.parse(res.body) as { success?: boolean }).success }).toEqual({
          what,
          body: false,
        });
      const id = res.headers['x-request-id'];
      if (rule === 'kept') expect(id).toBe('req-123.abc:xyz_9');
      if (rule === 'replaced') expect({ what, id }).toEqual({ what, id: expect.stringMatching(UUID_RE) });
      if (res.status === 400 && res.body !== '')
        expect((JSON.parse(res.body) as { error: { requestId: string } }).error.requestId).toBe(id);
      expect(leaksIn(res.body)).toEqual([]);
    }
    summary(
      'hostile HTTP',
      `${hostileTried} oversized, slow and injected requests tried: none got a 500, none was echoed`,
    );
  });

  it("when it is over, then the API process's log holds none of the suite's secrets", async () => {
    await api.proc.stop();
    const hits = secretHits(api.proc.output, secrets);
    summary(
      'flood logs',
      `${secrets.size} secrets searched in the API process's output: ${hits.length} hits`,
    );
    expect(api.proc.output.join('')).toMatch(/"message":"request"/);
    expect(hits).toEqual([]);
  });
});
