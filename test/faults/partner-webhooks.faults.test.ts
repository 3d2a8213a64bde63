/**
 * Partner webhooks under faults (docs/contracts.md §10): 1,000 inbound messages come in through
 * Meta's intake, each a `message.received` event for the partner's endpoint, a local receiver that
 * verifies every delivery with the `standardwebhooks` library. While they are delivered: a
 * dispatcher is killed with SIGKILL (and another started), the receiver is down for a few seconds
 * (the retry schedule compressed through configuration), RabbitMQ stops and starts. Every event
 * must arrive; a duplicate may only come from a fault's window and carries the same webhook-id.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { sleep } from '@flowgate/testing';
import { rabbitStartApp, rabbitStopApp } from './support/instances';
import { formatAnswers, META_ENV, messagesChange, retrying, startMetaSender } from './support/meta';
import { startFaultStack } from './support/stack';

const EVENTS = 1000;
const RATE = 20;
const RETRY_SCHEDULE_MS = '0,500,1000,2000,4000,8000,15000';

interface Delivery {
  /** The body's `id`. */
  id: string;
  webhookId: string;
  at: number;
  verified: boolean;
  error?: string;
}

/** A receiver on one port that can go down (connections refused) and come back on the same port. */
async function receiver(secret: () => string) {
  const got: Delivery[] = [];
  let server: http.Server | undefined;
  let port = 0;
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(req.headers['webhook-id']),
        'webhook-timestamp': String(req.headers['webhook-timestamp']),
        'webhook-signature': String(req.headers['webhook-signature']),
      };
      let verified = false;
      let error: string | undefined;
      let id = '';
      try {
        const body = new Webhook(secret()).verify(raw, headers) as { id?: unknown };
        id = typeof body.id === 'string' ? body.id : '';
        verified = true;
      } catch (err) {
        error = String(err);
        try {
          id = String((JSON.parse(raw) as { id?: unknown }).id);
        } catch {
          id = '';
        }
      }
      got.push({
        id,
        webhookId: headers['webhook-id'],
        at: Date.now(),
        verified,
        ...(error ? { error } : {}),
      });
      // A little work per delivery, so that some are in flight when a fault hits.
      setTimeout(
        () => {
          res.writeHead(verified ? 200 : 400);
          res.end('ok');
        },
        10 + Math.floor(Math.random() * 90),
      );
    });
  };
  const start = async (): Promise<void> => {
    const s = http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const stop = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  };
  await start();
  return { url: () => `http://127.0.0.1:${port}/hook`, got, start, stop };
}

describe('fault: partner webhooks through a dispatcher kill, a receiver outage and a broker restart', () => {
  it('when a dispatcher is killed mid-delivery, the receiver is down for 5 s and RabbitMQ restarts, then every event is delivered (verified), duplicates only from fault windows and with the same webhook-id', async () => {
    const stack = await startFaultStack({
      ...META_ENV,
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_RETRY_SCHEDULE_MS: RETRY_SCHEDULE_MS,
    });
    let secret = '';
    const r = await receiver(() => secret);
    try {
      const partner = await stack.partner();
      const created = await fetch(`${stack.apis[0]?.url ?? ''}/api/v1/public/webhooks`, {
        method: 'POST',
        headers: { ...partner.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ url: r.url(), events: ['*'], description: 'fault suite receiver' }),
      });
      expect(created.status).toBe(201);
      const endpoint = ((await created.json()) as { data: { id: string; secret: string } }).data;
      secret = endpoint.secret;

      // 1,000 customers write once each: one message.received event each.
      const runId = Date.now().toString(36);
      const phoneOf = (i: number): string => `447702${String(i).padStart(6, '0')}`;
      const sender = startMetaSender({
        targets: () => stack.apis.map((a) => a.url),
        total: EVENTS,
        ratePerSec: RATE,
        body: (i) =>
          messagesChange(partner.providerPhoneNumberId, {
            contacts: [{ profile: { name: `Customer ${i}` }, wa_id: phoneOf(i) }],
            messages: [
              {
                from: phoneOf(i),
                id: `wamid.faults.${runId}.${i}`,
                timestamp: String(Math.floor(Date.now() / 1000)),
                type: 'text',
                text: { body: `hello ${i}` },
              },
            ],
          }),
      });
      const t = (ms: number): string => `${((ms - sender.startedAt) / 1000).toFixed(1)} s`;
      const at = async (ms: number): Promise<void> => {
        const wait = sender.startedAt + ms - Date.now();
        if (wait > 0) await sleep(wait);
      };
      const windows: Array<{ name: string; from: number; to: number }> = [];
      const faults: string[] = [];

      await at(6000);
      const victim = stack.dispatchers[0];
      if (victim === undefined) throw new Error('no dispatcher to kill');
      const killedAt = Date.now();
      await stack.kill(victim);
      const replacement = await stack.startDispatcher();
      windows.push({ name: 'dispatcher kill', from: killedAt, to: Date.now() });
      faults.push(
        `kill -9 ${victim.name} at ${t(killedAt)}, ${replacement.name} consuming at ${t(Date.now())}`,
      );

      await at(17_000);
      const receiverDownAt = Date.now();
      await r.stop();
      await sleep(5000);
      await r.start();
      windows.push({ name: 'receiver down', from: receiverDownAt, to: Date.now() });
      faults.push(`receiver down at ${t(receiverDownAt)}, back on the same port at ${t(Date.now())}`);

      await at(30_000);
      const rabbitIssuedAt = Date.now();
      await rabbitStopApp(stack.state.rabbit);
      const rabbitDownAt = Date.now();
      await sleep(8000);
      const rabbitStartAt = Date.now();
      await rabbitStartApp(stack.state.rabbit);
      windows.push({ name: 'broker restart', from: rabbitIssuedAt, to: Date.now() });
      faults.push(
        `rabbit stop_app at ${t(rabbitIssuedAt)} (down ${t(rabbitDownAt)}), start_app ${t(rabbitStartAt)}, up ${t(Date.now())}`,
      );

      const posted = await sender.done;
      const notOk = posted.outcomes.filter((o) => !o.ok).length;
      const retries = posted.outcomes.reduce((n, o) => n + o.attempts - 1, 0);

      // Drain: until every event of the workspace has reached the receiver.
      const deadline = Date.now() + 150_000;
      let eventIds: string[] = [];
      let missing: string[] = [];
      for (;;) {
        eventIds = (
          await retrying(() =>
            stack
              .db('partner_events')
              .where('workspace_id', partner.workspaceId)
              .select<Array<{ id: string }>>('id'),
          )
        ).map((e) => e.id);
        const received = new Set(r.got.filter((d) => d.verified).map((d) => d.id));
        missing = eventIds.filter((id) => !received.has(id));
        if ((eventIds.length >= EVENTS && missing.length === 0) || Date.now() > deadline) break;
        await sleep(500);
      }
      const drainedAt = Date.now();
      // Late duplicates (redelivered jobs, republished batches) get their chance to arrive.
      await sleep(5000);

      const inbound = Number(
        (
          await stack
            .db('inbound_messages')
            .where('workspace_id', partner.workspaceId)
            .count<Array<{ count: string }>>({ count: '*' })
        )[0]?.count ?? 0,
      );
      const outcomes = await stack
        .db('webhook_deliveries')
        .where('endpoint_id', endpoint.id)
        .groupBy('outcome')
        .select<Array<{ outcome: string; count: string }>>('outcome', stack.db.raw('count(*) as count'));
      const endpointRow = await stack
        .db('webhook_endpoints')
        .where('id', endpoint.id)
        .first<{ status: string; disabled_reason: string | null }>();

      const unverified = r.got.filter((d) => !d.verified);
      const idMismatch = r.got.filter((d) => d.webhookId !== d.id);
      const byId = new Map<string, Delivery[]>();
      for (const d of r.got) byId.set(d.id, [...(byId.get(d.id) ?? []), d]);
      const duplicated = [...byId.entries()].filter(([, ds]) => ds.length > 1);
      const duplicates = duplicated.reduce((n, [, ds]) => n + ds.length - 1, 0);
      // A duplicate's first copy was in flight (or its job unacknowledged) when a fault hit:
      // it arrived shortly before the fault or during it (its batch queued behind others: 10 s).
      const perWindow = new Map<string, number>();
      const outside: string[] = [];
      for (const [id, ds] of duplicated) {
        const first = Math.min(...ds.map((d) => d.at));
        // The latest fault that had begun by then (the windows may overlap).
        const w = windows
          .filter((x) => first >= x.from - 3000 && first <= x.to + 10_000)
          .sort((a, b) => b.from - a.from)[0];
        if (w === undefined) outside.push(`${id}: ${ds.map((d) => t(d.at)).join(', ')}`);
        else perWindow.set(w.name, (perWindow.get(w.name) ?? 0) + ds.length - 1);
      }
      const events = new Set(eventIds);
      const foreign = [...byId.keys()].filter((id) => !events.has(id));

      const line = `partner-webhooks: ${EVENTS} inbound posted at ${RATE}/s (sender retries ${retries}: ${formatAnswers(posted.answers)}; given up ${notOk}), ${inbound} stored, ${eventIds.length} events; receiver got ${r.got.length} deliveries of ${byId.size} events, duplicates ${duplicates} (${duplicated.length} events: ${[...perWindow.entries()].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}; outside any fault window ${outside.length}), unverified ${unverified.length}, missing ${missing.length}; drained ${((drainedAt - posted.lastOkAt) / 1000).toFixed(1)} s after the last post; attempts logged ${outcomes.map((o) => `${o.outcome}×${o.count}`).join(', ')}; faults: ${faults.join('; ')}`;
      process.stdout.write(`\n${line}\n`);
      for (const [id, ds] of duplicated.slice(0, 10))
        process.stdout.write(
          `  duplicate ${id}: ${ds.map((d) => `${t(d.at)} webhook-id ${d.webhookId}`).join(' | ')}\n`,
        );

      expect(notOk).toBe(0);
      expect(inbound).toBe(EVENTS);
      expect(eventIds).toHaveLength(EVENTS);
      expect(missing.slice(0, 20)).toEqual([]);
      expect(unverified.slice(0, 5)).toEqual([]);
      expect(idMismatch.slice(0, 5)).toEqual([]);
      expect(foreign).toEqual([]);
      expect(outside.slice(0, 20)).toEqual([]);
      expect(outcomes.filter((o) => o.outcome === 'failed' || o.outcome === 'endpoint_disabled')).toEqual([]);
      expect(endpointRow?.status).toBe('active');
    } finally {
      await r.stop();
      await stack.close('partner-webhooks');
    }
  }, 420_000);
});
