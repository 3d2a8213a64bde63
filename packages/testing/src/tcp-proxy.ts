/**
 * A TCP proxy between a test's connections and a shared service (RabbitMQ, PostgreSQL), to
 * simulate network faults without touching the shared server: drop connections, refuse new ones
 * (service unreachable), or stall traffic (a half-dead connection).
 */
import net from 'node:net';

export class TcpProxy {
  private accepting = true;
  private stalled = false;
  private readonly sockets = new Set<net.Socket>();
  private readonly flushers = new Set<() => void>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const holder: { proxy?: TcpProxy } = {};
    const server = net.createServer((client) => holder.proxy?.onClient(client, targetHost, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    holder.proxy = new TcpProxy(server, address.port);
    return holder.proxy;
  }

  /** Closes every proxied connection (both sides), like a network failure. */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Drops connections and refuses new ones until `accept()`. */
  refuse(): void {
    this.accepting = false;
    this.dropConnections();
  }

  accept(): void {
    this.accepting = true;
  }

  /** Holds all traffic (buffered) until `unstall()`. */
  stall(): void {
    this.stalled = true;
  }

  unstall(): void {
    this.stalled = false;
    for (const flush of this.flushers) flush();
  }

  async close(): Promise<void> {
    this.accepting = false;
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onClient(client: net.Socket, host: string, port: number): void {
    if (!this.accepting) {
      client.destroy();
      return;
    }
    const upstream = net.connect(port, host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const pending: Array<{ to: net.Socket; data: Buffer }> = [];
    const forward = (to: net.Socket) => (data: Buffer) => {
      if (this.stalled) pending.push({ to, data });
      else to.write(data);
    };
    const flush = (): void => {
      for (const p of pending.splice(0)) if (!p.to.destroyed) p.to.write(p.data);
    };
    this.flushers.add(flush);
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
    const teardown = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      this.flushers.delete(flush);
    };
    for (const s of [client, upstream]) {
      s.on('error', teardown);
      s.on('close', teardown);
    }
  }
}
