import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SANDBOX_NUMBERS, startSandbox, type Sandbox } from '../src/index';
import { post, successOf, templateBody, textBody } from './helpers';

const SECRET = 'test-app-secret';

interface StatusEntry {
  id: string;
  status: string;
  pricing?: unknown;
  errors?: unknown;
}
interface Value {
  statuses?: StatusEntry[];
  contacts?: unknown[];
  messages?: Record<string, unknown>[];
  [key: string]: unknown;
}
interface Payload {
  object: string;
  entry: { id: string; changes: { field: string; value: Value }[] }[];
}

interface Received {
  raw: string;
  signature: string | undefined;
  signatureOk: boolean;
  contentType: string | undefined;
  json: Payload;
}

/** `entry[0].changes[0].value` of a received webhook. */
function valueOf(r: Received | undefined): Value {
  const value = r?.json.entry[0]?.changes[0]?.value;
  if (value === undefined) throw new Error('no entry[0].changes[0].value');
  return value;
}

/** A webhook receiver that records every body and answers from a script (then 200). */
class Receiver {
  readonly received: Received[] = [];
  /** Statuses to answer next, in order; 200 once empty. */
  script: number[] = [];
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const signature = req.headers['x-hub-signature-256'] as string | undefined;
      const expected = `sha256=${createHmac('sha256', SECRET).update(bytes).digest('hex')}`;
      const raw = bytes.toString('utf8');
      let json = { object: '', entry: [] } as Payload;
      try {
        json = JSON.parse(raw) as Payload;
      } catch {
        // recorded as raw only
      }
      this.received.push({
        raw,
        signature,
        signatureOk: signature === expected,
        contentType: req.headers['content-type'],
        json,
      });
      res.writeHead(this.script.shift() ?? 200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/v1/webhooks/meta`;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
  reset(): void {
    this.received.length = 0;
    this.script = [];
  }
  /** Status entries received for one wamid, in arrival order. */
  statusesOf(wamid: string): StatusEntry[] {
    return this.received
      .flatMap((r) => r.json.entry[0]?.changes[0]?.value.statuses ?? [])
      .filter((s) => s.id === wamid);
  }
}

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface AdminAnswer {
  status: number;
  json: { wamid?: string; error?: { error_data?: { details?: string } } } & Record<string, unknown>;
}

async function sandboxPost(sandbox: Sandbox, path: string, body: unknown): Promise<AdminAnswer> {
  const res = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as AdminAnswer['json'] };
}

/** The problems listed by a 400. */
function details(a: AdminAnswer): string {
  return a.json.error?.error_data?.details ?? '';
}

let receiver: Receiver;
let sandbox: Sandbox;

beforeAll(async () => {
  receiver = new Receiver();
  await receiver.start();
  sandbox = await startSandbox({
    webhook: { url: receiver.url, appSecret: SECRET, statusDelaysMs: [0, 0, 0] },
  });
});
afterAll(async () => {
  await sandbox.close();
  await receiver.stop();
});
beforeEach(async () => {
  // Nothing of the previous test still in flight.
  await waitFor(() => sandbox.webhookStats().pending === 0);
  receiver.reset();
  sandbox.setWebhook({ url: receiver.url, appSecret: SECRET, statusDelaysMs: [0, 0, 0] });
});

describe('status webhooks', () => {
  it('posts sent, delivered, read in order for an ordinary number, in Meta’s exact shape', async () => {
    const before = sandbox.webhookStats();
    const { wamid } = successOf(
      await post(sandbox, textBody('+1 650-555-1234', { biz_opaque_callback_data: 'msg_1' }), {
        phoneNumberId: '1098765432',
      }),
    );
    await waitFor(() => receiver.statusesOf(wamid).length === 3);
    await waitFor(() => sandbox.webhookStats().pending === 0);
    expect(receiver.statusesOf(wamid).map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    const first = receiver.received.find((r) => valueOf(r).statuses?.[0]?.id === wamid)!;
    expect(first.signatureOk).toBe(true);
    expect(first.contentType).toBe('application/json');
    expect(first.raw).toBe(JSON.stringify(first.json)); // compact
    expect(first.json).toEqual({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: expect.stringMatching(/^\d+$/),
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550001234', phone_number_id: '1098765432' },
                statuses: [
                  {
                    id: wamid,
                    status: 'sent',
                    timestamp: expect.stringMatching(/^\d{10}$/),
                    recipient_id: '16505551234',
                    biz_opaque_callback_data: 'msg_1',
                    pricing: {
                      billable: true,
                      pricing_model: 'PMP',
                      category: 'service',
                      type: 'free_customer_service',
                    },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    const after = sandbox.webhookStats();
    expect(after.posted - before.posted).toBe(3);
    expect(after.accepted - before.accepted).toBe(3);
    const info = (await (await fetch(`${sandbox.url}/_sandbox/webhooks`)).json()) as Record<string, unknown>;
    expect(info).toEqual({ url: receiver.url, statusDelaysMs: [0, 0, 0], stats: after });
    expect(JSON.stringify(info)).not.toContain(SECRET);
  });

  it('templates are priced utility/regular; no biz_opaque_callback_data when the send had none', async () => {
    const { wamid } = successOf(await post(sandbox, templateBody('16505551234')));
    await waitFor(() => receiver.statusesOf(wamid).length === 3);
    for (const s of receiver.statusesOf(wamid)) {
      expect(s.pricing).toEqual({
        billable: true,
        pricing_model: 'PMP',
        category: 'utility',
        type: 'regular',
      });
      expect(s).not.toHaveProperty('biz_opaque_callback_data');
    }
  });

  it('DELIVERED_NOT_READ: sent, delivered and never read', async () => {
    const { wamid } = successOf(await post(sandbox, textBody(SANDBOX_NUMBERS.DELIVERED_NOT_READ)));
    await waitFor(() => receiver.statusesOf(wamid).length === 2);
    await waitFor(() => sandbox.webhookStats().pending === 0);
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.statusesOf(wamid).map((s) => s.status)).toEqual(['sent', 'delivered']);
  });

  it('FAILED_AFTER_SENT: accepted with a wamid, then sent and failed with 131026 (no pricing)', async () => {
    const { wamid } = successOf(await post(sandbox, textBody(SANDBOX_NUMBERS.FAILED_AFTER_SENT)));
    await waitFor(() => receiver.statusesOf(wamid).length === 2);
    await waitFor(() => sandbox.webhookStats().pending === 0);
    await new Promise((r) => setTimeout(r, 100));
    const statuses = receiver.statusesOf(wamid);
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'failed']);
    expect(statuses[1]).not.toHaveProperty('pricing');
    expect(statuses[1]?.errors).toEqual([
      {
        code: 131026,
        title: 'Message undeliverable',
        message: 'Message undeliverable',
        error_data: { details: 'Message Undeliverable.' },
      },
    ]);
  });

  it('rejected sends get no status webhooks', async () => {
    const before = sandbox.webhookStats().posted;
    await post(sandbox, textBody(SANDBOX_NUMBERS.UNDELIVERABLE));
    const { wamid } = successOf(await post(sandbox, textBody('16505550000')));
    await waitFor(() => receiver.statusesOf(wamid).length === 3);
    expect(sandbox.webhookStats().posted - before).toBe(3);
  });

  it('signs the exact bytes with the app secret (a wrong secret does not verify)', async () => {
    sandbox.setWebhook({ url: receiver.url, appSecret: 'another-secret', statusDelaysMs: [0, 0, 0] });
    const { wamid } = successOf(await post(sandbox, textBody('16505551234')));
    await waitFor(() => receiver.statusesOf(wamid).length === 3);
    for (const r of receiver.received) {
      expect(r.signature).toBe(
        `sha256=${createHmac('sha256', 'another-secret').update(r.raw).digest('hex')}`,
      );
      expect(r.signatureOk).toBe(false);
    }
  });

  it('retries a webhook the receiver answers with 500, then it is accepted', async () => {
    receiver.script = [500];
    const before = sandbox.webhookStats();
    const { wamid } = successOf(await post(sandbox, textBody('16505551234')));
    await waitFor(() => receiver.statusesOf(wamid).length === 4);
    await waitFor(() => sandbox.webhookStats().pending === 0);
    const after = sandbox.webhookStats();
    expect(receiver.statusesOf(wamid).filter((s) => s.status === 'sent')).toHaveLength(2);
    expect(after.retries - before.retries).toBe(1);
    expect(after.posted - before.posted).toBe(4);
    expect(after.accepted - before.accepted).toBe(3);
    expect(after.gaveUp).toBe(before.gaveUp);
  });

  it('with no webhook set, nothing is posted', async () => {
    sandbox.setWebhook(undefined);
    const before = sandbox.webhookStats().posted;
    successOf(await post(sandbox, textBody('16505551234')));
    await new Promise((r) => setTimeout(r, 100));
    expect(sandbox.webhookStats().posted).toBe(before);
    expect(receiver.received).toHaveLength(0);
  });
});

describe('POST /_sandbox/inbound', () => {
  it('posts a signed inbound text with the contact and waits for the receiver’s answer', async () => {
    const a = await sandboxPost(sandbox, '/_sandbox/inbound', {
      phoneNumberId: '1098765432',
      from: '16505551234',
      name: 'Sheena Nelson',
      text: 'Does it come in another color?',
    });
    expect(a.status).toBe(200);
    expect(a.json).toEqual({ wamid: expect.stringMatching(/^wamid\./), webhookStatus: 200, retrying: false });
    expect(receiver.received).toHaveLength(1);
    const r = receiver.received[0]!;
    expect(r.signatureOk).toBe(true);
    expect(r.json.object).toBe('whatsapp_business_account');
    expect(r.json.entry[0]?.changes[0]?.field).toBe('messages');
    expect(valueOf(r)).toEqual({
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550001234', phone_number_id: '1098765432' },
      contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
      messages: [
        {
          from: '16505551234',
          id: a.json.wamid,
          timestamp: expect.stringMatching(/^\d{10}$/),
          type: 'text',
          text: { body: 'Does it come in another color?' },
        },
      ],
    });
  });

  it('posts media and replies as given, with the context of the message replied to', async () => {
    const image = { id: 'media-1', mime_type: 'image/jpeg', sha256: 'abc', caption: 'look' };
    const a = await sandboxPost(sandbox, '/_sandbox/inbound', {
      phoneNumberId: '1098765432',
      from: '447700900123',
      message: { type: 'image', image, context: { id: 'wamid.ours' } },
    });
    expect(a.status).toBe(200);
    const value = valueOf(receiver.received[0]);
    expect(value.contacts).toEqual([{ wa_id: '447700900123' }]);
    expect(value.messages?.[0]).toEqual({
      context: { from: '15550001234', id: 'wamid.ours' },
      from: '447700900123',
      id: a.json.wamid,
      timestamp: expect.any(String),
      type: 'image',
      image,
    });
    const reaction = await sandboxPost(sandbox, '/_sandbox/inbound', {
      phoneNumberId: '1098765432',
      from: '447700900123',
      message: { type: 'reaction', reaction: { message_id: 'wamid.ours', emoji: '👍' } },
    });
    expect(reaction.status).toBe(200);
    expect(valueOf(receiver.received[1]).messages?.[0]?.['reaction']).toEqual({
      message_id: 'wamid.ours',
      emoji: '👍',
    });
    expect(receiver.received[1]!.signatureOk).toBe(true);
  });

  it('says so when the receiver does not answer 200, and retries in the background', async () => {
    receiver.script = [503];
    const before = sandbox.webhookStats();
    const a = await sandboxPost(sandbox, '/_sandbox/inbound', {
      phoneNumberId: '1098765432',
      from: '16505551234',
      text: 'hi',
    });
    expect(a.json).toMatchObject({ webhookStatus: 503, retrying: true });
    await waitFor(() => receiver.received.length === 2);
    await waitFor(() => sandbox.webhookStats().pending === 0);
    expect(receiver.received[1]!.raw).toBe(receiver.received[0]!.raw);
    expect(sandbox.webhookStats().retries - before.retries).toBe(1);
  });

  it('400 listing every problem of a bad body', async () => {
    const a = await sandboxPost(sandbox, '/_sandbox/inbound', { from: '12', text: '', extra: 1 });
    expect(a.status).toBe(400);
    for (const word of ['phoneNumberId', 'from', 'text', 'extra']) expect(details(a)).toContain(word);
    const b = await sandboxPost(sandbox, '/_sandbox/inbound', {
      phoneNumberId: '1',
      from: '16505551234',
      message: { type: 'image', id: 'x' },
    });
    expect(b.status).toBe(400);
    expect(details(b)).toContain('message.image');
    expect(details(b)).toContain('message.id');
    const c = await sandboxPost(sandbox, '/_sandbox/inbound', 'not json');
    expect(c.status).toBe(400);
    const d = await sandboxPost(sandbox, '/_sandbox/inbound', { phoneNumberId: '1', from: '16505551234' });
    expect(d.status).toBe(400);
    expect(receiver.received).toHaveLength(0);
  });

  it('409 without a webhook set', async () => {
    sandbox.setWebhook(undefined);
    const body = { phoneNumberId: '1', from: '16505551234', text: 'hi' };
    const a = await sandboxPost(sandbox, '/_sandbox/inbound', body);
    expect(a.status).toBe(409);
    expect(a.json).toEqual({ error: 'no webhook URL set (SANDBOX_WEBHOOK_URL)' });
    expect((await sandboxPost(sandbox, '/_sandbox/templates/status', {})).status).toBe(409);
    expect((await sandboxPost(sandbox, '/_sandbox/webhook', {})).status).toBe(409);
    const info = (await (await fetch(`${sandbox.url}/_sandbox/webhooks`)).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ url: null, statusDelaysMs: null, stats: { pending: 0 } });
  });
});

describe('POST /_sandbox/templates/status and /_sandbox/webhook', () => {
  it('posts a message_template_status_update', async () => {
    const a = await sandboxPost(sandbox, '/_sandbox/templates/status', {
      wabaId: '1234567890',
      templateName: 'order_update',
      language: 'en_US',
      status: 'REJECTED',
      reason: 'INVALID_FORMAT',
      templateId: '1689556908129832',
    });
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ webhookStatus: 200, retrying: false });
    const r = receiver.received[0]!;
    expect(r.signatureOk).toBe(true);
    expect(r.json).toEqual({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '1234567890',
          time: expect.any(Number),
          changes: [
            {
              field: 'message_template_status_update',
              value: {
                event: 'REJECTED',
                message_template_id: 1689556908129832,
                message_template_name: 'order_update',
                message_template_language: 'en_US',
                reason: 'INVALID_FORMAT',
              },
            },
          ],
        },
      ],
    });
    const b = await sandboxPost(sandbox, '/_sandbox/templates/status', {
      wabaId: '1234567890',
      templateName: 'order_update',
      language: 'en_US',
      status: 'APPROVED',
    });
    expect(b.status).toBe(200);
    const value = valueOf(receiver.received[1]);
    expect(value).toMatchObject({ event: 'APPROVED', reason: 'NONE' });
    expect(typeof value['message_template_id']).toBe('number');
    const bad = await sandboxPost(sandbox, '/_sandbox/templates/status', { wabaId: '1', status: 'approved' });
    expect(bad.status).toBe(400);
    for (const word of ['templateName', 'language', 'status']) {
      expect(details(bad)).toContain(word);
    }
  });

  it('/webhook signs and posts any JSON body byte for byte', async () => {
    const raw =
      '{"object":"whatsapp_business_account",  "entry":[{"id":"1","changes":[{"field":"messages","value":{"x":"é"}}]}]}';
    const a = await sandboxPost(sandbox, '/_sandbox/webhook', raw);
    expect(a.status).toBe(200);
    expect(a.json).toEqual({ webhookStatus: 200, retrying: false });
    expect(receiver.received[0]!.raw).toBe(raw);
    expect(receiver.received[0]!.signatureOk).toBe(true);
    expect((await sandboxPost(sandbox, '/_sandbox/webhook', '{nope')).status).toBe(400);
  });
});

describe('close()', () => {
  it('cancels pending webhooks', async () => {
    const r = new Receiver();
    await r.start();
    const s = await startSandbox({
      webhook: { url: r.url, appSecret: SECRET, statusDelaysMs: [0, 60_000, 60_000] },
    });
    r.script = [500, 500, 500];
    for (let i = 0; i < 3; i++) successOf(await post(s, textBody('16505551234')));
    await waitFor(() => s.webhookStats().retries >= 3);
    expect(s.webhookStats().pending).toBeGreaterThan(0);
    await s.close();
    expect(s.webhookStats().pending).toBe(0);
    const seen = r.received.length;
    await new Promise((res) => setTimeout(res, 600));
    expect(r.received.length).toBe(seen);
    await r.stop();
  });
});
