/**
 * The OpenAPI document covers the app exactly: every route Express has (found by walking the
 * router stack, so a route added without its document entry fails here) is an operation of the
 * document, and every operation is a route. Strict response validation (ADR 0023) is on for the
 * whole suite, so each response of every test is checked against its schema.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { buildOpenApiDocument } from '@flowgate/contracts';
import { strictResponses } from '../src/http/respond';
import { createApiKey, createWorkspace, createTestApp, type TestApp } from '@flowgate/testing';

interface RouteLayer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: RouteLayer[] };
  rawPath?: unknown;
  slash?: boolean;
}

/** `METHOD /path` of every route in a router stack, mount paths included (`:id` as `{id}`). */
function routesOf(stack: readonly RouteLayer[], prefix = ''): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route !== undefined) {
      if (typeof layer.route.path !== 'string') throw new Error('a route with a non-string path');
      const path = `${prefix}${layer.route.path}`.replace(/:(\w+)/g, '{$1}');
      for (const [method, on] of Object.entries(layer.route.methods))
        if (on && method !== '_all') out.push(`${method.toUpperCase()} ${path}`);
    } else if (layer.handle?.stack !== undefined) {
      if (layer.slash !== true && typeof layer.rawPath !== 'string')
        throw new Error('a router mounted at a non-string path');
      out.push(
        ...routesOf(layer.handle.stack, layer.slash === true ? prefix : `${prefix}${String(layer.rawPath)}`),
      );
    }
  }
  return out;
}

/** The docs page's own script and bundle are static files of `GET /docs`, not API operations. */
const DOCS_ASSET = /^GET \/docs\/.+/;

const appRoutes = (app: Express): string[] =>
  routesOf((app as unknown as { router: { stack: RouteLayer[] } }).router.stack).filter(
    (route) => !DOCS_ASSET.test(route),
  );

const documented = (): string[] =>
  Object.entries(buildOpenApiDocument().paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  );

describe('the OpenAPI document and the app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('when the router stack is walked, then every route of the app is an operation of the document', () => {
    const routes = appRoutes(t.app);
    // The walk itself works: it finds the routes we know are there (no silent empty list).
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /api/v1/public/messages/send',
        'GET /api/v1/public/messages/{id}',
        'POST /api/v1/auth/login',
        'DELETE /api/v1/workspaces/{workspaceId}/api-keys/{keyId}',
        'GET /healthz',
      ]),
    );
    const missing = routes.filter((r) => !documented().includes(r));
    expect(missing).toEqual([]);
  });

  it('when the document is read, then every operation in it is a route of the app (nothing documented that does not exist)', () => {
    const routes = appRoutes(t.app);
    expect(documented().filter((op) => !routes.includes(op))).toEqual([]);
    expect(new Set(documented()).size).toBe(routes.length);
  });

  it('when the suite runs, then strict response validation is on (NODE_ENV=test), so every response of every test is checked', () => {
    expect(t.app.get('env')).toBe('test');
    expect(strictResponses(t.app)).toBe(true);
  });

  it('when the document is fetched, then it is the generated one, and it names each route the app answers', async () => {
    const res = await request(t.app).get('/api/v1/public/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
    // An admin route of the document answers as documented: 401 without a session token.
    const keys = await request(t.app).get(
      `/api/v1/workspaces/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/api-keys`,
    );
    expect(keys.status).toBe(401);
    expect((res.body as { paths: Record<string, unknown> }).paths).toHaveProperty([
      '/api/v1/workspaces/{workspaceId}/api-keys',
      'get',
      'responses',
      '401',
    ]);
  });

  it.each([
    ['not a UUID', 'abc'],
    ['a UUID as a URN (the uuid format allows it, PostgreSQL does not)', `urn:uuid:${randomUUID()}`],
    ['a UUID in braces', `{${randomUUID()}}`],
    ['10,000 characters', 'a'.repeat(10_000)],
  ])(
    'when a path id is %s, then the params schema answers 404 (as for another workspace), never 400 or 500',
    async (_name, bad) => {
      const ws = await createWorkspace(t.runtime.db);
      const key = await createApiKey(t.runtime.db, ws.workspaceId);
      const message = await request(t.app)
        .get(`/api/v1/public/messages/${encodeURIComponent(bad)}`)
        .set({ apiKey: key.apiKey, apiSecret: key.apiSecret });
      expect({
        status: message.status,
        code: (message.body as { error?: { code: string } }).error?.code,
      }).toEqual({
        status: 404,
        code: 'NOT_FOUND',
      });
      const login = await request(t.app)
        .post('/api/v1/auth/login')
        .send({ email: ws.ownerEmail, password: ws.password });
      const token = (login.body as { data: { token: string } }).data.token;
      const bearer = { authorization: `Bearer ${token}` };
      for (const path of [
        `/api/v1/workspaces/${encodeURIComponent(bad)}/api-keys`,
        `/api/v1/workspaces/${ws.workspaceId}/api-keys/${encodeURIComponent(bad)}`,
      ]) {
        const res = await (
          path.endsWith('/api-keys') ? request(t.app).get(path) : request(t.app).delete(path)
        ).set(bearer);
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
      }
    },
  );
});
