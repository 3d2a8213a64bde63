import { api, type Workspace } from '../api';
import { ErrorNote, useLoad } from '../ui';

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
  return (
    <section>
      <p className="note">
        Template sync from Meta is not wired into the dashboard yet; use <code>pnpm cli template:sync</code>.
      </p>
      <ErrorNote error={list.error} />
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
