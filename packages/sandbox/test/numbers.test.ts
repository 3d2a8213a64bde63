import { SANDBOX_NUMBERS, SANDBOX_TEMPLATES, startSandbox, type Sandbox } from '../src/index';
import { metaError, post, successOf, templateBody, textBody } from './helpers';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ slowMs: 400 });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => sandbox.reset());

describe('magic numbers', () => {
  it('numbers are digits only, start with 1555000 and are distinct', () => {
    const values = Object.values(SANDBOX_NUMBERS);
    for (const n of values) expect(n).toMatch(/^1555000\d{4}$/);
    expect(new Set(values).size).toBe(values.length);
  });

  it('UNDELIVERABLE always fails with 131026', async () => {
    for (let i = 0; i < 3; i++) {
      const a = await post(
        sandbox,
        textBody(SANDBOX_NUMBERS.UNDELIVERABLE, { biz_opaque_callback_data: 'u' }),
      );
      expect(a.status).toBe(400);
      expect(metaError(a)).toMatchObject({
        code: 131026,
        message: '(#131026) Message undeliverable',
        type: 'OAuthException',
      });
    }
    // Also with + and separators.
    const b = await post(sandbox, textBody('+1 555-000-1001'));
    expect(metaError(b).code).toBe(131026);
  });

  it('THROTTLED_TWICE: 130429 twice per biz_opaque_callback_data, then success', async () => {
    const send = (biz: string) =>
      post(sandbox, textBody(SANDBOX_NUMBERS.THROTTLED_TWICE, { biz_opaque_callback_data: biz }));
    const a1 = await send('m1');
    expect(a1.status).toBe(400);
    expect(metaError(a1).code).toBe(130429);
    // Another message has its own counter.
    expect(metaError(await send('m2')).code).toBe(130429);
    expect(metaError(await send('m1')).code).toBe(130429);
    successOf(await send('m1'));
    successOf(await send('m1'));
    expect(metaError(await send('m2')).code).toBe(130429);
    successOf(await send('m2'));
    expect(sandbox.callsFor('m1').map((c) => c.status)).toEqual([400, 400, 200, 200]);
  });

  it('THROTTLED_TWICE without biz_opaque counts per (number id, to, body)', async () => {
    const body = textBody(SANDBOX_NUMBERS.THROTTLED_TWICE);
    expect(metaError(await post(sandbox, body, { phoneNumberId: '1' })).code).toBe(130429);
    expect(metaError(await post(sandbox, body, { phoneNumberId: '2' })).code).toBe(130429);
    expect(metaError(await post(sandbox, body, { phoneNumberId: '1' })).code).toBe(130429);
    successOf(await post(sandbox, body, { phoneNumberId: '1' }));
    const other = textBody(SANDBOX_NUMBERS.THROTTLED_TWICE, { text: { body: 'another' } });
    expect(metaError(await post(sandbox, other, { phoneNumberId: '1' })).code).toBe(130429);
  });

  it('reset() clears the attempt counters', async () => {
    const body = textBody(SANDBOX_NUMBERS.THROTTLED_TWICE, { biz_opaque_callback_data: 'r' });
    await post(sandbox, body);
    await post(sandbox, body);
    successOf(await post(sandbox, body));
    sandbox.reset();
    expect(metaError(await post(sandbox, body)).code).toBe(130429);
  });

  it('OUTSIDE_WINDOW: 131047 for non-template types, templates succeed', async () => {
    const t = await post(sandbox, textBody(SANDBOX_NUMBERS.OUTSIDE_WINDOW));
    expect(t.status).toBe(400);
    expect(metaError(t)).toMatchObject({ code: 131047, message: '(#131047) Re-engagement message' });
    expect(metaError(t).details).toMatch(/24 hours/);
    const img = await post(sandbox, {
      messaging_product: 'whatsapp',
      to: SANDBOX_NUMBERS.OUTSIDE_WINDOW,
      type: 'image',
      image: { link: 'https://example.com/a.png' },
    });
    expect(metaError(img).code).toBe(131047);
    expect(successOf(await post(sandbox, templateBody(SANDBOX_NUMBERS.OUTSIDE_WINDOW))).messageStatus).toBe(
      'accepted',
    );
  });

  it('SERVER_ERROR_TWICE: HTTP 500 twice, then success', async () => {
    const body = textBody(SANDBOX_NUMBERS.SERVER_ERROR_TWICE, { biz_opaque_callback_data: 's' });
    for (let i = 0; i < 2; i++) {
      const a = await post(sandbox, body);
      expect(a.status).toBe(500);
      expect(metaError(a).code).toBe(131000);
    }
    successOf(await post(sandbox, body));
  });

  it('ALWAYS_SERVER_ERROR: HTTP 500 every time', async () => {
    for (let i = 0; i < 4; i++) {
      const a = await post(
        sandbox,
        textBody(SANDBOX_NUMBERS.ALWAYS_SERVER_ERROR, { biz_opaque_callback_data: 'a' }),
      );
      expect(a.status).toBe(500);
    }
  });

  it('SLOW answers after slowMs and records the call at once', async () => {
    const started = Date.now();
    const pending = post(sandbox, textBody(SANDBOX_NUMBERS.SLOW, { biz_opaque_callback_data: 'slow' }));
    await new Promise((r) => setTimeout(r, 100));
    expect(sandbox.callsFor('slow')).toHaveLength(1);
    const a = await pending;
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(successOf(a).wamid).toBe(sandbox.callsFor('slow')[0]!.wamid);
  });

  it('SLOW does not hold up other numbers', async () => {
    // Order, not a timing bound: the other number's answer comes while SLOW's is still pending.
    let slowAnswered = false;
    const slow = post(sandbox, textBody(SANDBOX_NUMBERS.SLOW)).then((r) => {
      slowAnswered = true;
      return r;
    });
    successOf(await post(sandbox, textBody('16505551234')));
    expect(slowAnswered).toBe(false);
    successOf(await slow);
  });

  it('TOKEN_EXPIRED: HTTP 401, code 190, even before validation', async () => {
    const a = await post(sandbox, textBody(SANDBOX_NUMBERS.TOKEN_EXPIRED));
    expect(a.status).toBe(401);
    expect(metaError(a).code).toBe(190);
    const invalid = await post(sandbox, textBody(SANDBOX_NUMBERS.TOKEN_EXPIRED, { text: {} }));
    expect(metaError(invalid).code).toBe(190);
  });

  it('PAIR_LIMITED_ONCE: 131056 once, then success', async () => {
    const body = textBody(SANDBOX_NUMBERS.PAIR_LIMITED_ONCE, { biz_opaque_callback_data: 'p' });
    expect(metaError(await post(sandbox, body)).code).toBe(131056);
    successOf(await post(sandbox, body));
  });

  it('ALWAYS_THROTTLED: 130429 every time', async () => {
    for (let i = 0; i < 4; i++) {
      expect(
        metaError(
          await post(sandbox, textBody(SANDBOX_NUMBERS.ALWAYS_THROTTLED, { biz_opaque_callback_data: 't' })),
        ).code,
      ).toBe(130429);
    }
  });

  it('BAD_GATEWAY: HTTP 502 with HTML and no Graph error', async () => {
    const a = await post(sandbox, textBody(SANDBOX_NUMBERS.BAD_GATEWAY));
    expect(a.status).toBe(502);
    expect(a.json).toBeUndefined();
    expect(a.headers.get('content-type')).toBe('text/html');
  });

  it('CONNECTION_DROPPED_ONCE: recorded as accepted, connection reset, then success', async () => {
    const body = textBody(SANDBOX_NUMBERS.CONNECTION_DROPPED_ONCE, { biz_opaque_callback_data: 'd' });
    await expect(post(sandbox, body)).rejects.toThrow();
    expect(sandbox.callsFor('d')).toHaveLength(1);
    expect(sandbox.callsFor('d')[0]).toMatchObject({
      status: 200,
      wamid: expect.stringMatching(/^wamid\./) as unknown,
    });
    const ok = successOf(await post(sandbox, body));
    expect(ok.wamid).not.toBe(sandbox.callsFor('d')[0]!.wamid);
  });

  it('ACCOUNT_LOCKED: HTTP 403, code 131031', async () => {
    const a = await post(sandbox, textBody(SANDBOX_NUMBERS.ACCOUNT_LOCKED));
    expect(a.status).toBe(403);
    expect(metaError(a).code).toBe(131031);
  });

  it('TEMPLATE_HELD: templates are held for quality assessment, text is normal', async () => {
    expect(successOf(await post(sandbox, templateBody(SANDBOX_NUMBERS.TEMPLATE_HELD))).messageStatus).toBe(
      'held_for_quality_assessment',
    );
    expect(
      successOf(await post(sandbox, textBody(SANDBOX_NUMBERS.TEMPLATE_HELD))).messageStatus,
    ).toBeUndefined();
  });

  it('validation comes before the magic behaviour', async () => {
    const a = await post(sandbox, textBody(SANDBOX_NUMBERS.UNDELIVERABLE, { text: { body: '' } }));
    expect(metaError(a).code).toBe(131008);
  });

  it('magic template names: 132001 and 132015', async () => {
    const missing = await post(sandbox, {
      messaging_product: 'whatsapp',
      to: '16505551234',
      type: 'template',
      template: { name: SANDBOX_TEMPLATES.NOT_FOUND, language: { code: 'en_US' } },
    });
    expect(missing.status).toBe(404);
    expect(metaError(missing).code).toBe(132001);
    const paused = await post(sandbox, {
      messaging_product: 'whatsapp',
      to: '16505551234',
      type: 'template',
      template: { name: SANDBOX_TEMPLATES.PAUSED, language: { code: 'en' } },
    });
    expect(paused.status).toBe(400);
    expect(metaError(paused).code).toBe(132015);
  });

  it('any other number succeeds', async () => {
    successOf(await post(sandbox, textBody('15550009999')));
    successOf(await post(sandbox, textBody('447700900123')));
  });
});
