/** The orchestrator's side of the load-generator process (load-generator.ts, over IPC). */
import {
  isFromGenerator,
  type FromGenerator,
  type StepResult,
  type StepSpec,
  type ToGenerator,
} from './protocol';
import { startNode, type BenchProcess } from './processes';

export class LoadGenerator {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: StepResult) => void; reject: (e: Error) => void }
  >();

  private constructor(readonly proc: BenchProcess) {
    proc.child.on('message', (msg: unknown) => {
      if (!isFromGenerator(msg)) return;
      this.onMessage(msg);
    });
    proc.child.once('exit', (code) => {
      for (const p of this.pending.values())
        p.reject(new Error(`load generator exited (${code})\n${proc.tail()}`));
      this.pending.clear();
    });
  }

  static async start(): Promise<LoadGenerator> {
    const proc = startNode('load-generator', 'scripts/bench/load-generator.ts', { env: {}, ipc: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`load generator did not start:\n${proc.tail()}`)),
        60_000,
      );
      proc.child.on('message', (msg: unknown) => {
        if (isFromGenerator(msg) && msg.type === 'ready') {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`load generator exited during start (${code}):\n${proc.tail()}`));
      });
    });
    return new LoadGenerator(proc);
  }

  run(spec: StepSpec): Promise<StepResult> {
    const id = this.nextId;
    this.nextId += 1;
    return new Promise<StepResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ type: 'run', id, spec });
    });
  }

  async stop(): Promise<void> {
    if (this.proc.exited()) return;
    this.send({ type: 'exit' });
    await this.proc.stop(5_000);
  }

  private send(msg: ToGenerator): void {
    this.proc.child.send(msg);
  }

  private onMessage(msg: FromGenerator): void {
    if (msg.type === 'ready') return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.type === 'result') p.resolve(msg.result);
    else p.reject(new Error(`load generator: ${msg.message}`));
  }
}
