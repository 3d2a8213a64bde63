import type { Logger } from '@flowgate/logger';
import type { SendingNumberStore } from '@flowgate/core';
import type { NumberPacer, NumberPauses, PairLimiter } from './pacer';

export interface SendingNumber {
  providerPhoneNumberId: string;
  accessToken: string;
}

export interface SendingNumbersOptions {
  repo: SendingNumberStore;
  /** Decrypts a stored access token (AES-256-GCM, bound to the workspace). */
  decrypt(encrypted: string, workspaceId: string): string;
  pacer: NumberPacer;
  pairs: PairLimiter;
  pauses: NumberPauses;
  logger: Logger;
  /** DISPATCH_RATE_PER_NUMBER: a number's rate when it has none of its own. */
  defaultRate: number;
  pairBurst: number;
  pairPerMinute: number;
  /** Decrypted tokens are kept this long, so the hot path neither reads nor decrypts per message. */
  credentialsTtlMs?: number;
  /** How often rates and pauses are re-read for the numbers in use. */
  refreshMs?: number;
}

interface Entry {
  value: SendingNumber;
  expiresAt: number;
  ownRate: number | null;
  lastUsed: number;
}

/**
 * What the dispatcher knows about its sending numbers (ADR 0013): credentials (cached), each
 * number's rate (its own or the default), and pauses set by any dispatcher. The rate a process
 * applies is its share: the number's rate divided by the dispatchers consuming the queue
 * (`setDispatchers`, from RabbitMQ's consumer count), so the total holds however many run; the
 * pair limit is shared out the same way. Rates and pauses are re-read once a second.
 */
export class SendingNumbers {
  private readonly cache = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry | undefined>>();
  private dispatchers = 1;
  private timer: NodeJS.Timeout | undefined;
  private refreshing = false;
  private readonly credentialsTtlMs: number;

  constructor(private readonly o: SendingNumbersOptions) {
    this.credentialsTtlMs = o.credentialsTtlMs ?? 60_000;
    this.applyPairShare();
  }

  /** Starts the periodic refresh of rates and pauses. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh(), this.o.refreshMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** How many dispatchers share each number's rate (≥ 1). */
  setDispatchers(n: number): void {
    const next = Math.max(1, Math.floor(n));
    if (next === this.dispatchers) return;
    this.o.logger.info('dispatchers sharing the sending rates changed', {
      dispatchers: next,
      before: this.dispatchers,
    });
    this.dispatchers = next;
    for (const [id, e] of this.cache) this.applyRate(id, e.ownRate);
    this.applyPairShare();
  }

  private applyRate(numberId: string, ownRate: number | null): void {
    this.o.pacer.configure(numberId, (ownRate ?? this.o.defaultRate) / this.dispatchers);
  }

  private applyPairShare(): void {
    this.o.pairs.configure(this.o.pairBurst / this.dispatchers, this.o.pairPerMinute / this.dispatchers);
  }

  /** Credentials of a sending number; undefined when there is no such number. */
  async get(numberId: string): Promise<SendingNumber | undefined> {
    const hit = this.cache.get(numberId);
    const now = Date.now();
    if (hit && hit.expiresAt > now) {
      hit.lastUsed = now;
      return hit.value;
    }
    let load = this.loading.get(numberId);
    if (!load) {
      load = this.load(numberId).finally(() => this.loading.delete(numberId));
      this.loading.set(numberId, load);
    }
    return (await load)?.value;
  }

  private async load(numberId: string): Promise<Entry | undefined> {
    const row = await this.o.repo.sendingNumber(numberId);
    if (!row) return undefined;
    const now = Date.now();
    const entry: Entry = {
      value: {
        providerPhoneNumberId: row.providerPhoneNumberId,
        accessToken: this.o.decrypt(row.accessTokenEncrypted, row.workspaceId),
      },
      expiresAt: now + this.credentialsTtlMs,
      ownRate: row.messagesPerSecond,
      lastUsed: now,
    };
    this.cache.set(numberId, entry);
    this.applyRate(numberId, row.messagesPerSecond);
    if (row.pausedForMs > 0) this.o.pauses.pause(numberId, row.pausedForMs);
    return entry;
  }

  /** Pauses a number here at once and, through the database, in every other dispatcher. */
  async pause(numberId: string, ms: number, reason: string): Promise<void> {
    this.o.pauses.pause(numberId, ms);
    await this.o.repo.pauseNumber(numberId, ms, reason);
  }

  /** Re-reads rate and pause of the numbers used in the last minute. */
  async refresh(): Promise<void> {
    if (this.refreshing) return;
    const now = Date.now();
    const ids = [...this.cache].filter(([, e]) => now - e.lastUsed < 60_000).map(([id]) => id);
    if (ids.length === 0) return;
    this.refreshing = true;
    try {
      const states = await this.o.repo.numberStates(ids);
      for (const [id, s] of states) {
        const e = this.cache.get(id);
        if (e && e.ownRate !== s.messagesPerSecond) {
          e.ownRate = s.messagesPerSecond;
          this.applyRate(id, s.messagesPerSecond);
        }
        if (s.pausedForMs > 0) this.o.pauses.pause(id, s.pausedForMs);
      }
    } catch (err) {
      this.o.logger.warn('could not refresh sending-number rates and pauses', {
        err,
      });
    } finally {
      this.refreshing = false;
    }
  }
}
