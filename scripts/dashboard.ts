/**
 * The dashboard's build (docs/contracts.md §13, ADR 0045): Vite writes services/dashboard/dist,
 * which public-api serves at /dashboard/ (a compiled server serves dist/dashboard, copied by
 * `pnpm build`). `pnpm start` builds it when it is missing. No esbuild here: the compiled
 * `dist/start.js` imports this file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const DASHBOARD_ROOT = path.resolve(__dirname, '../services/dashboard');
export const DASHBOARD_BUILD = path.join(DASHBOARD_ROOT, 'dist');

/** Builds the dashboard with Vite into services/dashboard/dist and answers that folder. */
export function buildDashboard(): string {
  const vite = path.join(DASHBOARD_ROOT, 'node_modules/vite/bin/vite.js');
  execFileSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: DASHBOARD_ROOT,
    stdio: 'inherit',
  });
  return DASHBOARD_BUILD;
}

/**
 * `pnpm start`: builds the dashboard when `servedFrom` has no index.html and the sources are here
 * (a compiled install has dist/dashboard already). Answers whether the dashboard can be served.
 */
export function ensureDashboard(servedFrom: string): boolean {
  if (existsSync(path.join(servedFrom, 'index.html'))) return true;
  if (!existsSync(path.join(DASHBOARD_ROOT, 'vite.config.ts'))) return false;
  process.stdout.write('Building the dashboard (services/dashboard, Vite)…\n');
  try {
    buildDashboard();
  } catch (err) {
    process.stderr.write(
      `The dashboard could not be built: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return false;
  }
  return existsSync(path.join(servedFrom, 'index.html'));
}
