import {
  startSandbox,
  SANDBOX_NUMBERS,
  parseChaosJson,
  parseChaosSettings,
  type Sandbox,
} from '../src/index';
import { ChaosEngine } from '../src/chaos';
import { metaError, post, successOf, textBody } from './helpers';

async function putChaos(sandbox: Sandbox, body: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${sandbox.url}/_sandbox/chaos`, { method: 'PUT', body });
  return { status: res.status, json: await res.json() };
}

async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

describe('chaos settings', () => {
  it('accepts a full mix and copies it', () => {
    const input = {
      http500Rate: 0.1,
      timeoutRate: 0.05,
      timeoutMs: 1500,
      throttleBurst: { everyMs: 5000, durationMs: 500 },
    };
    const parsed = parseChaosSettings(input);
    expect(parsed).toEqual({ ok: true, settings: input });
    if (parsed.ok) expect(parsed.settings.throttleBurst).not.toBe(input.throttleBurst);
  });

  it.each([
    [[], ['(root): must be object']],
    [{ http500Rate: 1.5 }, ['http500Rate: must be <= 1']],
    [
      { timeoutRate: -0.1, colour: 'red' },
      ['(root): must NOT have additional properties (colour)', 'timeoutRate: must be >= 0'],
    ],
    [{ timeoutMs: 2.5 }, ['timeoutMs: must be integer']],
    [{ throttleBurst: { everyMs: 1000 } }, ["throttleBurst: must have required property 'durationMs'"]],
    [{ http500Rate: 0.6, timeoutRate: 0.6 }, ['http500Rate + timeoutRate: must not exceed 1']],
    [
      { throttleBurst: { everyMs: 1000, durationMs: 2000 } },
      ['throttleBurst.durationMs: must not exceed throttleBurst.everyMs'],
    ],
  ])('when given %j, then it lists every problem', (input, problems) => {
    const parsed = parseChaosSettings(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect([...parsed.problems].sort()).toEqual([...problems].sort());
  });

  it('parses the SANDBOX_CHAOS text the same way, and says when it is not JSON', () => {
    expect(parseChaosJson('{"http500Rate":0.25}')).toEqual({ ok: true, settings: { http500Rate: 0.25 } });
    expect(parseChaosJson('{http500Rate:1}')).toEqual({ ok: false, problems: ['(root): is not valid JSON'] });
  });
});

describe('chaos engine', () => {
  it('draws 500s, then timeouts, then nothing, from one random number, and counts them', () => {
    const draws = [0.05, 0.12, 0.5, 0.0999, 0.1499, 0.16];
    const engine = new ChaosEngine(() => draws.shift() ?? 1);
    expect(engine.next()).toBeUndefined();
    engine.set({ http500Rate: 0.1, timeoutRate: 0.05 });
    expect([1, 2, 3, 4, 5, 6].map(() => engine.next())).toEqual([
      'http500',
      'timeout',
      undefined,
      'http500',
      'timeout',
      undefined,
    ]);
    expect(engine.state()).toEqual({
      settings: { http500Rate: 0.1, timeoutRate: 0.05 },
      injected: { http500: 2, timeout: 2, throttle: 0 },
    });
    engine.set(null);
    expect(engine.next()).toBeUndefined();
    expect(engine.state()).toEqual({ settings: null, injected: { http500: 0, timeout: 0, throttle: 0 } });
  });

  it('throttles every call during the first durationMs of each cycle, counted from when it was set', () => {
    let now = 1_000_000;
    const engine = new ChaosEngine(
      () => 0,
      () => now,
    );
    engine.set({ http500Rate: 1, throttleBurst: { everyMs: 1000, durationMs: 200 } });
    const at = (offset: number) => {
      now = 1_000_000 + offset;
      return engine.next();
    };
    expect([0, 199, 200, 999, 1000, 1150, 1250, 5100].map(at)).toEqual([
      'throttle',
      'throttle',
      'http500',
      'http500',
      'throttle',
      'throttle',
      'http500',
      'throttle',
    ]);
    expect(engine.state().injected).toEqual({ http500: 3, timeout: 0, throttle: 5 });
  });

  it('uses 15 s for a timeout unless told otherwise', () => {
    const engine = new ChaosEngine();
    expect(engine.timeoutMs).toBe(15_000);
    engine.set({ timeoutRate: 1, timeoutMs: 1200 });
    expect(engine.timeoutMs).toBe(1200);
  });
});

describe('sandbox chaos over HTTP', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });
  beforeEach(async () => {
    await fetch(`${sandbox.url}/_sandbox/chaos`, { method: 'DELETE' });
    sandbox.reset();
  });

  it('when no mix is set, then every ordinary call succeeds and GET says so', async () => {
    expect(await getJson(`${sandbox.url}/_sandbox/chaos`)).toEqual({
      settings: null,
      injected: { http500: 0, timeout: 0, throttle: 0 },
    });
    expect((await post(sandbox, textBody('16505550101'))).status).toBe(200);
  });

  it('when http500Rate is 1, then calls answer HTTP 500 / 131000 and are recorded as injected', async () => {
    expect(await putChaos(sandbox, '{"http500Rate":1}')).toEqual({
      status: 200,
      json: { settings: { http500Rate: 1 }, injected: { http500: 0, timeout: 0, throttle: 0 } },
    });
    const a = await post(sandbox, textBody('16505550102', { biz_opaque_callback_data: 'm-500' }));
    expect(a.status).toBe(500);
    expect(metaError(a)).toMatchObject({ code: 131000, type: 'OAuthException' });
    expect(sandbox.callsFor('m-500')).toEqual([
      expect.objectContaining({ status: 500, errorCode: 131000, fault: 'http500' }),
    ]);
    expect(sandbox.callsFor('m-500')[0]?.wamid).toBeUndefined();
    expect(await getJson(`${sandbox.url}/_sandbox/chaos`)).toMatchObject({
      injected: { http500: 1, timeout: 0, throttle: 0 },
    });

    const cleared = await getJson(`${sandbox.url}/_sandbox/chaos`, { method: 'DELETE' });
    expect(cleared).toEqual({ settings: null, injected: { http500: 0, timeout: 0, throttle: 0 } });
    expect((await post(sandbox, textBody('16505550102'))).status).toBe(200);
  });

  it('when a call "times out", then it is accepted with a wamid but answered only after timeoutMs', async () => {
    await putChaos(sandbox, '{"timeoutRate":1,"timeoutMs":400}');
    const body = textBody('16505550103', { biz_opaque_callback_data: 'm-late' });
    // A caller with a shorter timeout gives up: Meta has the message, the caller does not know.
    await expect(
      fetch(`${sandbox.url}/v25.0/123/messages`, {
        method: 'POST',
        headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(100),
      }),
    ).rejects.toThrow();
    // A patient caller gets the (late) success answer.
    const late = await post(sandbox, body);
    expect(successOf(late).wamid).toMatch(/^wamid\./);

    const calls = sandbox.callsFor('m-late');
    expect(calls).toHaveLength(2);
    expect(calls.every((c) => c.status === 200 && c.fault === 'timeout' && c.wamid !== undefined)).toBe(true);
    expect(calls[1]?.wamid).toBe(successOf(late).wamid);
    const summary = await getJson<Record<string, unknown>>(`${sandbox.url}/_sandbox/calls/summary`);
    expect(summary).toMatchObject({
      calls: 2,
      messages: 1,
      accepted: 2,
      duplicates: 1,
      duplicatedMessages: 1,
      faults: { http500: 0, timeout: 2, throttle: 0 },
    });
  });

  it('when a throttle burst is on, then calls answer HTTP 400 / 130429', async () => {
    await putChaos(sandbox, '{"throttleBurst":{"everyMs":600000,"durationMs":600000}}');
    const a = await post(sandbox, textBody('16505550104'));
    expect(a.status).toBe(400);
    expect(metaError(a).code).toBe(130429);
    expect(sandbox.calls()[0]).toMatchObject({ status: 400, errorCode: 130429, fault: 'throttle' });
    expect(sandbox.chaos().injected.throttle).toBe(1);
  });

  it('leaves magic numbers, invalid bodies and bad tokens alone', async () => {
    await putChaos(sandbox, '{"http500Rate":1}');
    expect(metaError(await post(sandbox, textBody(SANDBOX_NUMBERS.UNDELIVERABLE))).code).toBe(131026);
    expect(metaError(await post(sandbox, { messaging_product: 'whatsapp' })).code).not.toBe(131000);
    expect((await post(sandbox, textBody('16505550105'), { token: null })).status).toBe(401);
    expect(sandbox.chaos().injected.http500).toBe(0);
  });

  it('when a PUT body is bad, then it answers 400 listing every problem and keeps the old mix', async () => {
    await putChaos(sandbox, '{"http500Rate":0.5}');
    const bad = await putChaos(sandbox, '{"http500Rate":0.7,"timeoutRate":0.7,"seed":1}');
    expect(bad.status).toBe(400);
    const details = (bad.json as { error: { code: number; error_data: { details: string } } }).error;
    expect(details.code).toBe(100);
    expect(details.error_data.details).toContain('seed');
    const notJson = await putChaos(sandbox, 'http500Rate=1');
    expect(notJson.status).toBe(400);
    expect(sandbox.chaos().settings).toEqual({ http500Rate: 0.5 });
    const post405 = await fetch(`${sandbox.url}/_sandbox/chaos`, { method: 'PATCH', body: '{}' });
    expect(post405.status).toBe(405);
  });

  it('summarises calls per message, optionally per phone-number id, with every wamid', async () => {
    await post(sandbox, textBody('16505550106', { biz_opaque_callback_data: 'm-1' }), { phoneNumberId: 'A' });
    await post(sandbox, textBody('16505550106', { biz_opaque_callback_data: 'm-1' }), { phoneNumberId: 'A' });
    await post(sandbox, textBody(SANDBOX_NUMBERS.UNDELIVERABLE, { biz_opaque_callback_data: 'm-2' }), {
      phoneNumberId: 'A',
    });
    await post(sandbox, textBody('16505550107', { biz_opaque_callback_data: 'm-3' }), { phoneNumberId: 'B' });
    const all = await getJson<{ perMessage?: unknown } & Record<string, unknown>>(
      `${sandbox.url}/_sandbox/calls/summary`,
    );
    expect(all).toEqual({
      calls: 4,
      byStatus: { '200': 3, '400': 1 },
      faults: { http500: 0, timeout: 0, throttle: 0 },
      messages: 3,
      accepted: 3,
      duplicates: 1,
      duplicatedMessages: 1,
    });
    const a = await getJson<{
      messages: number;
      perMessage: Record<string, { calls: number; accepted: number; wamids: string[] }>;
    }>(`${sandbox.url}/_sandbox/calls/summary?phoneNumberId=A&perMessage=true`);
    expect(a.messages).toBe(2);
    expect(a.perMessage['m-1']).toEqual({
      calls: 2,
      accepted: 2,
      wamids: sandbox.callsFor('m-1').map((c) => c.wamid),
    });
    expect(a.perMessage['m-2']).toEqual({ calls: 1, accepted: 0, wamids: [] });
    expect(sandbox.summary({ phoneNumberId: 'B' })).toMatchObject({ calls: 1, messages: 1, duplicates: 0 });
  });

  it('reset() forgets the calls and zeroes the counters but keeps the mix', async () => {
    await putChaos(sandbox, '{"http500Rate":1}');
    await post(sandbox, textBody('16505550108'));
    sandbox.reset();
    expect(sandbox.chaos()).toEqual({
      settings: { http500Rate: 1 },
      injected: { http500: 0, timeout: 0, throttle: 0 },
    });
    expect(sandbox.summary().calls).toBe(0);
  });
});

describe('chaos from the start', () => {
  it('takes the mix and the random source from the options', async () => {
    const draws = [0.9, 0.1];
    const sandbox = await startSandbox({ chaos: { http500Rate: 0.5 }, random: () => draws.shift() ?? 0 });
    try {
      expect((await post(sandbox, textBody('16505550109'))).status).toBe(200);
      expect((await post(sandbox, textBody('16505550109'))).status).toBe(500);
      expect(() => sandbox.setChaos({ http500Rate: 2 })).toThrow('http500Rate: must be <= 1');
      const numbers = await getJson<{ chaos: unknown }>(`${sandbox.url}/_sandbox/numbers`);
      expect(numbers.chaos).toEqual({
        settings: { http500Rate: 0.5 },
        injected: { http500: 1, timeout: 0, throttle: 0 },
      });
    } finally {
      await sandbox.close();
    }
  });

  it('refuses a bad mix at start', async () => {
    await expect(startSandbox({ chaos: { timeoutRate: 3 } })).rejects.toThrow('timeoutRate: must be <= 1');
  });
});
