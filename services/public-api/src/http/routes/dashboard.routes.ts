import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';

/**
 * The dashboard (docs/contracts.md §13, ADR 0045): the Vite build of services/dashboard served as
 * static files at /dashboard/. Hashed files under /dashboard/assets/ never change (a year,
 * immutable); index.html is revalidated on every load (no-cache), so a new build is picked up at
 * once. `/` redirects to `/dashboard/`. helmet's CSP is the one of every route: the build has no
 * inline script (Vite emits external module scripts).
 */
export const DASHBOARD_PATH = '/dashboard';

/** The built app: beside the compiled server (dist/dashboard, ADR 0028), else the package's build. */
export function defaultDashboardDir(): string {
  const compiled = path.join(__dirname, 'dashboard');
  if (existsSync(path.join(compiled, 'index.html'))) return compiled;
  return path.resolve(__dirname, '../../../../dashboard/dist');
}

export function dashboardRouter(dir: string = defaultDashboardDir()): Router {
  const router = Router();
  const index = path.join(dir, 'index.html');

  router.get('/', (_req, res) => res.redirect(302, `${DASHBOARD_PATH}/`));
  router.use(
    `${DASHBOARD_PATH}/assets`,
    express.static(path.join(dir, 'assets'), {
      index: false,
      fallthrough: false,
      immutable: true,
      maxAge: '365d',
    }),
  );
  // `/dashboard` and `/dashboard/` alike (Express matches both); the app wants the slash.
  router.get(`${DASHBOARD_PATH}/`, (req, res) => {
    if (!req.originalUrl.split('?')[0]?.endsWith('/')) return res.redirect(301, `${DASHBOARD_PATH}/`);
    if (!existsSync(index)) {
      res
        .status(503)
        .type('text/plain')
        .send('The dashboard is not built: run `pnpm build` (or `pnpm start`, which builds it).\n');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  // Anything else under /dashboard/ (favicon and the like), revalidated on every load.
  router.use(
    DASHBOARD_PATH,
    express.static(dir, { index: false, setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache') }),
  );
  return router;
}
