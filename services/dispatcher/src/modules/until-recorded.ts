/**
 * Runs a write until it succeeds: for what must be recorded once the provider has been called
 * (SENT, FAILED, a released claim), because giving up would hand the message to another attempt
 * and so to a second provider call. Waits 50 ms, doubling to 5 s, between tries; stops only when
 * `giveUp()` says so (the shutdown deadline), rethrowing the last error.
 */
export async function untilRecorded<T>(
  write: () => Promise<T>,
  opts: {
    onRetry(err: unknown, tries: number): void;
    giveUp(): boolean;
    sleep?: (ms: number) => Promise<void>;
  },
): Promise<{ value: T; tries: number }> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let delay = 50;
  for (let tries = 1; ; tries += 1) {
    try {
      return { value: await write(), tries };
    } catch (err) {
      if (opts.giveUp()) throw err;
      opts.onRetry(err, tries);
      await sleep(delay);
      delay = Math.min(5_000, delay * 2);
    }
  }
}
