import request from 'supertest';
import { createTestApp, type TestApp } from '@flowgate/testing';

/** GET /docs: the interactive reference, served from here under helmet's CSP (docs/contracts.md §14). */
describe('GET /docs', () => {
  let api: TestApp;
  beforeAll(async () => {
    api = await createTestApp();
  });
  afterAll(async () => {
    await api.close();
  });

  it('serves a page with no inline script, under a CSP that allows scripts from this origin only', async () => {
    const res = await request(api.app).get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(res.headers['content-security-policy']);
    const directive = (name: string): string => new RegExp(`(?:^|;)${name} ([^;]*)`).exec(csp)?.[1] ?? '';
    expect(directive('script-src')).toBe("'self'");
    expect(directive('script-src-attr')).toBe("'none'");
    expect(directive('default-src')).toBe("'self'");
    expect(directive('connect-src')).toBe("'self'");
    expect(csp).not.toMatch(/unsafe-eval|https:/);
    // Every script is a file of this origin; none has a body.
    const scripts = [...res.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBe(2);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/ src="\/docs\//);
      expect(body?.trim()).toBe('');
    }
    expect(res.text).not.toMatch(/https?:\/\//);
  });

  it('serves the Scalar bundle and the start script from here, pointed at the served openapi.json', async () => {
    const page = await request(api.app).get('/docs');
    const sources = [...page.text.matchAll(/src="([^"]+)"/g)].map((m) => m[1] ?? '');
    for (const src of sources) {
      const res = await request(api.app).get(src);
      expect({ src, status: res.status }).toEqual({ src, status: 200 });
      expect(res.headers['content-type']).toMatch(/^application\/javascript/);
    }
    const bundle = await request(api.app)
      .get(sources[0] ?? '')
      .buffer(true)
      .parse((r, cb) => {
        let size = 0;
        r.on('data', (c: Buffer) => (size += c.length));
        r.on('end', () => cb(null, size));
      });
    expect(bundle.body).toBeGreaterThan(1_000_000);
    const init = await request(api.app).get(sources[1] ?? '');
    const url = /"url":"([^"]+)"/.exec(init.text)?.[1] ?? '';
    expect(init.text).toContain("Scalar.createApiReference('#api-reference'");
    const doc = await request(api.app).get(url);
    expect(doc.status).toBe(200);
    expect(doc.body).toMatchObject({ openapi: '3.1.0' });
  });

  it('answers unknown docs paths with the usual 404 envelope', async () => {
    const res = await request(api.app).get('/docs/assets/../../etc/passwd');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });
});
