import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDatabase } from '@flowgate/db';
import { freePort, REPO_ROOT, startProcess, type ServiceProcess } from '@flowgate/testing';
import { inPool, sleep } from '@flowgate/testing';

const exec = promisify(execFile);

/** Waits for the start banner and returns the printed key pair and the send cURL. */
async function banner(
  proc: ServiceProcess,
): Promise<{ apiKey: string; apiSecret: string; curl: string; text: string }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const text = proc.output.join('');
    const apiKey = /apiKey:\s+(pk_[a-z0-9]{40})/.exec(text)?.[1];
    const apiSecret = /apiSecret:\s+(\S+)/.exec(text)?.[1];
    const curl = /(curl -sS -X POST[\s\S]*?'\{.*\}')/.exec(text)?.[1];
    if (apiKey && apiSecret && curl) return { apiKey, apiSecret, curl, text };
    if (proc.child.exitCode !== null || Date.now() > deadline) throw new Error(`no banner:\n${text}`);
    await sleep(100);
  }
}

/** Runs the printed cURL exactly as a newcomer pastes it (plus `-w` to see the HTTP status). */
async function pasteCurl(curl: string): Promise<{ status: number; body: { data: { id: string } } }> {
  const { stdout } = await exec('bash', ['-c', `${curl.replace(/\\\n/g, ' ')} -w '\\n%{http_code}'`]);
  const lines = stdout.trimEnd().split('\n');
  const status = Number(lines.pop());
  return { status, body: JSON.parse(lines.join('\n')) as { data: { id: string } } };
}

/** Sent, and maybe further along (the sandbox posts Meta's delivered and read). */
const DONE = new Set(['SENT', 'DELIVERED', 'READ']);

interface View {
  status: string;
  history: Array<{ status: string; detail?: string }>;
}

describe('pnpm start (embedded: PGlite, in-process broker, sandbox provider)', () => {
  it('`pnpm start` runs scripts/start.ts, the entry point these tests start', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['start']).toBe('scripts/node --import tsx scripts/start.ts');
  });

  it('when a newcomer pastes the printed cURL, then 201 and READ (the sandbox plays Meta); a simulated reply shows in GET /conversations; messages left unfinished by a stop all go out after a restart, each with one provider call, and the printed key keeps working', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'flowgate-embedded-'));
    const port = await freePort();
    const env = {
      FLOWGATE_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      SANDBOX_PORT: '0',
      LOG_LEVEL: 'warn',
      // Slow enough that a stop right after 200 sends leaves most of them unfinished.
      DISPATCH_RATE_PER_NUMBER: '15',
      // The test polls 200 messages at once; the default partner limit (100/s) would answer 429.
      PARTNER_RATE_LIMIT_PER_SECOND: '100000',
      PARTNER_RATE_LIMIT_BURST: '100000',
    };
    const base = `http://127.0.0.1:${port}/api/v1/public`;
    const MANY = 200;

    const first = startProcess('scripts/start.ts', env);
    let printed: Awaited<ReturnType<typeof banner>>;
    let ids: string[];
    try {
      printed = await banner(first);
      expect(printed.text).toContain('Demo workspace created.');
      const headers = { apiKey: printed.apiKey, apiSecret: printed.apiSecret };
      const view = async (id: string): Promise<View> => {
        const res = await fetch(`${base}/messages/${id}`, { headers });
        return ((await res.json()) as { data: View }).data;
      };

      const pasted = await pasteCurl(printed.curl);
      expect(pasted.status).toBe(201);
      expect(pasted.body).toMatchObject({ success: true, data: { status: 'ACCEPTED' } });
      let status = '';
      for (const deadline = Date.now() + 20_000; Date.now() < deadline && status !== 'READ'; await sleep(100))
        status = (await view(pasted.body.data.id)).status;
      expect(status).toBe('READ');

      // The README's reply: the sandbox posts the customer's message as Meta would.
      const sandboxUrl = /Sandbox provider[^:]*: (http:\/\/\S+)/.exec(printed.text)?.[1];
      expect(sandboxUrl).toBeDefined();
      const inbound = await fetch(`${sandboxUrl ?? ''}/_sandbox/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          phoneNumberId: '100000000000001',
          from: '919876543210',
          name: 'Asha',
          text: 'Can I change the address?',
        }),
      });
      expect(inbound.status).toBe(200);
      let previews: string[] = [];
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(100)) {
        const res = await fetch(`${base}/conversations`, { headers });
        const convs = ((await res.json()) as { data: { conversations: Array<{ id: string }> } }).data
          .conversations;
        const msgs = await fetch(`${base}/conversations/${convs[0]?.id ?? 'none'}/messages`, { headers });
        previews = msgs.ok
          ? (
              (await msgs.json()) as {
                data: { messages: Array<{ direction: string; content: { body?: string } }> };
              }
            ).data.messages
              .filter((m) => m.direction === 'inbound')
              .map((m) => m.content.body ?? '')
          : [];
        if (previews.includes('Can I change the address?')) break;
      }
      expect(previews).toContain('Can I change the address?');

      // Distinct recipients, so Meta's per-recipient pacing does not come into it.
      const sends = await inPool(MANY, 20, async (i) => {
        const res = await fetch(`${base}/messages/send`, {
          method: 'POST',
          headers: { ...headers, 'Content-Type': 'application/json' },
          // Recipients who never wrote: only a template may reach them (the 24 h rule).
          body: JSON.stringify({
            type: 'template',
            phone: `9198${String(i).padStart(8, '0')}`,
            templateName: 'order_confirmation',
            templateVariables: { '1': 'Asha', '2': `#${i}`, '3': 'tomorrow' },
          }),
        });
        return { status: res.status, id: ((await res.json()) as { data: { id: string } }).data.id };
      });
      expect(sends.map((s) => s.status)).toEqual(Array<number>(MANY).fill(201));
      ids = [pasted.body.data.id, ...sends.map((s) => s.id)];
    } finally {
      expect(await first.stop()).toBe(0);
    }

    // Stopped: what the in-process broker held is gone; the database still has the messages.
    const db = createDatabase({ kind: 'pglite', dir: path.join(dataDir, 'pglite') });
    let unfinished: number;
    try {
      const rows = await db('messages').whereIn('id', ids).select<Array<{ status: string }>>('status');
      expect(rows).toHaveLength(MANY + 1);
      unfinished = rows.filter((r) => !DONE.has(r.status)).length;
    } finally {
      await db.destroy();
    }
    // The restart below has something to recover (at 15/s, 200 sends outrun the dispatcher).
    expect(unfinished).toBeGreaterThan(0);
    console.log(`embedded restart: ${unfinished} of ${MANY + 1} messages were unfinished at the stop`);

    const second = startProcess('scripts/start.ts', env);
    try {
      const again = await banner(second);
      expect(again.text).toContain('Demo workspace reused.');
      expect([again.apiKey, again.apiSecret]).toEqual([printed.apiKey, printed.apiSecret]);
      const headers = { apiKey: printed.apiKey, apiSecret: printed.apiSecret };

      const pasted = await pasteCurl(again.curl);
      expect(pasted.status).toBe(201);
      const all = [...ids, pasted.body.data.id];

      let views: View[] = [];
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(500)) {
        views = await inPool(all.length, 20, async (i) => {
          const res = await fetch(`${base}/messages/${all[i] ?? ''}`, { headers });
          return ((await res.json()) as { data: View }).data;
        });
        if (views.every((v) => DONE.has(v.status))) break;
      }
      expect(views.filter((v) => DONE.has(v.status))).toHaveLength(MANY + 2);
      // One claim, so one provider call, per message: a second call would need a second SENDING
      // event (or a taken-over claim) in its history.
      for (const v of views) {
        const sending = v.history.filter((h) => h.status === 'SENDING');
        expect({
          sending: sending.map((h) => h.detail),
          sent: v.history.filter((h) => h.status === 'SENT').length,
        }).toEqual({ sending: ['attempt 1'], sent: 1 });
      }

      const res = await fetch(`${base}/templates`, { headers });
      expect(res.status).toBe(200);
      const names = (
        (await res.json()) as { data: { templates: Array<{ name: string }> } }
      ).data.templates.map((t) => t.name);
      expect(names).toEqual(['order_confirmation', 'payment_thank_you', 'summer_carousel']);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 180_000);
});
