/**
 * Meta's intake under hostile input (docs/contracts.md §9, §2.4): 300 requests that must never be
 * stored (401/400/413 with the JSON error envelope, never a 5xx), then 100 well-signed but absurd
 * bodies that must be 200, stored and processed (or skipped) by the worker, after which the stack
 * still applies a normal status. Logs never carry the secrets, message texts or full phone numbers.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { signMetaBody, verifyMetaSignature } from '@flowgate/core';
import { metaMessagesChange, REPO_ROOT, startStack, type Stack } from '@flowgate/testing';

jest.setTimeout(600_000);

const APP_SECRET = 'meta-app-secret-hostile-0123456789abcdef';
const VERIFY_TOKEN = 'verify-token-hostile-tests-42';
const INTAKE = '/api/v1/webhooks/meta';
const MARKER = `hostile-${randomUUID()}`;
const CUSTOMER = '919812345670';
const MESSAGE_TEXT = `Your parcel ${randomUUID().slice(0, 8)} has shipped.`;
const FOUR_MIB = 4 * 1024 * 1024;

type Partner = Awaited<ReturnType<Stack['partner']>> & { providerId: string };

const secs = (offset = 0): string => String(Math.floor(Date.now() / 1000) + offset);

const messagesChange = (providerId: unknown, value: Record<string, unknown>) =>
  metaMessagesChange(providerId, value, { marker: MARKER });

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: unknown;
}

interface HostileCase {
  kind: string;
  body: Buffer;
  headers: Record<string, string | string[]>;
  status: number;
  code: string;
}

describe("Meta's intake under hostile input (docs/contracts.md §9)", () => {
  let s: Stack;
  let p: Partner;

  let server: http.Server;
  let port = 0;

  /** Posts the exact bytes with the exact headers (repeated ones as separate lines). */
  const postRaw = (body: Buffer | string, headers: Record<string, string | string[]>): Promise<RawResponse> =>
    new Promise((resolve, reject) => {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', path: INTAKE, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = undefined;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
          });
        },
      );
      for (const [k, v] of Object.entries(headers)) req.setHeader(k, v);
      req.setHeader('content-length', String(bytes.length));
      req.on('error', reject);
      req.end(bytes);
    });

  const post = (body: unknown) => {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    return postRaw(raw, {
      'content-type': 'application/json',
      'x-hub-signature-256': signMetaBody(raw, APP_SECRET),
    });
  };

  const until = async <T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (ok(v) || Date.now() > deadline) return v;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const markerRows = async (): Promise<
    Array<{ id: string; processed_at: Date | null; outcome: string | null; detail: string | null }>
  > =>
    (
      await s.db.raw<{
        rows: Array<{ id: string; processed_at: Date | null; outcome: string | null; detail: string | null }>;
      }>(
        `SELECT id::text AS id, processed_at, outcome, detail FROM meta_webhooks
          WHERE position(convert_to(?, 'UTF8') in body) > 0`,
        [MARKER],
      )
    ).rows;

  beforeAll(async () => {
    s = await startStack({
      META_APP_SECRET: APP_SECRET,
      META_WEBHOOK_VERIFY_TOKEN: VERIFY_TOKEN,
      DISPATCH_PAIR_BURST: '1000',
    });
    const base = await s.partner();
    const row = await s
      .db('phone_numbers')
      .where({ id: base.phoneNumberIds[0] })
      .first<{ provider_phone_number_id: string }>();
    if (!row) throw new Error('no number');
    p = { ...base, providerId: row.provider_phone_number_id };
    server = http.createServer(s.api.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    // The customer wrote first: the number is connected and the window open.
    const hi = await post({
      ...messagesChange(p.providerId, {
        contacts: [{ profile: { name: 'C' }, wa_id: CUSTOMER }],
        messages: [
          {
            from: CUSTOMER,
            id: `wamid.${randomUUID()}`,
            timestamp: secs(),
            type: 'text',
            text: { body: 'hi' },
          },
        ],
      }),
      marker: 'setup',
    });
    expect(hi.status).toBe(200);
    await until(
      () => s.db('conversations').where({ phone_number_id: p.phoneNumberIds[0] }),
      (rows: unknown[]) => rows.length === 1,
    );
  });
  afterAll(async () => {
    // The 10,000 unknown wamids wait as pending statuses (kept for days): ours, removed.
    await s.db('meta_pending_statuses').where('wamid', 'like', `wamid.unknown.${MARKER}.%`).delete();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await s.close();
  });

  it('verifyMetaSignature: false for a different length or a wrong digest, true for the right one', () => {
    const body = Buffer.from('{"a":1}');
    const right = signMetaBody(body, APP_SECRET);
    expect(verifyMetaSignature(body, right, APP_SECRET)).toBe(true);
    expect(verifyMetaSignature(body, right.slice(0, -2), APP_SECRET)).toBe(false);
    expect(verifyMetaSignature(body, `${right}00`, APP_SECRET)).toBe(false);
    expect(verifyMetaSignature(body, `sha256=${'ab'.repeat(16)}`, APP_SECRET)).toBe(false);
    expect(verifyMetaSignature(body, signMetaBody(body, 'other'), APP_SECRET)).toBe(false);
    expect(verifyMetaSignature(body, undefined, APP_SECRET)).toBe(false);
    expect(verifyMetaSignature(body, '', APP_SECRET)).toBe(false);
  });

  it('compares in constant time (timingSafeEqual, no string === on the signatures)', () => {
    const src = readFileSync(path.join(REPO_ROOT, 'packages/core/src/meta-events/meta-signature.ts'), 'utf8');
    const code = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    expect(code).toMatch(/timingSafeEqual\(/);
    // The only === allowed compares lengths or undefined, never the signature text or digests.
    const strictEqs = code.match(/[^\s=!]+\s*[!=]==\s*[^\s;)&|]+/g) ?? [];
    for (const eq of strictEqs) expect(eq).toMatch(/length|undefined|null/);
    expect(code).not.toMatch(
      /(given|expected|header|match\[1\]|digest\([^)]*\))\s*[!=]==?\s*(given|expected|header|digest)/,
    );
  });

  it('300 hostile requests: each 401/400/413 with the error envelope, never a 5xx, nothing stored', async () => {
    const json = (i: number): string =>
      JSON.stringify(messagesChange(p.providerId, { statuses: [], n: i, marker: MARKER }));
    const sig = (body: Buffer | string, secret = APP_SECRET): string => signMetaBody(body, secret);
    const ct = { 'content-type': 'application/json' };
    const kinds: Array<(i: number) => HostileCase> = [
      (i) => ({
        kind: 'unsigned',
        body: Buffer.from(json(i)),
        headers: ct,
        status: 401,
        code: 'INVALID_SIGNATURE',
      }),
      (i) => ({
        kind: 'other secret',
        body: Buffer.from(json(i)),
        headers: { ...ct, 'x-hub-signature-256': sig(json(i), 'another-secret') },
        status: 401,
        code: 'INVALID_SIGNATURE',
      }),
      (i) => ({
        kind: 'truncated hex',
        body: Buffer.from(json(i)),
        headers: { ...ct, 'x-hub-signature-256': sig(json(i)).slice(0, 7 + (i % 64)) },
        status: 401,
        code: 'INVALID_SIGNATURE',
      }),
      (i) => ({
        kind: 'sha1=',
        body: Buffer.from(json(i)),
        headers: {
          ...ct,
          'x-hub-signature-256': `sha1=${createHmac('sha1', APP_SECRET).update(json(i)).digest('hex')}`,
        },
        status: 401,
        code: 'INVALID_SIGNATURE',
      }),
      (i) => ({
        kind: 'uppercase garbage',
        body: Buffer.from(json(i)),
        headers: { ...ct, 'x-hub-signature-256': `SHA256=${'ZQ'.repeat(32)}` },
        status: 401,
        code: 'INVALID_SIGNATURE',
      }),
      (i) => ({
        kind: 'non-hex of the right length',
        body: Buffer.from(json(i)),
        headers: { ...ct, 'x-hub-signature-256': `sha256=${'g'.repeat(64)}` },
        status: 401,
        code: 'INVALID_SIGNATURE',
      }),
      (i) => ({
        kind: 'header repeated',
        body: Buffer.from(json(i)),
        headers: { ...ct, 'x-hub-signature-256': [sig(json(i)), sig(json(i))] },
        status: 401,
        code: 'INVALID_SIGNATURE',
      }),
      (i) => ({
        kind: 'header repeated, wrong first',
        body: Buffer.from(json(i)),
        headers: { ...ct, 'x-hub-signature-256': [sig(json(i), 'x'), sig(json(i))] },
        status: 401,
        code: 'INVALID_SIGNATURE',
      }),
      (i) => ({
        kind: 'empty sha256=',
        body: Buffer.from(json(i)),
        headers: { ...ct, 'x-hub-signature-256': 'sha256=' },
        status: 401,
        code: 'INVALID_SIGNATURE',
      }),
      (i) => ({
        kind: 'signature in the old header only',
        body: Buffer.from(json(i)),
        headers: {
          ...ct,
          'x-hub-signature': `sha1=${createHmac('sha1', APP_SECRET).update(json(i)).digest('hex')}`,
        },
        status: 401,
        code: 'INVALID_SIGNATURE',
      }),
      (i) => {
        const full = json(i);
        return {
          kind: 'truncated body',
          body: Buffer.from(full.slice(0, Math.max(1, Math.floor(full.length * ((i % 9) + 1) * 0.1)))),
          headers: { ...ct, 'x-hub-signature-256': sig(full) },
          status: 401,
          code: 'INVALID_SIGNATURE',
        };
      },
      (i) => {
        const full = json(i);
        return {
          kind: 'tampered body',
          body: Buffer.from(full.replace('"statuses":[]', '"statuses":[{}]')),
          headers: { ...ct, 'x-hub-signature-256': sig(full) },
          status: 401,
          code: 'INVALID_SIGNATURE',
        };
      },
      (i) => {
        const raw = `not json ${MARKER} ${i}`;
        return {
          kind: 'non-JSON signed',
          body: Buffer.from(raw),
          headers: { ...ct, 'x-hub-signature-256': sig(raw) },
          status: 400,
          code: 'MALFORMED_JSON',
        };
      },
      (i) => {
        const raw = `{"marker":"${MARKER}","n":${i},`;
        return {
          kind: 'cut JSON signed',
          body: Buffer.from(raw),
          headers: { ...ct, 'x-hub-signature-256': sig(raw) },
          status: 400,
          code: 'MALFORMED_JSON',
        };
      },
      (i) => {
        const raw = `{'marker': '${MARKER}', n: ${i}, x: NaN}`;
        return {
          kind: 'JS-not-JSON signed',
          body: Buffer.from(raw),
          headers: { ...ct, 'x-hub-signature-256': sig(raw) },
          status: 400,
          code: 'MALFORMED_JSON',
        };
      },
      (i) => {
        const depth = 5000;
        const raw = `${'['.repeat(depth)}"${MARKER}",${i}${']'.repeat(depth)}`;
        return {
          kind: 'nested 5000 signed',
          body: Buffer.from(raw),
          headers: { ...ct, 'x-hub-signature-256': sig(raw) },
          status: 400,
          code: 'VALIDATION_FAILED',
        };
      },
      (i) => {
        let v = `{"marker":"${MARKER}","n":${i}}`;
        for (let d = 0; d < 40; d += 1) v = `{"a":${v}}`;
        return {
          kind: 'nested 40 objects signed',
          body: Buffer.from(v),
          headers: { ...ct, 'x-hub-signature-256': sig(v) },
          status: 400,
          code: 'VALIDATION_FAILED',
        };
      },
      (i) => {
        const raw = `${'['.repeat(100_000)}"${MARKER}",${i}`;
        return {
          kind: 'unbalanced 100000 [ signed',
          body: Buffer.from(raw),
          headers: { ...ct, 'x-hub-signature-256': sig(raw) },
          status: 400,
          code: 'MALFORMED_JSON',
        };
      },
      (i) => ({
        kind: 'text/plain unsigned',
        body: Buffer.from(json(i)),
        headers: { 'content-type': 'text/plain' },
        status: 401,
        code: 'INVALID_SIGNATURE',
      }),
      (i) => ({
        kind: 'form unsigned',
        body: Buffer.from(`marker=${MARKER}&n=${i}`),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-hub-signature-256': sig('something else'),
        },
        status: 401,
        code: 'INVALID_SIGNATURE',
      }),
      (i) => {
        const raw = `--b\r\ncontent-disposition: form-data; name="m"\r\n\r\n${MARKER}${i}\r\n--b--\r\n`;
        return {
          kind: 'multipart signed',
          body: Buffer.from(raw),
          headers: { 'content-type': 'multipart/form-data; boundary=b', 'x-hub-signature-256': sig(raw) },
          status: 400,
          code: 'MALFORMED_JSON',
        };
      },
      (i) => {
        const raw = `<?xml version="1.0"?><m>${MARKER}${i}</m>`;
        return {
          kind: 'xml signed',
          body: Buffer.from(raw),
          headers: { 'content-type': 'application/xml', 'x-hub-signature-256': sig(raw) },
          status: 400,
          code: 'MALFORMED_JSON',
        };
      },
      () => ({
        kind: 'empty unsigned',
        body: Buffer.alloc(0),
        headers: ct,
        status: 401,
        code: 'INVALID_SIGNATURE',
      }),
      () => ({
        kind: 'empty signed',
        body: Buffer.alloc(0),
        headers: { ...ct, 'x-hub-signature-256': sig('') },
        status: 400,
        code: 'MALFORMED_JSON',
      }),
      () => ({
        kind: 'empty signed, no content type',
        body: Buffer.alloc(0),
        headers: { 'x-hub-signature-256': sig('') },
        status: 400,
        code: 'MALFORMED_JSON',
      }),
      (i) => {
        const raw = `   \n\t ${i}`.replace(String(i), '');
        return {
          kind: 'whitespace signed',
          body: Buffer.from(raw),
          headers: { ...ct, 'x-hub-signature-256': sig(raw) },
          status: 400,
          code: 'MALFORMED_JSON',
        };
      },
    ];
    const oversized = (i: number, signed: boolean): HostileCase => {
      const raw = Buffer.alloc(FOUR_MIB + 1 + i, 0x20);
      raw.write(`{"marker":"${MARKER}","pad":"`, 0);
      raw.write('"}', raw.length - 2);
      return {
        kind: signed ? 'oversized signed' : 'oversized unsigned',
        body: raw,
        headers: signed ? { ...ct, 'x-hub-signature-256': sig(raw) } : ct,
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      };
    };
    const cases: HostileCase[] = [];
    for (let i = 0; i < 3; i += 1) cases.push(oversized(i, true), oversized(i, false));
    for (let i = 0; cases.length < 300; i += 1)
      cases.push((kinds[i % kinds.length] as (n: number) => HostileCase)(i));
    expect(cases).toHaveLength(300);

    const requestIds: string[] = [];
    const failures: string[] = [];
    const started = Date.now();
    for (const c of cases) {
      let res: RawResponse;
      try {
        res = await postRaw(c.body, c.headers);
      } catch (err) {
        failures.push(`${c.kind}: request error ${String(err)}`);
        continue;
      }
      const rid = res.headers['x-request-id'];
      if (typeof rid === 'string') requestIds.push(rid);
      else failures.push(`${c.kind}: no X-Request-Id`);
      const body = res.body as { success?: unknown; error?: { code?: unknown; message?: unknown } };
      if (res.status !== c.status || body.success !== false || body.error?.code !== c.code)
        failures.push(`${c.kind}: ${res.status} ${res.text.slice(0, 200)} (expected ${c.status} ${c.code})`);
      if (res.status >= 500) failures.push(`${c.kind}: 5xx ${res.status}`);
      if (!/^application\/json/.test(String(res.headers['content-type'])))
        failures.push(`${c.kind}: content-type ${String(res.headers['content-type'])}`);
    }
    console.log(`300 hostile requests in ${Date.now() - started} ms`);
    expect(failures).toEqual([]);
    expect(await markerRows()).toEqual([]);
    const stored = await s
      .db('meta_webhooks')
      .whereIn('request_id', requestIds)
      .count<[{ count: string }]>('* as count');
    expect(Number(stored[0]?.count)).toBe(0);
    for (const proc of s.dispatchers) expect(proc.child.exitCode).toBeNull();
  });

  it('100 well-signed absurd bodies: 200, stored, processed or skipped; the stack still works; logs are clean', async () => {
    const before = await markerRows();
    expect(before).toEqual([]);
    const junk = 'ƒ😀\u202e\u200b\ufeff𝕏 ☃ \\ " \u0001\u001f ⁧ܐ ‮';
    const unknownNumber = `9${Math.floor(Math.random() * 1e14)}`;
    const status = (wamid: string, st: unknown, extra: Record<string, unknown> = {}) => ({
      id: wamid,
      status: st,
      timestamp: secs(),
      recipient_id: CUSTOMER,
      ...extra,
    });
    const absurd: Array<(i: number) => unknown> = [
      (i) => ({ object: 1, entry: [{ id: {}, changes: [{ field: 7, value: [] }] }], marker: MARKER, i }),
      (i) => ({ object: 'whatsapp_business_account', entry: [{ changes: [{}] }], marker: MARKER, i }),
      (i) => ({ marker: MARKER, i }),
      (i) => [MARKER, i, null, true],
      (i) => `${MARKER}-${i}`,
      (i) => ({ object: 'whatsapp_business_account', entry: `not an array ${i}`, marker: MARKER }),
      (i) => ({ object: 'whatsapp_business_account', entry: { 0: { changes: [] } }, marker: MARKER, i }),
      (i) => ({ object: 'whatsapp_business_account', entry: [null, 1, 'x', [], {}], marker: MARKER, i }),
      (i) => messagesChange(unknownNumber, { statuses: [status(`wamid.${randomUUID()}`, 'read')], i }),
      (i) =>
        messagesChange(p.providerId, {
          statuses: [
            status(`wamid.${randomUUID()}`, 'delivered'),
            status(`wamid.${randomUUID()}`, 'read'),
            status(`wamid.${randomUUID()}`, 'failed', { errors: [{ code: 131026, title: junk }] }),
          ],
          i,
        }),
      (i) =>
        messagesChange(Number(p.providerId), {
          statuses: [{ id: 5, status: 5, timestamp: 5, recipient_id: 5 }],
          i,
        }),
      (i) =>
        messagesChange(p.providerId, {
          statuses: [status(`wamid.${i}`, 'delivered', { timestamp: Number(secs()) })],
          i,
        }),
      (i) =>
        messagesChange(p.providerId, {
          statuses: [status(`wamid.${i}`, 'READ'), status(`wamid.${i}`, 'deleted'), status('', 'read')],
        }),
      (i) =>
        messagesChange(p.providerId, {
          statuses: [status(`wamid.${randomUUID()}`, 'failed', { errors: [{ code: 'abc', title: 5 }] })],
          i,
        }),
      (i) =>
        messagesChange(p.providerId, {
          statuses: [
            status(`wamid.${randomUUID()}`, 'delivered', {
              biz_opaque_callback_data: `not-a-uuid-${i}`,
              pricing: { billable: 'yes', category: 7 },
            }),
          ],
        }),
      (i) =>
        messagesChange(p.providerId, {
          statuses: [
            status(`wamid.${randomUUID()}`, 'delivered', { biz_opaque_callback_data: randomUUID() }),
          ],
          i,
        }),
      (i) =>
        messagesChange(p.providerId, {
          statuses: [status(`wamid.${randomUUID()}`, 'sent', { timestamp: '99999999999' })],
          i,
        }),
      (i) =>
        messagesChange(p.providerId, {
          statuses: [
            status(`wamid.${randomUUID()}`, 'read', { timestamp: '-1' }),
            status('x', 'read', { timestamp: '1e9' }),
          ],
          i,
        }),
      (i) => messagesChange(p.providerId, { statuses: 'many', messages: { a: 1 }, contacts: 7, i }),
      (i) => messagesChange(p.providerId, { statuses: [null, 1, 'x', [], {}], i }),
      (i) =>
        messagesChange(p.providerId, {
          contacts: [{ profile: { name: junk }, wa_id: `${CUSTOMER}` }],
          messages: [
            { from: CUSTOMER, id: `wamid.${randomUUID()}`, timestamp: secs(), type: 'text', text: 5 },
          ],
          i,
        }),
      (i) =>
        messagesChange(p.providerId, {
          messages: [
            {
              from: CUSTOMER,
              id: `wamid.${randomUUID()}`,
              timestamp: secs(),
              type: 'hologram',
              hologram: { x: i },
            },
          ],
        }),
      (i) =>
        messagesChange(p.providerId, {
          contacts: [{ profile: { name: junk }, wa_id: CUSTOMER }],
          messages: [
            {
              from: CUSTOMER,
              id: `wamid.${randomUUID()}`,
              timestamp: secs(),
              type: 'text',
              text: { body: `${junk} ${i}` },
            },
          ],
        }),
      (i) =>
        messagesChange(p.providerId, {
          messages: [{ from: null, id: 7, timestamp: 'yesterday', type: '' }, { i }],
        }),
      (i) => ({
        object: 'whatsapp_business_account',
        marker: MARKER,
        entry: [
          { id: 7, time: 'now', changes: [{ field: 'message_template_status_update', value: { event: i } }] },
        ],
      }),
      (i) => ({
        object: 'whatsapp_business_account',
        marker: MARKER,
        entry: [
          {
            id: `${i}`,
            changes: [
              { field: 'x'.repeat(100), value: {} },
              { field: junk, value: { junk } },
            ],
          },
        ],
      }),
      (i) => ({ [junk]: junk, marker: MARKER, i, nested: { a: [[[[[[[[[[junk]]]]]]]]]] } }),
      (i) => messagesChange(p.providerId, { statuses: [{ type: 'payment', status: 'captured', i }] }),
      (i) =>
        messagesChange(p.providerId, {
          statuses: [status(`wamid.${randomUUID()}`, 'read', { recipient_id: 'x'.repeat(10_000) })],
          i,
        }),
      (i) => ({ ...messagesChange(p.providerId, { statuses: [] }), entry: [{ id: '1', changes: 'x', i }] }),
      (i) => messagesChange(p.providerId, { metadata: null, statuses: [], i }),
      (i) => messagesChange(null, { statuses: [status('x', 'read')], i }),
      (i) => messagesChange('', { i }),
      // NUL and lone surrogates: valid JSON, but not storable as PostgreSQL jsonb text.
      (i) =>
        messagesChange(p.providerId, {
          statuses: [status(`wamid.${randomUUID()}`, 'delivered', { recipient_id: `nul\u0000${i}` })],
        }),
      (i) =>
        messagesChange(p.providerId, {
          contacts: [{ profile: { name: `\ud800 ${i}` }, wa_id: CUSTOMER }],
          messages: [
            {
              from: CUSTOMER,
              id: `wamid.${randomUUID()}`,
              timestamp: secs(),
              type: 'text',
              text: { body: `a\u0000b \udfff ${i}` },
            },
          ],
        }),
    ];
    const bodies: unknown[] = [];
    for (let i = 0; bodies.length < 99; i += 1)
      bodies.push((absurd[i % absurd.length] as (n: number) => unknown)(i));
    // one body with 10,000 statuses for unknown wamids of our number
    bodies.push(
      messagesChange(p.providerId, {
        statuses: Array.from({ length: 10_000 }, (_, k) =>
          status(`wamid.unknown.${MARKER}.${k}`, ['sent', 'delivered', 'read', 'failed'][k % 4]),
        ),
      }),
    );
    const started = Date.now();
    const bad: string[] = [];
    for (const [i, b] of bodies.entries()) {
      const raw = typeof b === 'string' ? JSON.stringify(b) : JSON.stringify(b);
      expect(raw).toContain(MARKER);
      const res = await post(raw);
      if (res.status !== 200 || JSON.stringify(res.body) !== '{"success":true,"data":{"received":true}}')
        bad.push(`#${i}: ${res.status} ${res.text.slice(0, 200)}`);
    }
    expect(bad).toEqual([]);
    const rows = await until(
      () => markerRows(),
      (r) => r.length === 100 && r.every((x) => x.processed_at !== null),
      90_000,
    );
    console.log(`100 absurd bodies stored and processed in ${Date.now() - started} ms`);
    expect(rows).toHaveLength(100);
    const unprocessed = rows.filter((r) => r.processed_at === null);
    if (unprocessed.length > 0)
      console.log(
        'unprocessed meta_webhooks; the workers say:\n' +
          s.dispatchers
            .flatMap((d) => d.output.join('').split('\n'))
            .filter((l) => l.includes('meta webhook processing failed'))
            .slice(0, 2)
            .join('\n')
            .slice(0, 3000),
      );
    expect(unprocessed.map((r) => r.id)).toEqual([]);
    for (const r of rows) expect(['processed', 'skipped']).toContain(r.outcome);

    // The stack still works: a normal send, SENT, and a signed delivered status is applied.
    const id = await s.send(p.headers, { type: 'text', phone: CUSTOMER, content: MESSAGE_TEXT });
    const final = await s.waitForFinal([id]);
    const wamid = final.get(id)?.provider_message_id;
    expect(final.get(id)?.status).toBe('SENT');
    if (!wamid) throw new Error('no wamid');
    const ok = await post(
      messagesChange(p.providerId, {
        statuses: [
          {
            id: wamid,
            status: 'delivered',
            timestamp: secs(),
            recipient_id: CUSTOMER,
            biz_opaque_callback_data: id,
          },
        ],
      }),
    );
    expect(ok.status).toBe(200);
    const view = await until(
      async () =>
        (await request(s.api.app).get(`/api/v1/public/messages/${id}`).set(p.headers)).body as {
          data?: { status?: string };
        },
      (b) => b.data?.status === 'DELIVERED',
    );
    expect(view.data?.status).toBe('DELIVERED');
    for (const proc of s.dispatchers) expect(proc.child.exitCode).toBeNull();

    // Logs: no secret, no verify token, no message text, no full phone number.
    const apiLogs = s.api.logs.join('\n');
    const dispatcherLogs = s.dispatchers.map((d) => d.output.join('')).join('\n');
    expect(apiLogs.length).toBeGreaterThan(0);
    for (const [name, logs] of [
      ['api', apiLogs],
      ['dispatcher', dispatcherLogs],
    ] as const) {
      for (const secret of [APP_SECRET, VERIFY_TOKEN, MESSAGE_TEXT, CUSTOMER, `+${CUSTOMER}`])
        expect({ name, leaked: logs.includes(secret) ? secret : null }).toEqual({ name, leaked: null });
    }
  });
});
