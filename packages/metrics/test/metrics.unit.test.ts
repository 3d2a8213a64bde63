import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  addQueueProbe,
  metricsAuthorized,
  record,
  registry,
  renderMetrics,
  startDefaultMetrics,
} from '../src';

const series = async (): Promise<Set<string>> => {
  startDefaultMetrics();
  const { body } = await renderMetrics();
  return new Set(
    body
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(l)?.[1] ?? ''),
  );
};

describe('@flowgate/metrics', () => {
  it('guards /metrics with METRICS_TOKEN only when one is set, in constant time', () => {
    expect(metricsAuthorized(undefined, undefined)).toBe(true);
    expect(metricsAuthorized('anything', undefined)).toBe(true);
    const token = 'a-token-of-sixteen+chars';
    expect(metricsAuthorized(`Bearer ${token}`, token)).toBe(true);
    expect(metricsAuthorized(`bearer ${token}`, token)).toBe(true);
    for (const header of [undefined, '', 'Bearer', `Bearer ${token}x`, `Basic ${token}`, token, `Bearer  `])
      expect(metricsAuthorized(header, token)).toBe(false);
  });

  it('feature counters move with their typed helpers, with the label values given', async () => {
    record.metaEventReceived('status', 3);
    record.partnerDelivery('delivered');
    record.rateLimitRefusal('partner');
    record.dispatchOutcome('failed', 131026);
    const { body } = await renderMetrics();
    expect(body).toContain('flowgate_meta_events_received_total{kind="status"} 3');
    expect(body).toContain('flowgate_partner_webhook_deliveries_total{outcome="delivered"} 1');
    expect(body).toContain('flowgate_rate_limit_refusals_total{limiter="partner"} 1');
    expect(body).toContain('flowgate_dispatch_outcomes_total{outcome="failed",meta_code="131026"} 1');
  });

  it('reads queue probes at scrape time; a failing probe leaves the others', async () => {
    const remove = addQueueProbe(() =>
      Promise.resolve([{ queue: 'outbox', depth: 7, oldestAgeSeconds: 12.5 }]),
    );
    const removeBroken = addQueueProbe(() => Promise.reject(new Error('database down')));
    const { body } = await renderMetrics();
    expect(body).toContain('flowgate_queue_depth{queue="outbox"} 7');
    expect(body).toContain('flowgate_queue_oldest_age_seconds{queue="outbox"} 12.5');
    remove();
    removeBroken();
  });

  it('every series the Grafana dashboard queries exists', async () => {
    const dashboard = readFileSync(path.join(__dirname, '../../../infra/grafana/flowgate.json'), 'utf8');
    const used = new Set(dashboard.match(/flowgate_[a-z0-9_]+/g) ?? []);
    expect(used.size).toBeGreaterThan(10);
    const exported = await series();
    // Histograms export only once observed; their `_bucket` names come from the registry's names.
    const names = new Set(registry.getMetricsAsArray().map((m) => m.name));
    for (const name of used) {
      const base = name.replace(/_(bucket|count|sum)$/, '');
      expect(exported.has(name) || names.has(base) || names.has(name)).toBe(true);
    }
    expect(() => JSON.parse(dashboard) as unknown).not.toThrow();
  });
});
