import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Server-side close of the connections with this client-provided name (`rabbitmqctl`). */
export async function closeConnectionsNamed(connectionName: string): Promise<number> {
  // The table output gives pids in the form close_connection accepts (the JSON one does not).
  const { stdout } = await run('rabbitmqctl', [
    'list_connections',
    'pid',
    'client_properties',
    '-q',
    '--no-table-headers',
  ]);
  const marker = `{"connection_name","${connectionName}"}`;
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(marker))
    .map((line) => line.split('\t')[0] ?? '')
    .filter((pid) => pid.startsWith('<'));
  for (const pid of pids) await run('rabbitmqctl', ['close_connection', pid, 'closed by a messaging test']);
  return pids.length;
}

export interface QueueInfo {
  name: string;
  type: string;
  durable: boolean;
  arguments: Record<string, unknown>;
}

export async function listQueues(prefix: string): Promise<QueueInfo[]> {
  const { stdout } = await run('rabbitmqctl', [
    'list_queues',
    'name',
    'type',
    'durable',
    'arguments',
    '--formatter',
    'json',
    '-q',
  ]);
  const rows: unknown = JSON.parse(stdout);
  if (!Array.isArray(rows)) return [];
  const out: QueueInfo[] = [];
  for (const row of rows as unknown[]) {
    if (typeof row !== 'object' || row === null) continue;
    const r = row as Record<string, unknown>;
    const name = r['name'];
    if (typeof name !== 'string' || !name.startsWith(prefix)) continue;
    const args: Record<string, unknown> = {};
    const rawArgs = r['arguments'];
    if (Array.isArray(rawArgs)) {
      for (const a of rawArgs as unknown[])
        if (Array.isArray(a) && typeof a[0] === 'string') args[a[0]] = a[2];
    }
    out.push({ name, type: String(r['type']), durable: r['durable'] === true, arguments: args });
  }
  return out;
}
