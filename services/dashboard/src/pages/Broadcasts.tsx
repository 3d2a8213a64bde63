import { useState } from 'react';
import { api, canManage, type Workspace } from '../api';
import { ErrorNote, messageOf, useLoad, when } from '../ui';

interface Broadcast {
  id: string;
  name: string | null;
  templateName: string;
  status: string;
  total: number;
  counts: Record<string, number>;
  createdAt: string;
  completedAt: string | null;
}

/** Recipients past the provider (sent on, failed, skipped, cancelled): the counts add up to the total. */
const doneOf = (b: Broadcast): number => b.total - (b.counts['pending'] ?? 0);

export function BroadcastsPage({ workspace }: { workspace: Workspace }) {
  const path = `/workspaces/${workspace.id}/broadcasts`;
  const list = useLoad(() => api.get<{ broadcasts: Broadcast[] }>(path), path);
  const manage = canManage(workspace.role);
  const [error, setError] = useState<string | undefined>(undefined);
  const cancel = (id: string) => {
    setError(undefined);
    api.post(`${path}/${id}/cancel`).then(list.reload, (err: unknown) => setError(messageOf(err)));
  };
  return (
    <section>
      <div className="inline-form">
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </div>
      <ErrorNote error={error ?? list.error} />
      {list.data?.broadcasts.length === 0 && <p className="note">No broadcasts yet.</p>}
      <ul className="cards">
        {list.data?.broadcasts.map((b) => {
          const done = Math.min(doneOf(b), b.total);
          const pct = b.total === 0 ? 100 : Math.round((done / b.total) * 100);
          return (
            <li key={b.id} className="card">
              <p>
                <strong>{b.name ?? b.templateName}</strong> <span className="badge">{b.status}</span>
              </p>
              <label className="progress">
                <span>
                  {done} / {b.total} ({pct}%)
                </span>
                <progress max={100} value={pct} aria-label={`Progress of ${b.name ?? b.templateName}`} />
              </label>
              <p className="note">
                {Object.entries(b.counts)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(' · ')}
              </p>
              <p className="note">Created {when(b.createdAt)}</p>
              {manage && (b.status === 'SCHEDULED' || b.status === 'SENDING') && (
                <button type="button" className="danger" onClick={() => cancel(b.id)}>
                  Cancel
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
