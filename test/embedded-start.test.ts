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

  it('when a newcomer pastes the printed cURL, then 201 and SENT; messages left unfinished by a stop all go out after a restart, each with one provider call, and the printed key keeps working', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'flowgate-embedded-'));
    const port = await freePort();
    const env = {
      FLOWGATE_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      SANDBOX_PORT: '0',
      LOG_LEVEL: 'warn',
      // Slow enough that a stop right after 200 sends leaves most of them unfinished.
      DISPATCH_RATE_PER_NUMBER: '40',
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
      for (const deadline = Date.now() + 10_000; Date.now() < deadline && status !== 'SENT'; await sleep(50))
        status = (await view(pasted.body.data.id)).status;
      expect(status).toBe('SENT');

      // Distinct recipients, so Meta's per-recipient pacing does not come into it.
      const sends = await inPool(MANY, 20, async (i) => {
        const res = await fetch(`${base}/messages/send`, {
          method: 'POST',
          headers: { ...headers, 'Content-Type': 'application/json' },
          body: JSON.stringify({
            type: 'text',
            phone: `9198${String(i).padStart(8, '0')}`,
            content: `m${i}`,
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
      unfinished = rows.filter((r) => r.status !== 'SENT').length;
    } finally {
      await db.destroy();
    }
    // The restart below has something to recover (at 40/s, 200 sends outrun the dispatcher).
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
        if (views.every((v) => v.status === 'SENT')) break;
      }
      const counts: Record<string, number> = {};
      for (const v of views) counts[v.status] = (counts[v.status] ?? 0) + 1;
      expect(counts).toEqual({ SENT: MANY + 2 });
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
