/** `listTemplates`: one page of `GET /{version}/{waba-id}/message_templates` (docs/meta-cloud-api.md §7). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCloudApiClient } from '../src/client';
import { ProviderError } from '../src/error-policy';

const TOKEN = 'EAAG-list-templates-secret';
let server: http.Server;
let baseUrl: string;
let answer: (req: http.IncomingMessage, res: http.ServerResponse) => void;
let seen: Array<{
  method?: string | undefined;
  url?: string | undefined;
  auth?: string | undefined;
  body: string;
}> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  seen = [];
});

const reply =
  (status: number, payload: unknown) =>
  (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
  };
const client = () => createCloudApiClient({ baseUrl, graphVersion: 'v25.0', timeoutMs: 2000 });

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  const pe = err as ProviderError;
  expect(`${pe.message} ${JSON.stringify(pe)} ${pe.stack ?? ''}`).not.toContain(TOKEN);
  return pe;
}

describe('listTemplates', () => {
  it('GETs one page with the token, limit and fields, and gives the after cursor while there is a next page', async () => {
    answer = reply(200, {
      data: [{ name: 'a', language: 'en_US', status: 'APPROVED', category: 'UTILITY', components: [] }],
      paging: { cursors: { before: 'B', after: 'A1' }, next: 'https://evil.example/steal?after=A1' },
    });
    const c = client();
    const page = await c.listTemplates({
      wabaId: '102290129340398',
      accessToken: TOKEN,
      after: 'A0',
      limit: 50,
    });
    c.close();
    expect(page).toEqual({ templates: [expect.objectContaining({ name: 'a' })], after: 'A1' });
    const call = seen[0];
    expect(call?.method).toBe('GET');
    expect(call?.auth).toBe(`Bearer ${TOKEN}`);
    expect(call?.body).toBe('');
    const url = new URL(call?.url ?? '', baseUrl);
    expect(url.pathname).toBe('/v25.0/102290129340398/message_templates');
    expect(url.searchParams.get('limit')).toBe('50');
    expect(url.searchParams.get('after')).toBe('A0');
    expect(url.searchParams.get('fields')?.split(',')).toEqual(
      expect.arrayContaining(['name', 'language', 'status', 'category', 'components']),
    );
  });

  it('ends on a page without next, or one that repeats the cursor it was asked with', async () => {
    const c = client();
    answer = reply(200, { data: [], paging: { cursors: { before: 'B', after: 'A1' } } });
    expect((await c.listTemplates({ wabaId: '1', accessToken: TOKEN })).after).toBeUndefined();
    answer = reply(200, { data: [], paging: { cursors: { after: 'A1' }, next: 'x' } });
    expect((await c.listTemplates({ wabaId: '1', accessToken: TOKEN, after: 'A1' })).after).toBeUndefined();
    answer = reply(200, { data: [] });
    expect(await c.listTemplates({ wabaId: '1', accessToken: TOKEN })).toEqual({
      templates: [],
      after: undefined,
    });
    c.close();
  });

  it("turns Meta's errors into classified ProviderErrors without the token", async () => {
    const c = client();
    answer = reply(401, {
      error: { message: 'Error validating access token', code: 190, type: 'OAuthException' },
    });
    expect((await failure(c.listTemplates({ wabaId: '1', accessToken: TOKEN }))).classification.kind).toBe(
      'account',
    );
    answer = reply(400, { error: { message: '(#4) Application request limit reached', code: 4 } });
    expect((await failure(c.listTemplates({ wabaId: '1', accessToken: TOKEN }))).retryable).toBe(true);
    answer = reply(200, { data: 'not a list' });
    const odd = await failure(c.listTemplates({ wabaId: '1', accessToken: TOKEN }));
    expect(odd.title).toBe('Unrecognised template list from the Cloud API');
    expect(odd.classification.kind).toBe('permanent');
    c.close();
  });

  it('refuses a WABA id that is not digits without calling anyone', async () => {
    const c = client();
    const err = await failure(c.listTemplates({ wabaId: '../../me', accessToken: TOKEN }));
    expect(err.classification.kind).toBe('account');
    expect(seen).toHaveLength(0);
    c.close();
  });
});
