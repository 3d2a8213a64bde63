/**
 * The dashboard's one door to the admin API. The session is an httpOnly cookie the page never
 * sees; the CSRF token lives in this module's memory only (never localStorage/sessionStorage) and
 * is fetched again from GET /auth/me after a reload.
 */
export type Role = 'owner' | 'admin' | 'member';
export interface Workspace {
  id: string;
  name: string;
  role: Role;
}
export interface Session {
  user: { id: string; email: string };
  workspaces: Workspace[];
  csrfToken: string;
  expiresAt: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | undefined;
let onUnauthorized: (() => void) | undefined;

/** Called when a request answers 401 (the session expired or was signed out elsewhere). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== undefined) headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  const json: unknown = text === '' ? undefined : JSON.parse(text);
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (res.status === 401 && !path.startsWith('/auth/')) onUnauthorized?.();
    throw new ApiError(res.status, err?.code ?? 'ERROR', err?.message ?? `HTTP ${res.status}`);
  }
  return (json as { data: T }).data;
}

export async function signIn(email: string, password: string): Promise<Session> {
  const session = await request<Session>('POST', '/auth/session', { email, password });
  csrfToken = session.csrfToken;
  return session;
}

export async function me(): Promise<Session> {
  const session = await request<Session>('GET', '/auth/me');
  csrfToken = session.csrfToken;
  return session;
}

export async function signOut(): Promise<void> {
  await request('DELETE', '/auth/session');
  csrfToken = undefined;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  del: <T>(path: string) => request<T>('DELETE', path),
};

export const canManage = (role: Role): boolean => role === 'owner' || role === 'admin';
