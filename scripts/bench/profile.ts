/** Reads a V8 `.cpuprofile` (node --cpu-prof) and sums self time per function and per package. */
import { readFileSync } from 'node:fs';
import { round } from './stats';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  where: string;
  selfMs: number;
  /** Share of the profile's busy (non-idle) time. */
  pct: number;
  /** Who the time is spent for: the nearest caller outside Node's internals and native code. */
  origins?: Array<{ name: string; pct: number }>;
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  idleMs: number;
  /** The top functions by self time, V8's pseudo-entries ((garbage collector), (program)) excluded. */
  topFunctions: ProfileEntry[];
  /** The same list with the pseudo-entries kept in. */
  topEntries: ProfileEntry[];
  /** Self time grouped by npm package / workspace package / Node internals. */
  byPackage: Array<{ name: string; selfMs: number; pct: number }>;
  /**
   * Self time grouped by the package of the nearest frame outside Node's internals and native
   * code (so a socket write made by pg counts for pg, not for node).
   */
  byOrigin: Array<{ name: string; selfMs: number; pct: number }>;
}

function isCpuProfile(v: unknown): v is CpuProfile {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o['startTime'] === 'number' &&
    Array.isArray(o['nodes']) &&
    Array.isArray(o['samples']) &&
    Array.isArray(o['timeDeltas'])
  );
}

/** A short, stable name for where a function lives. */
function shortUrl(url: string): string {
  if (url === '') return '';
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/(.*)$/.exec(url);
  if (pnpm?.[1]) return pnpm[1];
  const repo = /\/(packages|services|scripts)\/(.*)$/.exec(url);
  if (repo?.[1] && repo[2]) return `${repo[1]}/${repo[2]}`;
  return url.replace(/^file:\/\//, '');
}

function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node (internals)';
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pnpm?.[1]) return pnpm[1];
  const ws = /\/(packages|services)\/([^/]+)\//.exec(url);
  if (ws?.[1] && ws[2]) return ws[1] === 'packages' ? `@flowgate/${ws[2]}` : `services/${ws[2]}`;
  return shortUrl(url);
}

const PSEUDO = new Set(['(garbage collector)', '(program)', '(idle)', '(root)']);

/**
 * Self time per function from `file`; with `window` (CLOCK_MONOTONIC microseconds, the clock of
 * both V8's profiler and process.hrtime), only the samples taken inside it.
 */
export function summariseProfile(
  file: string,
  window?: { fromUs: number; toUs: number },
  top = 5,
): ProfileSummary {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isCpuProfile(parsed)) throw new Error(`${file} is not a V8 CPU profile`);
  const byId = new Map<number, ProfileNode>(parsed.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let t = parsed.startTime;
  parsed.samples.forEach((id, i) => {
    const delta = parsed.timeDeltas[i] ?? 0;
    t += delta;
    if (window && (t < window.fromUs || t > window.toUs)) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });

  const parent = new Map<number, number>();
  for (const n of parsed.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** The package of the nearest frame (this one or a caller) that is not Node-internal or native. */
  const originOf = (id: number): string => {
    const self = byId.get(id);
    if (self && PSEUDO.has(self.callFrame.functionName)) return self.callFrame.functionName;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const url = byId.get(cur)?.callFrame.url ?? '';
      if (url !== '' && !url.startsWith('node:')) return packageOf(url, '');
    }
    return 'node (internals)';
  };

  const perFunction = new Map<
    string,
    { name: string; where: string; us: number; pseudo: boolean; origins: Map<string, number> }
  >();
  const perPackage = new Map<string, number>();
  const perOrigin = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName === '' ? '(anonymous)' : functionName;
    if (name === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const where = url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`;
    const key = `${name}\u0000${where}`;
    const entry = perFunction.get(key) ?? {
      name,
      where,
      us: 0,
      pseudo: PSEUDO.has(name),
      origins: new Map(),
    };
    entry.us += us;
    perFunction.set(key, entry);
    const pkg = packageOf(url, name);
    perPackage.set(pkg, (perPackage.get(pkg) ?? 0) + us);
    const origin = originOf(id);
    perOrigin.set(origin, (perOrigin.get(origin) ?? 0) + us);
    entry.origins.set(origin, (entry.origins.get(origin) ?? 0) + us);
  }
  const share = (us: number): number => round((us / Math.max(1, busyUs)) * 100, 1);
  const grouped = (m: Map<string, number>, n: number): Array<{ name: string; selfMs: number; pct: number }> =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, selfMs: round(us / 1000, 1), pct: share(us) }));
  const toEntry = (e: {
    name: string;
    where: string;
    us: number;
    pseudo: boolean;
    origins: Map<string, number>;
  }): ProfileEntry => ({
    name: e.name,
    where: e.where,
    selfMs: round(e.us / 1000, 1),
    pct: share(e.us),
    ...(e.pseudo
      ? {}
      : {
          origins: [...e.origins.entries()]
            .sort((a, b) => b[1] - a[1])
            .slice(0, 4)
            .map(([name, us]) => ({ name, pct: round((us / Math.max(1, e.us)) * 100, 0) })),
        }),
  });
  const sorted = [...perFunction.values()].sort((a, b) => b.us - a.us);
  return {
    file,
    busyMs: round(busyUs / 1000, 0),
    idleMs: round(idleUs / 1000, 0),
    topFunctions: sorted
      .filter((e) => !e.pseudo)
      .slice(0, top)
      .map(toEntry),
    topEntries: sorted.slice(0, top * 2).map(toEntry),
    byPackage: grouped(perPackage, 15),
    byOrigin: grouped(perOrigin, 15),
  };
}
