import { timingSafeEqual, createHash } from 'node:crypto';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every Prometheus series Flowgate exports (docs/contracts.md §14), in one place, with stable names. A
 * feature increments the series defined here and never creates its own, so the dashboard in
 * infra/grafana/ and the alerts built on it keep working. Names follow Prometheus conventions:
 * `flowgate_` prefix, `_total` for counters, base units (seconds), low-cardinality labels only
 * (route templates, never ids; Meta codes; enumerated outcomes).
 *
 * One registry per process: in embedded mode the API and the dispatcher share it, and both
 * /metrics endpoints show the same numbers.
 */
export const registry = new Registry();

let defaultsStarted = false;
/** Node's process metrics (CPU, memory, event-loop lag, GC, handles), once per process. */
export function startDefaultMetrics(): void {
  if (defaultsStarted) return;
  defaultsStarted = true;
  collectDefaultMetrics({ register: registry, prefix: 'flowgate_' });
}

/** Outcomes of one provider call as the dispatcher records it (`parked`: attempts used up on the broker). */
export type DispatchOutcomeLabel = 'sent' | 'retry' | 'failed' | 'parked';
/** What a partner webhook delivery attempt ended as (docs/contracts.md §10). */
export type PartnerDeliveryOutcome = 'delivered' | 'failed' | 'retry_scheduled' | 'endpoint_disabled';
/** Kinds of a Meta webhook entry's change (docs/contracts.md §9). */
export type MetaEventKind = 'status' | 'message' | 'template_status' | 'payment' | 'unknown';
/** Which limiter refused a request (docs/contracts.md §2.1, §12). */
export type RateLimiter = 'partner' | 'auth_key' | 'auth_ip' | 'auth_queue';

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const metrics = {
  /** Every HTTP request answered by public-api, by method, route template and status. */
  httpRequests: new Counter({
    name: 'flowgate_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  }),
  httpRequestDuration: new Histogram({
    name: 'flowgate_http_request_duration_seconds',
    help: 'Time from a request arriving to its response finishing, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  }),
  /** A send answered 201 for the first time (idempotent replays are not counted again). */
  sendsAccepted: new Counter({
    name: 'flowgate_sends_accepted_total',
    help: 'Messages accepted (201, stored durably), by message type.',
    labelNames: ['type'] as const,
    registers: [registry],
  }),
  /** One per provider call outcome; `meta_code` is Meta's error code, or `none`. */
  dispatchOutcomes: new Counter({
    name: 'flowgate_dispatch_outcomes_total',
    help: 'Provider call outcomes recorded by the dispatcher, by outcome and Meta error code ("none" on success).',
    labelNames: ['outcome', 'meta_code'] as const,
    registers: [registry],
  }),
  providerCallDuration: new Histogram({
    name: 'flowgate_provider_call_duration_seconds',
    help: 'Duration of one Cloud API call made by the dispatcher.',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  }),
  /** Messages waiting, by stage; set at scrape time by the probe given to setQueueProbe. */
  queueDepth: new Gauge({
    name: 'flowgate_queue_depth',
    help: 'Messages waiting to be delivered to the provider, by queue (outbox: stored, not yet SENT; broker: ready in the work queue).',
    labelNames: ['queue'] as const,
    registers: [registry],
  }),
  queueOldestAge: new Gauge({
    name: 'flowgate_queue_oldest_age_seconds',
    help: 'Age of the oldest message waiting in the outbox (0 when empty; broker queues report their wait in flowgate_queue_wait_seconds).',
    labelNames: ['queue'] as const,
    registers: [registry],
  }),
  /** Accept → first claim by a dispatcher: how long messages wait in the queues. */
  queueWait: new Histogram({
    name: 'flowgate_queue_wait_seconds',
    help: 'Time from a message being accepted to a dispatcher claiming it for its first provider attempt.',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  }),
  authCacheLookups: new Counter({
    name: 'flowgate_auth_cache_lookups_total',
    help: 'Partner credential checks by verification cache result (hit: no argon2 run).',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  argon2Verifications: new Counter({
    name: 'flowgate_auth_argon2_verifications_total',
    help: 'argon2id verifications run for partner credentials, by result (match or mismatch).',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  argon2Duration: new Histogram({
    name: 'flowgate_auth_argon2_duration_seconds',
    help: 'Duration of one argon2id verification, including the wait for a verification slot.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  }),
  /** Defined for the Meta webhook intake (docs/contracts.md §9): one per change in a signed body. */
  metaEventsReceived: new Counter({
    name: 'flowgate_meta_events_received_total',
    help: 'Events received from Meta webhooks, by kind (status, message, template_status, payment, unknown).',
    labelNames: ['kind'] as const,
    registers: [registry],
  }),
  /** Defined for partner webhooks (docs/contracts.md §10): one per delivery attempt. */
  partnerDeliveries: new Counter({
    name: 'flowgate_partner_webhook_deliveries_total',
    help: 'Partner webhook delivery attempts, by outcome (delivered, failed, retry_scheduled, endpoint_disabled).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  /** Partner rate limits decided per process because Redis did not answer (docs/contracts.md §12). */
  rateLimitFallbacks: new Counter({
    name: 'flowgate_rate_limit_fallbacks_total',
    help: 'Partner rate-limit decisions made per process because Redis was unavailable.',
    registers: [registry],
  }),
  /** Defined for every limiter that answers 429 (docs/contracts.md §2.1, §12). */
  rateLimitRefusals: new Counter({
    name: 'flowgate_rate_limit_refusals_total',
    help: 'Requests refused with 429, by limiter (partner, auth_key, auth_ip, auth_queue).',
    labelNames: ['limiter'] as const,
    registers: [registry],
  }),
};

/** Typed increments for the series whose label values are enumerated. */
export const record = {
  dispatchOutcome(outcome: DispatchOutcomeLabel, metaCode?: number | string): void {
    metrics.dispatchOutcomes.inc({ outcome, meta_code: metaCode === undefined ? 'none' : String(metaCode) });
  },
  metaEventReceived(kind: MetaEventKind, count = 1): void {
    metrics.metaEventsReceived.inc({ kind }, count);
  },
  partnerDelivery(outcome: PartnerDeliveryOutcome): void {
    metrics.partnerDeliveries.inc({ outcome });
  },
  rateLimitFallback(): void {
    metrics.rateLimitFallbacks.inc();
  },
  rateLimitRefusal(limiter: RateLimiter): void {
    metrics.rateLimitRefusals.inc({ limiter });
  },
};

/** One queue's backlog as a probe measures it. */
export interface QueueSample {
  queue: string;
  depth: number;
  oldestAgeSeconds: number;
}

const probes = new Set<() => Promise<QueueSample[]>>();

/**
 * Registers a probe read at each scrape (the dispatcher's outbox and broker backlog). Returns
 * the function that removes it. A probe that fails leaves the gauges as they were.
 */
export function addQueueProbe(probe: () => Promise<QueueSample[]>): () => void {
  probes.add(probe);
  return () => probes.delete(probe);
}

async function runProbes(): Promise<void> {
  const results = await Promise.allSettled([...probes].map((probe) => probe()));
  for (const result of results) {
    if (result.status !== 'fulfilled') continue;
    for (const sample of result.value) {
      metrics.queueDepth.set({ queue: sample.queue }, sample.depth);
      metrics.queueOldestAge.set({ queue: sample.queue }, sample.oldestAgeSeconds);
    }
  }
}

/** The Prometheus text exposition of every series (after running the queue probes). */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  await runProbes();
  return { contentType: registry.contentType, body: await registry.metrics() };
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Whether an `Authorization` header may read /metrics: always when no token is configured,
 * otherwise only `Bearer <token>` (compared in constant time).
 */
export function metricsAuthorized(authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) return false;
  return timingSafeEqual(digest(match[1]), digest(token));
}
