import { useState } from 'react';
import { api, canManage, type Workspace } from '../api';
import { ErrorNote, messageOf, useLoad } from '../ui';

interface SyncReport {
  wabaIds: string[];
  created: number;
  updated: number;
  unchanged: number;
  missingFromMeta: unknown[];
  kept: unknown[];
  invalid: unknown[];
}

interface Template {
  id: string;
  name: string;
  language: string;
  category: string;
  status: string;
  variables: unknown;
}

/** Variable names of the stored template, whatever their shape (positional or named, per component). */
function variablesOf(v: unknown): string {
  if (Array.isArray(v))
    return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ') || '—';
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return '—';
}

export function TemplatesPage({ workspace }: { workspace: Workspace }) {
  const path = `/workspaces/${workspace.id}/templates`;
  const list = useLoad(() => api.get<{ templates: Template[] }>(path), path);
  const [report, setReport] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const sync = () => {
    setBusy(true);
    setError(undefined);
    api.post<SyncReport>(`${path}/sync`).then(
      (r) => {
        setReport(
          r.wabaIds.length === 0
            ? 'No number of this workspace has a WhatsApp Business Account id: nothing to sync.'
            : `Synced from Meta: ${r.created} new, ${r.updated} updated, ${r.unchanged} unchanged, ` +
                `${r.missingFromMeta.length} no longer at Meta, ${r.kept.length} kept (in use), ${r.invalid.length} invalid.`,
        );
        setBusy(false);
        list.reload();
      },
      (err: unknown) => {
        setError(messageOf(err));
        setBusy(false);
      },
    );
  };
  return (
    <section>
      {canManage(workspace.role) && (
        <div className="inline-form">
          <button type="button" onClick={sync} disabled={busy}>
            Sync from Meta
          </button>
        </div>
      )}
      {report !== undefined && (
        <p className="note" role="status">
          {report}
        </p>
      )}
      <ErrorNote error={error ?? list.error} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Language</th>
              <th scope="col">Category</th>
              <th scope="col">Status</th>
              <th scope="col">Variables</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.templates.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>{t.language}</td>
                <td>{t.category}</td>
                <td>
                  <span className={`badge ${t.status.toLowerCase()}`}>{t.status}</span>
                </td>
                <td>
                  <code>{variablesOf(t.variables)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.data?.templates.length === 0 && <p className="note">No templates.</p>}
      </div>
    </section>
  );
}
