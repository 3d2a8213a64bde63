import { Batcher } from '@flowgate/db';
import { untilRecorded } from '../../src/modules/until-recorded';

describe('Batcher', () => {
  it('when items arrive together, then they go out as one batch and each caller gets its own result', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number, number>(
      (items) => {
        batches.push([...items]);
        return Promise.resolve(items.map((x) => x * 10));
      },
      { maxBatch: 100, maxConcurrent: 1 },
    );
    const results = await Promise.all([1, 2, 3].map((x) => b.add(x)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('while a batch runs, new items wait and go out together in the next one; batches stay within maxBatch', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const b = new Batcher<number, number>(
      async (items) => {
        batches.push([...items]);
        if (batches.length === 1) await new Promise<void>((r) => (release = r));
        return items.map((x) => x);
      },
      { maxBatch: 2, maxConcurrent: 1 },
    );
    const first = b.add(0);
    await new Promise((r) => setImmediate(r));
    const later = [1, 2, 3, 4, 5].map((x) => b.add(x));
    await new Promise((r) => setImmediate(r));
    expect(b.waiting).toBe(5);
    release();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([[0], [1, 2], [3, 4], [5]]);
  });

  it('a failed batch rejects every item of it, and the next batch runs', async () => {
    let calls = 0;
    const b = new Batcher<number, number>(
      (items) => {
        calls += 1;
        if (calls === 1) return Promise.reject(new Error('database down'));
        return Promise.resolve(items.map((x) => x));
      },
      { maxBatch: 10, maxConcurrent: 1 },
    );
    const failed = await Promise.allSettled([b.add(1), b.add(2)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(b.add(3)).resolves.toBe(3);
  });

  it('a batch returning the wrong number of results rejects its items', async () => {
    const b = new Batcher<number, number>(() => Promise.resolve([1]), { maxBatch: 10, maxConcurrent: 1 });
    await expect(Promise.all([b.add(1), b.add(2)])).rejects.toThrow(/2 items/);
  });
});

describe('untilRecorded', () => {
  it('when the write fails twice, then it is tried again and succeeds, reporting each retry', async () => {
    let tries = 0;
    const retries: number[] = [];
    const result = await untilRecorded(
      () => {
        tries += 1;
        return tries < 3 ? Promise.reject(new Error('connection reset')) : Promise.resolve('ok');
      },
      { onRetry: (_err, n) => retries.push(n), giveUp: () => false, sleep: () => Promise.resolve() },
    );
    expect(result).toEqual({ value: 'ok', tries: 3 });
    expect(retries).toEqual([1, 2]);
  });

  it('stops when told to give up, with the last error', async () => {
    let stop = false;
    const p = untilRecorded(() => Promise.reject(new Error('still down')), {
      onRetry: () => {
        stop = true;
      },
      giveUp: () => stop,
      sleep: () => Promise.resolve(),
    });
    await expect(p).rejects.toThrow('still down');
  });

  it('with a linger, items that arrive within it share one statement; a full batch does not wait it out', async () => {
    jest.useFakeTimers();
    try {
      const batches: number[][] = [];
      const b = new Batcher<number, number>(
        (items) => {
          batches.push([...items]);
          return Promise.resolve(items.map((x) => x));
        },
        { maxBatch: 3, maxConcurrent: 1, lingerMs: 20 },
      );
      const first = b.add(1);
      jest.advanceTimersByTime(10);
      const second = b.add(2);
      await Promise.resolve();
      expect(batches).toEqual([]); // still lingering
      jest.advanceTimersByTime(10);
      await Promise.all([first, second]);
      expect(batches).toEqual([[1, 2]]);
      // Three at once fill a batch: it goes on the next turn, not after the linger.
      const full = [4, 5, 6].map((x) => b.add(x));
      jest.advanceTimersByTime(0);
      jest.runOnlyPendingTimers();
      await Promise.all(full);
      expect(batches).toEqual([
        [1, 2],
        [4, 5, 6],
      ]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses a negative linger', () => {
    expect(
      () =>
        new Batcher<number, number>(() => Promise.resolve([]), {
          maxBatch: 1,
          maxConcurrent: 1,
          lingerMs: -1,
        }),
    ).toThrow(RangeError);
  });
});
