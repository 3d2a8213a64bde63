import type { ChaosFault } from './chaos';

/** What the sandbox remembers about each `POST …/messages` call, including rejected ones. */
export interface SandboxCall {
  phoneNumberId: string;
  /** Graph version from the path (`v25.0`), or `''` when the path had none. */
  version: string;
  /** The parsed JSON body (the raw text when it was not JSON; `undefined` when empty). */
  body: unknown;
  /** HTTP status the sandbox answered (or was about to answer, for dropped connections). */
  status: number;
  /** Set when the call was accepted. */
  wamid?: string;
  /** Meta error code of a rejected call. */
  errorCode?: number;
  /** Set when the chaos mix (./chaos) chose this call's answer. */
  fault?: ChaosFault;
  /** Epoch milliseconds when the request was received. */
  at: number;
}

/** A call as stored: the raw body text instead of its parsed tree (several times smaller). */
export interface StoredCall {
  phoneNumberId: string;
  version: string;
  /** Raw request body; `undefined` when empty or too large. */
  raw: string | undefined;
  /** Whether `raw` is valid JSON (then `body` is its parse, else the text itself). */
  json: boolean;
  /** `biz_opaque_callback_data` of the body, when it had a string one. */
  bizOpaque: string | undefined;
  status: number;
  wamid?: string;
  errorCode?: number;
  fault?: ChaosFault;
  at: number;
}

/** Per-message figures of {@link CallSummary.perMessage}. */
export interface MessageCalls {
  calls: number;
  /** Calls the sandbox accepted (a wamid was issued, also when the answer was late or dropped). */
  accepted: number;
  wamids: string[];
}

/**
 * Totals over the calls still in the log (`GET /_sandbox/calls/summary`). "Messages" are the
 * distinct `biz_opaque_callback_data` values (the dispatcher puts its message id there); a
 * provider duplicate is an accepted call for a message that had already been accepted.
 */
export interface CallSummary {
  calls: number;
  byStatus: Record<string, number>;
  faults: Record<ChaosFault, number>;
  messages: number;
  accepted: number;
  /** Accepted calls beyond the first, summed over messages. */
  duplicates: number;
  /** Messages accepted more than once. */
  duplicatedMessages: number;
  /** With `perMessage`: the figures of every message, keyed by `biz_opaque_callback_data`. */
  perMessage?: Record<string, MessageCalls>;
}

/** Default bound of the in-memory call log. */
export const DEFAULT_MAX_CALLS = 200_000;

function toCall(s: StoredCall): SandboxCall {
  const call: SandboxCall = {
    phoneNumberId: s.phoneNumberId,
    version: s.version,
    body: s.raw === undefined ? undefined : s.json ? (JSON.parse(s.raw) as unknown) : s.raw,
    status: s.status,
    at: s.at,
  };
  if (s.wamid !== undefined) call.wamid = s.wamid;
  if (s.errorCode !== undefined) call.errorCode = s.errorCode;
  if (s.fault !== undefined) call.fault = s.fault;
  return call;
}

/**
 * Bounded, insertion-ordered call log with an index by `biz_opaque_callback_data`. Bodies are
 * kept as their raw text and parsed only when read, so 200 000 calls of typical size take tens
 * of MB, not hundreds. When the log grows past `max`, the oldest tenth is dropped in one go
 * (amortised O(1) per call).
 */
export class CallLog {
  private calls: StoredCall[] = [];
  private readonly byBiz = new Map<string, StoredCall[]>();

  constructor(private readonly max: number = DEFAULT_MAX_CALLS) {}

  add(call: StoredCall): void {
    this.calls.push(call);
    const biz = call.bizOpaque;
    if (biz !== undefined) {
      const list = this.byBiz.get(biz);
      if (list === undefined) this.byBiz.set(biz, [call]);
      else list.push(call);
    }
    if (this.calls.length > this.max) this.evict();
  }

  private evict(): void {
    const drop = Math.max(1, this.calls.length - this.max, Math.floor(this.max / 10));
    const dropped = this.calls.slice(0, drop);
    this.calls = this.calls.slice(drop);
    for (const call of dropped) {
      const biz = call.bizOpaque;
      if (biz === undefined) continue;
      const list = this.byBiz.get(biz);
      if (list === undefined) continue;
      list.shift();
      if (list.length === 0) this.byBiz.delete(biz);
    }
  }

  /** Every call, oldest first; with `last`, only the newest `last` ones. */
  all(last?: number): SandboxCall[] {
    const from = last !== undefined && last < this.calls.length ? this.calls.length - last : 0;
    return this.calls.slice(from).map(toCall);
  }

  forBizOpaque(bizOpaque: string): SandboxCall[] {
    return (this.byBiz.get(bizOpaque) ?? []).map(toCall);
  }

  /** Calls matching a filter (on the stored form, so nothing is parsed for the others). */
  where(
    filter: (call: StoredCall) => boolean,
    bizOpaque?: string,
  ): { count: number; calls(last?: number): SandboxCall[] } {
    const source = bizOpaque !== undefined ? (this.byBiz.get(bizOpaque) ?? []) : this.calls;
    const matching = source.filter(filter);
    return {
      count: matching.length,
      calls: (last?: number) =>
        (last !== undefined && last < matching.length
          ? matching.slice(matching.length - last)
          : matching
        ).map(toCall),
    };
  }

  /** Totals over the calls matching `filter` (see {@link CallSummary}). */
  summary(filter: (call: StoredCall) => boolean, perMessage: boolean): CallSummary {
    const byStatus: Record<string, number> = {};
    const faults: Record<ChaosFault, number> = { http500: 0, timeout: 0, throttle: 0 };
    const byMessage = new Map<string, MessageCalls>();
    let calls = 0;
    let accepted = 0;
    for (const call of this.calls) {
      if (!filter(call)) continue;
      calls += 1;
      byStatus[call.status] = (byStatus[call.status] ?? 0) + 1;
      if (call.fault !== undefined) faults[call.fault] += 1;
      if (call.wamid !== undefined) accepted += 1;
      if (call.bizOpaque === undefined) continue;
      let entry = byMessage.get(call.bizOpaque);
      if (entry === undefined) {
        entry = { calls: 0, accepted: 0, wamids: [] };
        byMessage.set(call.bizOpaque, entry);
      }
      entry.calls += 1;
      if (call.wamid !== undefined) {
        entry.accepted += 1;
        entry.wamids.push(call.wamid);
      }
    }
    let duplicates = 0;
    let duplicatedMessages = 0;
    for (const entry of byMessage.values()) {
      if (entry.accepted > 1) {
        duplicates += entry.accepted - 1;
        duplicatedMessages += 1;
      }
    }
    const summary: CallSummary = {
      calls,
      byStatus,
      faults,
      messages: byMessage.size,
      accepted,
      duplicates,
      duplicatedMessages,
    };
    if (perMessage) summary.perMessage = Object.fromEntries(byMessage);
    return summary;
  }

  get size(): number {
    return this.calls.length;
  }

  clear(): void {
    this.calls = [];
    this.byBiz.clear();
  }
}
