/**
 * What one sandbox instance remembers: its calls, the attempt counters of the "…then success"
 * numbers, the fault mix, the late answers still pending, the wamid sequence and the webhook
 * sender (Meta's side: status webhooks, inbound messages). The route
 * handlers read and change it; `startSandbox` owns one.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from '@flowgate/logger';
import { CallLog, type CallSummary } from './call-log';
import { ChaosEngine, parseChaosSettings, type ChaosSettings } from './chaos';
import { WebhookSender } from './webhooks';

/** Attempt counters kept at most (cleared wholesale when full). */
const MAX_ATTEMPT_KEYS = 100_000;

export interface SandboxStateOptions {
  slowMs: number;
  maxCalls: number;
  random?: (() => number) | undefined;
  logger?: Logger | undefined;
}

export class SandboxState {
  /** Delay of the SLOW number. */
  readonly slowMs: number;
  readonly callLog: CallLog;
  readonly chaos: ChaosEngine;
  /** Timers of late answers (SLOW, chaos timeouts), cleared on close. */
  readonly timers = new Set<NodeJS.Timeout>();
  readonly logger: Logger | undefined;
  /** Meta's webhooks to the configured URL (./webhooks). */
  readonly webhooks: WebhookSender;
  private readonly attempts = new Map<string, number>();
  /** Meta's template list per business account (`GET /{waba-id}/message_templates`). */
  private readonly templates = new Map<string, Record<string, unknown>[]>();
  private templateSeq = 0;
  private readonly instanceId = randomBytes(9);
  private wamidSeq = 0;

  constructor(opts: SandboxStateOptions) {
    this.slowMs = opts.slowMs;
    this.callLog = new CallLog(opts.maxCalls);
    this.chaos = new ChaosEngine(opts.random);
    this.logger = opts.logger;
    this.webhooks = new WebhookSender(opts.logger);
  }

  /** Sets the fault mix (`null` clears it); throws a TypeError listing the problems of a bad one. */
  setChaos(settings: ChaosSettings | null): void {
    if (settings !== null) {
      const parsed = parseChaosSettings(settings);
      if (!parsed.ok) throw new TypeError(`invalid chaos settings: ${parsed.problems.join('; ')}`);
      this.chaos.set(parsed.settings);
    } else this.chaos.set(null);
    this.logger?.info(settings === null ? 'sandbox chaos cleared' : 'sandbox chaos set', {
      chaos: this.chaos.state().settings,
    });
  }

  /** `wamid.` + base64url(9 random bytes of this instance + 6-byte counter): unique, 26 chars. */
  nextWamid(): string {
    const buf = Buffer.allocUnsafe(15);
    this.instanceId.copy(buf, 0);
    this.wamidSeq = (this.wamidSeq + 1) % 0xffffffffffff;
    buf.writeUIntBE(this.wamidSeq, 9, 6);
    return `wamid.${buf.toString('base64url')}`;
  }

  /** 1 for the first attempt of this message at this scenario, 2 for the second, … */
  attempt(
    scenario: string,
    phoneNumberId: string,
    to: string,
    bizOpaque: string | undefined,
    raw: string,
  ): number {
    const key =
      bizOpaque !== undefined
        ? `${scenario}\u0000b\u0000${bizOpaque}`
        : `${scenario}\u0000h\u0000${phoneNumberId}\u0000${to.replace(/\D/g, '')}\u0000${createHash('sha1').update(raw).digest('base64')}`;
    const n = (this.attempts.get(key) ?? 0) + 1;
    if (n === 1 && this.attempts.size >= MAX_ATTEMPT_KEYS) this.attempts.clear();
    this.attempts.set(key, n);
    return n;
  }

  /** Forgets every call, every attempt counter and the chaos counters (the mix stays). */
  reset(): void {
    this.callLog.clear();
    this.attempts.clear();
    this.chaos.resetCounters();
  }

  /** Totals over the calls in memory, optionally for one phone-number id. */
  summary(o: { phoneNumberId?: string; perMessage?: boolean } = {}): CallSummary {
    const id = o.phoneNumberId;
    return this.callLog.summary(
      id !== undefined ? (c) => c.phoneNumberId === id : () => true,
      o.perMessage === true,
    );
  }

  /** Replaces one business account's templates; those without an `id` get one. */
  setTemplates(wabaId: string, templates: readonly Record<string, unknown>[]): void {
    this.templates.set(
      wabaId,
      templates.map((t) =>
        typeof t['id'] === 'string'
          ? { ...t }
          : { id: String(1_700_000_000_000_000 + ++this.templateSeq), ...t },
      ),
    );
  }

  /** One business account's templates; undefined for an account the sandbox does not know. */
  templatesOf(wabaId: string): readonly Record<string, unknown>[] | undefined {
    return this.templates.get(wabaId);
  }

  /** Drops the late answers still pending (on close). */
  clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
