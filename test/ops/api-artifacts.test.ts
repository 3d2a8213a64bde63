import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildOpenApiDocument } from '@flowgate/contracts';

const ROOT = path.join(__dirname, '..', '..');
const SDK_TYPES = 'packages/sdk/src/generated/openapi.ts';
const POSTMAN_COLLECTION = 'docs/postman/flowgate.postman_collection.json';
const run = promisify(execFile);

/**
 * The SDK's types and the Postman collection are what `pnpm generate` makes of today's document.
 * The generator runs as its own process (openapi-typescript loads ES modules, which Jest's
 * CommonJS runtime cannot on every Node version), as CI's `pnpm generate --check` does.
 */
describe('generated API artifacts', () => {
  it('are up to date with the OpenAPI document, and regenerating gives the same bytes', async () => {
    // Two independent runs must both match the committed files: ids and fake examples are stable.
    for (let i = 0; i < 2; i += 1) {
      const { stdout } = await run('pnpm', ['exec', 'tsx', 'scripts/generate-api-artifacts.ts', '--check'], {
        cwd: ROOT,
      }).catch((err: Error & { stderr?: string }) => {
        throw new Error(`stale generated files; run \`pnpm generate\`:\n${err.stderr ?? err.message}`);
      });
      expect(stdout).toContain('up to date');
    }
  }, 120_000);

  it('the Postman collection has a request for every operation of the document, with Basic auth variables', () => {
    const doc = buildOpenApiDocument();
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    interface Item {
      item?: Item[];
      request?: { method: string; url: { path: string[] } };
    }
    const collection = JSON.parse(readFileSync(path.join(ROOT, POSTMAN_COLLECTION), 'utf8')) as Item & {
      auth: { type: string };
      variable: Array<{ key: string }>;
    };
    const requests: string[] = [];
    const walk = (item: Item): void => {
      if (item.request) requests.push(`${item.request.method} /${item.request.url.path.join('/')}`);
      item.item?.forEach(walk);
    };
    walk(collection);
    expect(requests.sort()).toEqual(operations.sort());
    expect(collection.auth.type).toBe('basic');
    expect(collection.variable.map((v) => v.key)).toEqual(['baseUrl', 'apiKey', 'apiSecret']);
    expect(readFileSync(path.join(ROOT, SDK_TYPES), 'utf8')).toContain('export interface paths');
  });
});
