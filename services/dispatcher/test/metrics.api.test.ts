import request from 'supertest';
import { freePort } from '@flowgate/testing';
import { startStack, type Stack } from '@flowgate/testing';

/** `name{labels} value` lines of a Prometheus text exposition, keyed by `name{labels}`. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+?(?:\{.*\})?)\s+(\S+)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1], Number(m[2]));
  }
  return out;
}

const TOKEN = 'metrics-token-0123456789abcdef';
const SEND_ROUTE = 'method="POST",route="/api/v1/public/messages/send",status="201"';

describe('/metrics on public-api and on the dispatcher health port (docs/contracts.md §14)', () => {
  let stack: Stack;
  let healthPort: number;
  const scrapeApi = async (): Promise<Map<string, number>> => {
    const res = await request(stack.api.app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parse(res.text);
  };
  const scrapeDispatcher = async (): Promise<{ text: string; series: Map<string, number> }> => {
    const res = await fetch(`http://127.0.0.1:${healthPort}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    return { text, series: parse(text) };
  };

  beforeAll(async () => {
    healthPort = await freePort();
    stack = await startStack({ METRICS_TOKEN: TOKEN, DISPATCHER_HEALTH_PORT: String(healthPort) });
  }, 60_000);
  afterAll(async () => {
    await stack.close();
  });

  it('refuses a scrape without the token, or with another one, on both', async () => {
    const none = await request(stack.api.app).get('/metrics');
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } });
    const wrong = await request(stack.api.app).get('/metrics').set('Authorization', 'Bearer nope');
    expect(wrong.status).toBe(401);
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer nope' },
      { authorization: `Basic ${TOKEN}` },
    ];
    for (const headers of attempts) {
      const res = await fetch(`http://127.0.0.1:${healthPort}/metrics`, { headers });
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain('flowgate_');
    }
  });

  it('counts sends, requests, auth and dispatch outcomes after real sends', async () => {
    const partner = await stack.partner();
    const apiBefore = await scrapeApi();
    const dispatcherBefore = (await scrapeDispatcher()).series;

    const ok = await stack.send(partner.headers, { type: 'text', phone: '15550009001', content: 'hello' });
    const failing = await stack.send(partner.headers, {
      type: 'text',
      phone: '15550001001', // the sandbox's always-131026 number
      content: 'hello',
    });
    const final = await stack.waitForFinal([ok, failing]);
    expect(final.get(ok)?.status).toBe('SENT');
    expect(final.get(failing)?.status).toBe('FAILED');

    const api = await scrapeApi();
    const delta = (name: string, before = apiBefore, after = api): number =>
      (after.get(name) ?? 0) - (before.get(name) ?? 0);
    expect(delta('flowgate_sends_accepted_total{type="text"}')).toBe(2);
    expect(delta(`flowgate_http_requests_total{${SEND_ROUTE}}`)).toBe(2);
    expect(delta(`flowgate_http_request_duration_seconds_count{${SEND_ROUTE}}`)).toBe(2);
    // One argon2 run for the new key, then the cache answers.
    expect(delta('flowgate_auth_argon2_verifications_total{result="match"}')).toBe(1);
    expect(delta('flowgate_auth_cache_lookups_total{result="miss"}')).toBe(1);
    expect(delta('flowgate_auth_cache_lookups_total{result="hit"}')).toBe(1);
    expect(delta('flowgate_auth_argon2_duration_seconds_count')).toBe(1);
    // Default process metrics are there, and no label carries an id.
    expect(api.get('flowgate_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect([...api.keys()].join('\n')).not.toContain(ok);

    // The dispatcher is another process: its own counters, on its health port.
    const { text, series } = await scrapeDispatcher();
    const d = (name: string): number => (series.get(name) ?? 0) - (dispatcherBefore.get(name) ?? 0);
    expect(d('flowgate_dispatch_outcomes_total{outcome="sent",meta_code="none"}')).toBe(1);
    expect(d('flowgate_dispatch_outcomes_total{outcome="failed",meta_code="131026"}')).toBe(1);
    expect(d('flowgate_provider_call_duration_seconds_count')).toBe(2);
    expect(d('flowgate_queue_wait_seconds_count')).toBe(2);
    for (const queue of ['outbox', 'work', 'retry', 'parked']) {
      expect(series.get(`flowgate_queue_depth{queue="${queue}"}`)).toBeGreaterThanOrEqual(0);
    }
    expect(series.get('flowgate_queue_oldest_age_seconds{queue="outbox"}')).toBeGreaterThanOrEqual(0);
    expect(series.get('flowgate_process_resident_memory_bytes')).toBeGreaterThan(0);
    // The series the events, webhooks and rate-limit features increment are defined already.
    for (const [name, type] of [
      ['flowgate_meta_events_received_total', 'counter'],
      ['flowgate_partner_webhook_deliveries_total', 'counter'],
      ['flowgate_rate_limit_refusals_total', 'counter'],
    ])
      expect(text).toContain(`# TYPE ${name} ${type}`);
  }, 90_000);
});
