/**
 * The dashboard end to end in headless Chromium (docs/contracts.md §13, issue 15's acceptance):
 * Debian's chromium driven by playwright-core, against the real stack (API with the freshly built
 * app, a dispatcher process, the sandbox provider, PostgreSQL, RabbitMQ). Writes the README's
 * screenshots into docs/screenshots/. Chromium missing is a failure, never a skip: .ci/run
 * installs it.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildApp } from '@flowgate/public-api';
import {
  addMember,
  addTemplate,
  isolatedDatabase,
  ORDER_CONFIRMATION,
  PASSWORD,
  REPO_ROOT,
  startStack,
  waitFor,
  type Stack,
} from '@flowgate/testing';
import { buildDashboard } from './helpers';

const CHROMIUM = '/usr/bin/chromium';

/** The little of the page's DOM these tests read inside `page.evaluate` (the repo's lib has no DOM). */
interface PageGlobals {
  document: {
    cookie: string;
    documentElement: { scrollWidth: number };
    activeElement: { textContent: string | null } | null;
  };
  innerWidth: number;
  localStorage: Record<string, string> & { length: number };
  sessionStorage: Record<string, string> & { length: number };
}

const SCREENSHOTS = path.join(REPO_ROOT, 'docs/screenshots');

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

async function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('dashboard in headless Chromium', () => {
  let s: Stack;
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  let browser: Browser;
  let app: { server: http.Server; port: number };
  let receiver: { server: http.Server; port: number };
  const received: string[] = [];
  let base: string;
  let p: { workspaceId: string; phoneNumberIds: string[]; headers: Record<string, string> };
  let owner: { email: string };
  let member: { email: string };
  let dashboardDir: string | undefined;

  beforeAll(async () => {
    expect(existsSync(CHROMIUM)).toBe(true);
    mkdirSync(SCREENSHOTS, { recursive: true });
    dashboardDir = buildDashboard();
    database = await isolatedDatabase('dashboard');
    s = await startStack({ DATABASE_URL: database.url, DISPATCH_PAIR_BURST: '1000' });
    p = await s.partner();
    await addTemplate(s.db, p.workspaceId, ORDER_CONFIRMATION);
    const ownerRow = await s
      .db('memberships as m')
      .join('users as u', 'u.id', 'm.user_id')
      .where({ 'm.workspace_id': p.workspaceId, 'm.role': 'owner' })
      .first<{ email: string }>('u.email');
    owner = { email: ownerRow.email };
    member = await addMember(s.db, p.workspaceId, 'member');
    app = await listen(buildApp({ ...s.api.runtime.deps, dashboardDir }));
    // localhost: a secure context, where Chromium keeps the Secure cookie over http.
    base = `http://localhost:${app.port}`;
    receiver = await listen((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        received.push(raw);
        res.writeHead(200).end();
      });
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (app) await close(app.server);
    if (receiver) await close(receiver.server);
    await s?.close();
    await database?.drop();
    if (dashboardDir !== undefined) rmSync(dashboardDir, { recursive: true, force: true });
  });

  async function signIn(page: Page, email: string): Promise<void> {
    await page.goto(`${base}/`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
  }

  const sendWith = (pair: { apiKey: string; apiSecret: string }) =>
    fetch(`${base}/api/v1/public/messages/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', apiKey: pair.apiKey, apiSecret: pair.apiSecret },
      body: JSON.stringify({ type: 'text', phone: '447700900321', content: 'Sent with a dashboard key' }),
    });

  it('signs in, generates a labelled key whose secret is shown once, sends with it, revokes it in the UI: 401 within a second', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    expect(page.url()).toBe(`${base}/dashboard/`);
    await page.getByLabel('Email').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'sign-in.png') });
    await signIn(page, owner.email);

    // The session cookie: HttpOnly, SameSite=Strict, Secure (PostgreSQL, not embedded), expiring.
    const cookie = (await context.cookies()).find((c) => c.name === 'flowgate_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: true, path: '/api/v1' });
    expect(cookie?.expires).toBeGreaterThan(Date.now() / 1000 + 3600);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.cookie)).not.toContain(
      'flowgate_session',
    );

    await page.getByLabel('Label (optional)').fill('e2e production');
    await page.getByRole('button', { name: 'Generate key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByText('it will not be shown again').waitFor();
    const apiKey = await page.locator('#new-api-key').inputValue();
    const apiSecret = await page.locator('#new-api-secret').inputValue();
    expect(apiKey).toMatch(/^pk_[a-z0-9]{40}$/);
    expect(await page.locator('#new-bearer').inputValue()).toBe(`${apiKey}.${apiSecret}`);
    const curl = await page.locator('#new-curl').inputValue();
    expect(curl).toContain(`-H "apiKey: ${apiKey}" -H "apiSecret: ${apiSecret}"`);
    expect(curl).toContain(`${base}/api/v1/public/messages/send`);
    expect(await dialog.getByRole('button', { name: /^Copy/ }).count()).toBe(4);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'api-key-created.png') });

    // Nothing of it in web storage, ever.
    const storage = await page.evaluate(() =>
      JSON.stringify([
        { ...localStorage },
        { ...sessionStorage },
        localStorage.length,
        sessionStorage.length,
      ]),
    );
    expect(storage).toBe('[{},{},0,0]');

    await dialog.getByRole('button', { name: 'I have copied it' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(apiSecret);
    await page.reload();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    const row = page.locator(`tr[data-key="${apiKey}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('e2e production');
    expect(await page.content()).not.toContain(apiSecret);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'api-keys.png') });

    const sent = await sendWith({ apiKey, apiSecret });
    expect(sent.status).toBe(201);

    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    const revokedAt = Date.now();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    let status = 0;
    while (Date.now() - revokedAt < 1000) {
      status = (await sendWith({ apiKey, apiSecret })).status;
      if (status === 401) break;
    }
    expect(status).toBe(401);
    expect(Date.now() - revokedAt).toBeLessThan(1000);
    await row.getByText('active').waitFor({ state: 'detached' });

    // At 360 px wide: the page and its navigation fit, the table scrolls inside its box.
    await page.setViewportSize({ width: 360, height: 740 });
    const overflow = await page.evaluate(() => {
      const w = globalThis as unknown as PageGlobals;
      return w.document.documentElement.scrollWidth - w.innerWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'api-keys-360.png'), fullPage: true });
    await context.close();
  });

  it('a member sees the keys without generate or revoke, and the API refuses their changes with 403', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, member.email);
    await page.locator('tbody tr').first().waitFor();
    expect(await page.getByRole('button', { name: 'Generate key' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
    await page.getByText('Only owners and admins').waitFor();
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    expect(await page.getByRole('button', { name: 'Register webhook' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Templates' }).click();
    await page.getByText('order_confirmation').waitFor();
    expect(await page.getByRole('button', { name: 'Sync from Meta' }).count()).toBe(0);
    const statuses = await page.evaluate(async (ws) => {
      const me = (await (await fetch('/api/v1/auth/me')).json()) as { data: { csrfToken: string } };
      const headers = { 'content-type': 'application/json', 'X-CSRF-Token': me.data.csrfToken };
      const create = await fetch(`/api/v1/workspaces/${ws}/api-keys`, {
        method: 'POST',
        headers,
        body: '{}',
      });
      const hook = await fetch(`/api/v1/workspaces/${ws}/webhooks`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ url: 'https://example.com/x', events: ['*'] }),
      });
      return [create.status, hook.status];
    }, p.workspaceId);
    expect(statuses).toEqual([403, 403]);
    await context.close();
  });

  it('a cross-site page cannot change anything with the session (no cookie goes, no CSRF token): refused, no key made', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, owner.email);
    const before = await s
      .db('api_keys')
      .where({ workspace_id: p.workspaceId })
      .count<[{ count: string }]>('* as c');
    // Another site (another origin: 127.0.0.1 is not localhost) with the classic CSRF form: a
    // POST the browser sends on its own. SameSite=Strict keeps the cookie home, and without the
    // CSRF token the API would refuse it anyway (403, the API test).
    const target = `${base}/api/v1/workspaces/${p.workspaceId}/api-keys`;
    const evil = await listen((_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(
          `<form id="f" method="POST" action="${target}" enctype="text/plain">` +
            '<input name="{&quot;label&quot;:&quot;evil&quot;, &quot;x&quot;:&quot;" value="&quot;}"></form>',
        ),
    );
    await page.goto(`http://127.0.0.1:${evil.port}/`);
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url() === target),
      page.locator('#f').evaluate((form) => (form as unknown as { submit(): void }).submit()),
    ]);
    expect([401, 403, 415]).toContain(answer.status());
    await close(evil.server);
    const after = await s
      .db('api_keys')
      .where({ workspace_id: p.workspaceId })
      .count<[{ count: string }]>('* as c');
    expect(after).toEqual(before);
    await context.close();
  });

  it('registers a webhook (secret once) and a test event shows in its delivery log', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, owner.email);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByLabel('Endpoint URL').fill(`http://127.0.0.1:${receiver.port}/flowgate`);
    await page.getByRole('button', { name: 'Register webhook' }).click();
    const secret = await page.locator('#webhook-secret').inputValue();
    expect(secret).toMatch(/^whsec_/);
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Send test event' }).click();
    await page.getByRole('button', { name: 'Delivery log' }).click();
    const delivery = page.locator('tr[data-event="webhook.test"]');
    await delivery.waitFor();
    expect(await delivery.textContent()).toContain('200');
    expect(received.some((b) => b.includes('"event":"webhook.test"'))).toBe(true);
    expect(await page.content()).not.toContain(secret);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'webhooks.png'), fullPage: true });
    await context.close();
  });

  it('a broadcast’s progress bar reaches 100 %; messages, templates, contacts and phone numbers show', async () => {
    const created = await fetch(`${base}/api/v1/public/broadcasts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...p.headers },
      body: JSON.stringify({
        name: 'Dashboard launch',
        templateName: 'order_confirmation',
        recipients: Array.from({ length: 20 }, (_, i) => ({
          phone: `44770090${String(1000 + i)}`,
          templateVariables: { '1': `Customer ${i}`, '2': `#${i}`, '3': 'tomorrow' },
        })),
      }),
    });
    expect(created.status).toBe(201);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, owner.email);
    await page.getByRole('link', { name: 'Broadcasts' }).click();
    const bar = page.getByRole('progressbar', { name: 'Progress of Dashboard launch' });
    await bar.waitFor();
    await waitFor(
      'the broadcast at 100 %',
      async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        return (await bar.getAttribute('value')) === '100';
      },
      60_000,
      500,
    );
    await page.getByText('20 / 20 (100%)').waitFor();

    // A scheduled one is cancelled from the page.
    const later = await fetch(`${base}/api/v1/public/broadcasts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...p.headers },
      body: JSON.stringify({
        name: 'Next week',
        templateName: 'order_confirmation',
        scheduledAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
        recipients: [{ phone: '447700902001', templateVariables: { '1': 'A', '2': '#1', '3': 'soon' } }],
      }),
    });
    expect(later.status).toBe(201);
    await page.getByRole('button', { name: 'Refresh' }).click();
    const scheduled = page.locator('li.card', { hasText: 'Next week' });
    await scheduled.getByText('SCHEDULED', { exact: true }).waitFor();
    await scheduled.getByRole('button', { name: 'Cancel' }).click();
    await scheduled.getByText('CANCELLED', { exact: true }).waitFor();
    expect(await scheduled.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'broadcasts.png') });

    await page.getByRole('link', { name: 'Messages' }).click();
    await page.locator('tbody tr').first().waitFor();
    expect(await page.locator('tbody tr').count()).toBeGreaterThanOrEqual(20);
    await page.getByLabel('Status').selectOption('FAILED');
    await page.getByText('No messages.').waitFor();
    await page.getByLabel('Status').selectOption('');
    await page.locator('tbody tr').first().waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'messages.png') });
    await page.locator('tbody tr button.link').first().click();
    const history = page.getByRole('dialog');
    await history.getByText('ACCEPTED').first().waitFor();
    await history.getByText('SENT').first().waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });

    await page.getByRole('link', { name: 'Templates' }).click();
    await page.getByText('order_confirmation').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'templates.png') });

    await fetch(`${base}/api/v1/public/contacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...p.headers },
      body: JSON.stringify({
        phone: '447700900555',
        name: 'Asha Patel',
        email: 'asha@example.test',
        tags: ['vip'],
      }),
    });
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByLabel('Search').fill('no such contact');
    await page.keyboard.press('Enter');
    await page.getByText('No contacts found.').waitFor();
    await page.getByLabel('Search').fill('asha');
    await page.keyboard.press('Enter');
    await page.getByRole('cell', { name: 'Asha Patel' }).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'contacts.png') });

    await page.getByRole('link', { name: 'Phone numbers' }).click();
    await page.getByText('not connected').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'phone-numbers.png') });

    // Keyboard only: Tab reaches the navigation links, Enter follows one.
    await page.keyboard.press('Tab');
    let focused = '';
    for (let i = 0; i < 20 && focused !== 'API keys'; i += 1) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(
        () => (globalThis as unknown as PageGlobals).document.activeElement?.textContent ?? '',
      );
    }
    expect(focused).toBe('API keys');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'API keys' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').waitFor();
    expect((await context.cookies()).find((c) => c.name === 'flowgate_session')).toBeUndefined();
    await context.close();
  }, 120_000);

  it('the CSP of the app has no unsafe-inline script, and the page runs under it without violations', async () => {
    const res = await fetch(`${base}/dashboard/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(/script-src ([^;]*)/.exec(csp)?.[1]).toBe("'self'");
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await signIn(page, owner.email);
    expect(violations).toEqual([]);
    await context.close();
  });
});
