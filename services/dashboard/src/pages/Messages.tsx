import { useState } from 'react';
import { api, type Workspace } from '../api';
import { Dialog, ErrorNote, useLoad, when } from '../ui';

const STATUSES = ['ACCEPTED', 'QUEUED', 'SENDING', 'SENT', 'DELIVERED', 'READ', 'FAILED'] as const;

interface Entry {
  id: string;
  direction: 'inbound' | 'outbound';
  type: string;
  status: string | null;
  phone: string;
  templateName: string | null;
  preview: string;
  createdAt: string;
}
interface Detail {
  id: string;
  status: string;
  to: string;
  providerMessageId: string | null;
  error: { code: number | string; message: string } | null;
  history: Array<{ status: string; at: string; detail?: string }>;
}

export function MessagesPage({ workspace }: { workspace: Workspace }) {
  const [status, setStatus] = useState('');
  const query = `/workspaces/${workspace.id}/messages?limit=50${status === '' ? '' : `&status=${status}`}`;
  const list = useLoad(() => api.get<{ messages: Entry[] }>(query), query);
  const [detail, setDetail] = useState<string | null>(null);
  return (
    <section>
      <div className="inline-form">
        <label htmlFor="status-filter">Status</label>
        <select id="status-filter" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">All (sends and inbound)</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </div>
      <ErrorNote error={list.error} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Direction</th>
              <th scope="col">Phone</th>
              <th scope="col">Content</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.messages.map((m) => (
              <tr key={m.id}>
                <td>{when(m.createdAt)}</td>
                <td>{m.direction === 'inbound' ? '← in' : '→ out'}</td>
                <td>{m.phone}</td>
                <td>{m.preview}</td>
                <td>
                  {m.direction === 'outbound' ? (
                    <button type="button" className="link" onClick={() => setDetail(m.id)}>
                      {m.status}
                    </button>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.data?.messages.length === 0 && <p className="note">No messages.</p>}
      </div>
      {detail !== null && (
        <MessageDetail
          path={`/workspaces/${workspace.id}/messages/${detail}`}
          onClose={() => setDetail(null)}
        />
      )}
    </section>
  );
}

function MessageDetail({ path, onClose }: { path: string; onClose: () => void }) {
  const m = useLoad(() => api.get<Detail>(path), path);
  return (
    <Dialog title="Message history" onClose={onClose}>
      <ErrorNote error={m.error} />
      {m.data && (
        <>
          <p>
            To <code>{m.data.to}</code>: <strong>{m.data.status}</strong>
            {m.data.providerMessageId !== null && (
              <>
                {' '}
                (<code>{m.data.providerMessageId}</code>)
              </>
            )}
          </p>
          {m.data.error && <p className="error">{`${m.data.error.code}: ${m.data.error.message}`}</p>}
          <ol className="history">
            {m.data.history.map((h, i) => (
              <li key={i}>
                <strong>{h.status}</strong> {when(h.at)} {h.detail}
              </li>
            ))}
          </ol>
        </>
      )}
      <form method="dialog">
        <button type="submit">Close</button>
      </form>
    </Dialog>
  );
}
