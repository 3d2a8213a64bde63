import { existsSync } from 'node:fs';
import path from 'node:path';
import { Router } from 'express';
import helmet from 'helmet';

/**
 * `GET /docs`: the interactive API reference (docs/contracts.md §14), Scalar's standalone bundle rendering
 * `openapi.json`, every file served from here (no CDN). The page has no inline script: it loads
 * the bundle and `/docs/init.js`, which starts it. helmet's CSP stays as for every route, with two
 * changes on these paths only: `font-src` and `style-src` lose `https:` (nothing is fetched from
 * another origin; Scalar's own fonts are off), and `connect-src 'self'` is spelled out for the
 * document fetch and the "try it" requests (same origin). Scalar injects its styles at run time,
 * which helmet's default `style-src 'unsafe-inline'` allows; scripts stay `'self'` only.
 */
export const DOCS_PATH = '/docs';
export const SCALAR_BUNDLE_PATH = '/docs/assets/scalar-standalone.js';
export const DOCS_INIT_PATH = '/docs/init.js';

/** The bundle: beside the compiled server (dist/docs-assets, ADR 0028), else from the package. */
function scalarBundle(): string {
  const compiled = path.join(__dirname, 'docs-assets', 'scalar-standalone.js');
  if (existsSync(compiled)) return compiled;
  // @scalar/api-reference's exports hide its browser build; its main file sits next to it.
  const main = require.resolve('@scalar/api-reference');
  return path.join(path.dirname(main), 'browser', 'standalone.js');
}

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Flowgate API reference</title>
  </head>
  <body>
    <div id="api-reference"></div>
    <script src="${SCALAR_BUNDLE_PATH}"></script>
    <script src="${DOCS_INIT_PATH}"></script>
  </body>
</html>
`;

/** Starts Scalar on the page's element with the served document. */
export function docsInitScript(openapiUrl: string): string {
  const config = {
    url: openapiUrl,
    withDefaultFonts: false,
    hideDownloadButton: false,
    telemetry: false,
    theme: 'default',
    metaData: { title: 'Flowgate API reference' },
  };
  return `/* Flowgate: starts the API reference (served as a file: no inline script under the CSP). */
Scalar.createApiReference('#api-reference', ${JSON.stringify(config)});
`;
}

export function docsRouter(openapiUrl: string): Router {
  const router = Router();
  const bundle = scalarBundle();
  const init = docsInitScript(openapiUrl);
  router.use(
    DOCS_PATH,
    helmet({
      contentSecurityPolicy: {
        directives: {
          'font-src': ["'self'", 'data:'],
          'style-src': ["'self'", "'unsafe-inline'"],
          'connect-src': ["'self'"],
        },
      },
    }),
  );
  router.get(DOCS_PATH, (_req, res) => {
    res.type('html').setHeader('Cache-Control', 'no-cache').send(PAGE);
  });
  router.get(DOCS_INIT_PATH, (_req, res) => {
    res.type('application/javascript').setHeader('Cache-Control', 'no-cache').send(init);
  });
  router.get(SCALAR_BUNDLE_PATH, (_req, res, next) => {
    res.sendFile(
      bundle,
      {
        maxAge: '1d',
        // The development copy lives under node_modules/.pnpm (a dot directory); the path is ours, not the client's.
        dotfiles: 'allow',
        headers: { 'Content-Type': 'application/javascript; charset=utf-8' },
      },
      (err) => {
        if (err) next(err);
      },
    );
  });
  return router;
}
