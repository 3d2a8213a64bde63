import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import { REPO_ROOT } from '@flowgate/testing';

/** The dashboard's session of one user through POST /api/v1/auth/session. */
export interface CookieSession {
  cookie: string;
  csrfToken: string;
  setCookie: string;
}

export async function sessionOf(app: Express, email: string, password: string): Promise<CookieSession> {
  const res = await request(app).post('/api/v1/auth/session').send({ email, password });
  if (res.status !== 200) throw new Error(`sign-in failed ${res.status}: ${JSON.stringify(res.body)}`);
  const setCookie = setCookieOf(res.headers['set-cookie']).find((c) => c.startsWith('flowgate_session='));
  if (setCookie === undefined) throw new Error('no session cookie');
  return {
    cookie: setCookie.split(';')[0] ?? '',
    csrfToken: (res.body as { data: { csrfToken: string } }).data.csrfToken,
    setCookie,
  };
}

export function setCookieOf(header: unknown): string[] {
  if (Array.isArray(header)) return header.filter((h): h is string => typeof h === 'string');
  return typeof header === 'string' ? [header] : [];
}

/**
 * Builds the dashboard with Vite into a fresh folder of its own (tests in parallel never share
 * one) and answers the folder; the app serves it through `dashboardDir`.
 */
export function buildDashboard(): string {
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'flowgate-dashboard-'));
  const vite = path.join(REPO_ROOT, 'services/dashboard/node_modules/vite/bin/vite.js');
  execFileSync(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: path.join(REPO_ROOT, 'services/dashboard'),
    stdio: 'pipe',
  });
  if (!existsSync(path.join(outDir, 'index.html')))
    throw new Error('the dashboard build wrote no index.html');
  return outDir;
}
