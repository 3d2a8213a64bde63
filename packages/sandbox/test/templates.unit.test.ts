/** The sandbox's `GET /{version}/{waba-id}/message_templates` (docs/meta-cloud-api.md §7): paging, fields, Meta's errors. */
import { startSandbox, SANDBOX_TOKENS, SANDBOX_WABAS, type Sandbox } from '../src';

const WABA = '102290129340398';
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({
    templates: {
      [WABA]: Array.from({ length: 5 }, (_, i) => ({
        name: `t_${i}`,
        language: 'en_US',
        status: 'APPROVED',
        category: 'UTILITY',
        components: [{ type: 'BODY', text: 'Hi' }],
        quality_score: { score: 'GREEN' },
      })),
    },
  });
});
afterAll(async () => {
  await sandbox.close();
});

const get = async (path: string, token: string | null = 'any-token') => {
  const res = await fetch(`${sandbox.url}${path}`, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('sandbox template list', () => {
  it('pages with limit and after until there is no next, each template once, only the fields asked for', async () => {
    const names: string[] = [];
    let path = `/v25.0/${WABA}/message_templates?limit=2&fields=name,language,status`;
    for (let pages = 1; ; pages += 1) {
      const { status, body } = await get(path);
      expect(status).toBe(200);
      const data = body['data'] as Array<Record<string, unknown>>;
      for (const t of data) {
        expect(Object.keys(t).sort()).toEqual(['id', 'language', 'name', 'status']);
        names.push(String(t['name']));
      }
      const paging = body['paging'] as { cursors: { after: string }; next?: string };
      if (paging.next === undefined) {
        expect(pages).toBe(3);
        break;
      }
      const next = new URL(paging.next);
      expect(next.searchParams.get('after')).toBe(paging.cursors.after);
      path = `${next.pathname}${next.search}`;
    }
    expect(names).toEqual(['t_0', 't_1', 't_2', 't_3', 't_4']);
  });

  it("answers Meta's errors: no token 401/190, expired token, unknown account 400/100, bad limit or cursor, rate limit", async () => {
    const code = (b: Record<string, unknown>) => (b['error'] as { code: number }).code;
    const noToken = await get(`/v25.0/${WABA}/message_templates`, null);
    expect([noToken.status, code(noToken.body)]).toEqual([401, 190]);
    const expired = await get(`/v25.0/${WABA}/message_templates`, SANDBOX_TOKENS.EXPIRED);
    expect([expired.status, code(expired.body)]).toEqual([401, 190]);
    const unknown = await get('/v25.0/999/message_templates');
    expect([unknown.status, code(unknown.body)]).toEqual([400, 100]);
    expect((await get(`/v25.0/${WABA}/message_templates?limit=0`)).status).toBe(400);
    expect((await get(`/v25.0/${WABA}/message_templates?after=nonsense`)).status).toBe(400);
    const limited = await get(`/v25.0/${SANDBOX_WABAS.RATE_LIMITED}/message_templates`);
    expect([limited.status, code(limited.body)]).toEqual([400, 4]);
  });

  it("replaces an account's templates through PUT /_sandbox/waba/{id}/message_templates", async () => {
    const res = await fetch(`${sandbox.url}/_sandbox/waba/555/message_templates`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ templates: [{ name: 'x', language: 'en', status: 'PENDING' }] }),
    });
    expect(res.status).toBe(200);
    const listed = await get('/555/message_templates');
    expect(listed.body['data']).toEqual([expect.objectContaining({ name: 'x', id: expect.any(String) })]);
    const bad = await fetch(`${sandbox.url}/_sandbox/waba/555/message_templates`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"templates": 1}',
    });
    expect(bad.status).toBe(400);
  });
});
