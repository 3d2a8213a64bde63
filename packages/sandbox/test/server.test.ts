import { startSandbox, type Sandbox, type SandboxCall, SANDBOX_TOKENS } from '../src/index';
import { CallLog, type StoredCall } from '../src/call-log';
import { metaError, post, successOf, templateBody, textBody } from './helpers';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => sandbox.reset());

describe('sandbox server', () => {
  it('listens on an ephemeral port and answers /healthz', async () => {
    expect(sandbox.port).toBeGreaterThan(0);
    expect(sandbox.url).toBe(`http://127.0.0.1:${sandbox.port}`);
    const res = await fetch(`${sandbox.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers like Meta on success, with unique wamids', async () => {
    const a = await post(sandbox, textBody('+1 650-555-1234'));
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toMatch(/^application\/json/);
    expect(a.json).toEqual({
      messaging_product: 'whatsapp',
      contacts: [{ input: '+1 650-555-1234', wa_id: '16505551234' }],
      messages: [{ id: expect.stringMatching(/^wamid\.[A-Za-z0-9_-]{20,}$/) as unknown }],
    });
    const b = successOf(await post(sandbox, textBody('16505551234')));
    expect(b.wamid).not.toBe(successOf(a).wamid);
    expect(b.messageStatus).toBeUndefined();
  });

  it('adds message_status accepted for templates', async () => {
    const s = successOf(await post(sandbox, templateBody('16505551234')));
    expect(s.messageStatus).toBe('accepted');
  });

  it('accepts the path without a version, as Meta does', async () => {
    const a = await post(sandbox, textBody('16505551234'), { version: null, phoneNumberId: '555' });
    expect(a.status).toBe(200);
    expect(sandbox.calls()[0]).toMatchObject({ phoneNumberId: '555', version: '' });
  });

  it('requires a Bearer token (401, code 190)', async () => {
    for (const token of [null, '', '   ']) {
      const a = await post(sandbox, textBody('16505551234'), { token });
      expect(a.status).toBe(401);
      expect(metaError(a)).toMatchObject({ code: 190, type: 'OAuthException' });
    }
    const expired = await post(sandbox, textBody('16505551234'), { token: SANDBOX_TOKENS.EXPIRED });
    expect(expired.status).toBe(401);
    expect(metaError(expired).code).toBe(190);
    expect((expired.json as { error: { error_subcode?: number } }).error.error_subcode).toBe(463);
  });

  it('rejects a body that is not JSON with code 100', async () => {
    const a = await post(sandbox, undefined, { raw: '{"messaging_product":' });
    expect(a.status).toBe(400);
    expect(metaError(a)).toMatchObject({ code: 100, message: '(#100) Invalid parameter' });
    expect(sandbox.calls()[0]).toMatchObject({ status: 400, errorCode: 100, body: '{"messaging_product":' });
  });

  it('answers unknown routes with a Graph error', async () => {
    const res = await fetch(`${sandbox.url}/v25.0/123/media`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(100);
  });

  it('accepts mark-as-read bodies', async () => {
    const a = await post(sandbox, {
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: 'wamid.abc',
      typing_indicator: { type: 'text' },
    });
    expect(a.status).toBe(200);
    expect(a.json).toEqual({ success: true });
  });

  it('records every call, by biz_opaque_callback_data too', async () => {
    const before = Date.now();
    const ok = successOf(
      await post(sandbox, textBody('16505551234', { biz_opaque_callback_data: 'msg-1' }), {
        phoneNumberId: '111',
      }),
    );
    await post(sandbox, textBody('16505551234', { biz_opaque_callback_data: 'msg-1', text: { body: '' } }), {
      phoneNumberId: '111',
    });
    await post(sandbox, textBody('16505551234', { biz_opaque_callback_data: 'msg-2' }), {
      phoneNumberId: '222',
    });
    const calls = sandbox.calls();
    expect(calls).toHaveLength(3);
    const forMsg1 = sandbox.callsFor('msg-1');
    expect(forMsg1).toHaveLength(2);
    const expected: Omit<SandboxCall, 'at'> = {
      phoneNumberId: '111',
      version: 'v25.0',
      body: textBody('16505551234', { biz_opaque_callback_data: 'msg-1' }),
      status: 200,
      wamid: ok.wamid,
    };
    expect(forMsg1[0]).toEqual({ ...expected, at: forMsg1[0]!.at });
    expect(forMsg1[0]!.at).toBeGreaterThanOrEqual(before);
    expect(forMsg1[1]).toMatchObject({ status: 400, errorCode: 131008 });
    expect(forMsg1[1]!.wamid).toBeUndefined();
    expect(sandbox.callsFor('nope')).toEqual([]);
    sandbox.reset();
    expect(sandbox.calls()).toEqual([]);
    expect(sandbox.callsFor('msg-1')).toEqual([]);
  });

  it('serves the call log over HTTP for other processes', async () => {
    await post(sandbox, textBody('16505551234', { biz_opaque_callback_data: 'm-1' }), {
      phoneNumberId: '111',
    });
    await post(sandbox, textBody('16505551234', { biz_opaque_callback_data: 'm-1' }), {
      phoneNumberId: '111',
    });
    await post(sandbox, textBody('16505551234', { biz_opaque_callback_data: 'm-2' }), {
      phoneNumberId: '222',
    });

    const one = (await (await fetch(`${sandbox.url}/_sandbox/calls?bizOpaque=m-1`)).json()) as {
      count: number;
      calls: SandboxCall[];
    };
    expect(one.count).toBe(2);
    expect(one.calls.map((c) => c.status)).toEqual([200, 200]);
    expect(one.calls[0]!.wamid).toMatch(/^wamid\./);

    const all = (await (await fetch(`${sandbox.url}/_sandbox/calls`)).json()) as {
      count: number;
      calls: SandboxCall[];
    };
    expect(all.count).toBe(3);
    const byNumber = (await (await fetch(`${sandbox.url}/_sandbox/calls?phoneNumberId=222`)).json()) as {
      count: number;
    };
    expect(byNumber.count).toBe(1);
    const limited = (await (await fetch(`${sandbox.url}/_sandbox/calls?limit=1`)).json()) as {
      count: number;
      calls: SandboxCall[];
    };
    expect(limited.count).toBe(3);
    expect(limited.calls).toHaveLength(1);
    expect(limited.calls[0]!.phoneNumberId).toBe('222');

    const del = await fetch(`${sandbox.url}/_sandbox/calls`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(sandbox.calls()).toHaveLength(0);
    const after = (await (await fetch(`${sandbox.url}/_sandbox/calls?bizOpaque=m-1`)).json()) as {
      count: number;
    };
    expect(after.count).toBe(0);
  });

  it('lists the magic values at /_sandbox/numbers', async () => {
    const res = await fetch(`${sandbox.url}/_sandbox/numbers`);
    const json = (await res.json()) as { numbers: Record<string, { to: string; behaviour: string }> };
    expect(json.numbers['UNDELIVERABLE']).toEqual({
      to: '15550001001',
      behaviour: expect.stringContaining('131026') as unknown,
    });
  });

  it('handles many concurrent calls', async () => {
    const n = 300;
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        post(sandbox, textBody('16505551234', { biz_opaque_callback_data: `c-${i}` })),
      ),
    );
    const wamids = new Set(answers.map((a) => successOf(a).wamid));
    expect(wamids.size).toBe(n);
    expect(sandbox.calls()).toHaveLength(n);
  });
});

describe('CallLog bound', () => {
  const call = (i: number): StoredCall => ({
    phoneNumberId: '1',
    version: 'v25.0',
    raw: JSON.stringify({ biz_opaque_callback_data: `b${i % 3}` }),
    json: true,
    bizOpaque: `b${i % 3}`,
    status: 200,
    at: i,
  });

  it('keeps at most max calls, dropping the oldest, and keeps the index consistent', () => {
    const log = new CallLog(100);
    for (let i = 0; i < 1000; i++) log.add(call(i));
    expect(log.size).toBeLessThanOrEqual(100);
    const all = log.all();
    expect(all[all.length - 1]!.at).toBe(999);
    const indexed =
      log.forBizOpaque('b0').length + log.forBizOpaque('b1').length + log.forBizOpaque('b2').length;
    expect(indexed).toBe(all.length);
    expect(log.forBizOpaque('b0').every((c) => c.at >= all[0]!.at)).toBe(true);
    expect(log.forBizOpaque('b1')[0]!.body).toEqual({ biz_opaque_callback_data: 'b1' });
    expect(log.all(3).map((c) => c.at)).toEqual([997, 998, 999]);
  });

  it('applies maxCalls to a running sandbox', async () => {
    const small = await startSandbox({ maxCalls: 10 });
    try {
      for (let i = 0; i < 25; i++) await post(small, textBody('16505551234'));
      expect(small.calls().length).toBeLessThanOrEqual(10);
    } finally {
      await small.close();
    }
  });
});
