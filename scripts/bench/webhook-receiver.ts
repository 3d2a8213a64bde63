/**
 * The partner's side of the webhooks step (./webhooks): a bare node:http receiver, run as its own
 * process (WEBHOOK_RECEIVER_PORT), that verifies every delivery as a partner would, with the
 * official `standardwebhooks` library (`new Webhook(secret).verify(raw, headers)`) and the
 * `X-Flowgate-Signature` check of Fliok's snippet (hex HMAC-SHA256 of the raw body, keyed with the
 * whole secret), and records when each one arrived (Date.now(), the clock the orchestrator's insert
 * times use). The orchestrator gives it the endpoint's secret and takes the arrivals over IPC.
 * Every delivery is answered 204 when it verifies, else 400 (a partner rejects a bad signature).
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { Webhook } from 'standardwebhooks';
import type { FromReceiver } from './webhooks';

const port = Number(process.env['WEBHOOK_RECEIVER_PORT'] ?? '3998');

let secret: string | undefined;
let verifier: Webhook | undefined;
/** Arrivals not yet taken: event id, arrival time (ms since the epoch), verified. */
let arrivals: Array<[string, number, boolean]> = [];
/** The first few verification failures, for the report. */
let failures: string[] = [];

function check(raw: string, headers: http.IncomingHttpHeaders): { id: string; error?: string } {
  const id = typeof headers['webhook-id'] === 'string' ? headers['webhook-id'] : '';
  if (!verifier || secret === undefined) return { id, error: 'no secret yet' };
  let body: unknown;
  try {
    // Verified, then parsed (the library's default): what a partner's handler gets.
    body = verifier.verify(raw, {
      'webhook-id': id,
      'webhook-timestamp': String(headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(headers['webhook-signature'] ?? ''),
    });
  } catch (err) {
    return { id, error: `standardwebhooks: ${err instanceof Error ? err.message : String(err)}` };
  }
  const hex = createHmac('sha256', secret).update(raw).digest('hex');
  if (headers['x-flowgate-signature'] !== hex) return { id, error: 'x-flowgate-signature does not match' };
  const bodyId = typeof body === 'object' && body !== null ? (body as { id?: unknown }).id : undefined;
  if (bodyId !== id) return { id, error: `the body's id ${String(bodyId)} is not webhook-id ${id}` };
  return { id };
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = Date.now();
    const raw = Buffer.concat(chunks).toString('utf8');
    const { id, error } = check(raw, req.headers);
    arrivals.push([id, at, error === undefined]);
    if (error !== undefined && failures.length < 5) failures.push(`${id || '(no webhook-id)'}: ${error}`);
    res.writeHead(error === undefined ? 204 : 400).end();
  });
});
server.keepAliveTimeout = 30_000;

process.on('message', (msg: unknown) => {
  const m = msg as { type?: string; secret?: string };
  if (m.type === 'secret' && typeof m.secret === 'string') {
    secret = m.secret;
    verifier = new Webhook(m.secret);
    send({ type: 'secret-set' });
  } else if (m.type === 'take') {
    send({ type: 'arrivals', arrivals, failures });
    arrivals = [];
    failures = [];
  } else if (m.type === 'exit') stop();
});

function send(msg: FromReceiver): void {
  process.send?.(msg);
}

server.listen(port, '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'webhook receiver listening', port }));
  send({ type: 'ready' });
});

const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
