import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, startProcess, type ServiceProcess } from './support/processes';

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
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('pnpm start (embedded: PGlite, in-process broker, sandbox provider)', () => {
  it('when a newcomer pastes the printed cURL, then 201, the message is SENT within two seconds, and the key survives a restart', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'flowgate-embedded-'));
    const env = {
      FLOWGATE_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      SANDBOX_PORT: '0',
      LOG_LEVEL: 'warn',
    };

    const first = startProcess('scripts/start.ts', env);
    let printed: Awaited<ReturnType<typeof banner>>;
    try {
      printed = await banner(first);
      expect(printed.text).toContain('Demo workspace created.');
      const { stdout } = await exec('bash', ['-c', printed.curl.replace(/\\\n/g, ' ')]);
      const sent = JSON.parse(stdout) as { success: boolean; data: { id: string; status: string } };
      expect(sent).toMatchObject({ success: true, data: { status: 'ACCEPTED' } });
      const acceptedAt = Date.now();
      let status = '';
      while (Date.now() - acceptedAt < 2000 && status !== 'SENT') {
        const res = await fetch(`http://127.0.0.1:${env.PORT}/api/v1/public/messages/${sent.data.id}`, {
          headers: { apiKey: printed.apiKey, apiSecret: printed.apiSecret },
        });
        status = ((await res.json()) as { data: { status: string } }).data.status;
        if (status !== 'SENT') await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe('SENT');
    } finally {
      expect(await first.stop()).toBe(0);
    }

    const second = startProcess('scripts/start.ts', env);
    try {
      const again = await banner(second);
      expect(again.text).toContain('Demo workspace reused.');
      expect(again.apiKey).toBe(printed.apiKey);
      const res = await fetch(`http://127.0.0.1:${env.PORT}/api/v1/public/templates`, {
        headers: { apiKey: printed.apiKey, apiSecret: printed.apiSecret },
      });
      expect(res.status).toBe(200);
      const names = (
        (await res.json()) as { data: { templates: Array<{ name: string }> } }
      ).data.templates.map((t) => t.name);
      expect(names).toEqual(['order_confirmation', 'payment_thank_you', 'summer_carousel']);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 120_000);
});
