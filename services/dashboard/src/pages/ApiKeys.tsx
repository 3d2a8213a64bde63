import { useState, type FormEvent } from 'react';
import { api, canManage, type Workspace } from '../api';
import { CopyField, Dialog, ErrorNote, messageOf, useLoad, when } from '../ui';

interface ApiKey {
  id: string;
  label: string | null;
  apiKey: string;
  createdBy: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
interface CreatedKey {
  id: string;
  apiKey: string;
  apiSecret: string;
  bearerToken: string;
  label: string | null;
}

const curlOf = (k: CreatedKey): string =>
  [
    `curl -sS -X POST "${window.location.origin}/api/v1/public/messages/send" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -H "apiKey: ${k.apiKey}" -H "apiSecret: ${k.apiSecret}" \\`,
    `  -d '{"type":"text","phone":"919876543210","content":"Hello from Flowgate"}'`,
  ].join('\n');

export function ApiKeysPage({ workspace }: { workspace: Workspace }) {
  const base = `/workspaces/${workspace.id}/api-keys`;
  const keys = useLoad(() => api.get<{ apiKeys: ApiKey[] }>(base), base);
  const manage = canManage(workspace.role);
  const [label, setLabel] = useState('');
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [error, setError] = useState<string | undefined>(undefined);

  const generate = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      const key = await api.post<CreatedKey>(base, label.trim() === '' ? {} : { label: label.trim() });
      setCreated(key);
      setLabel('');
      keys.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const revoke = async (key: ApiKey) => {
    setError(undefined);
    try {
      await api.del(`${base}/${key.id}`);
      keys.reload();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setRevoking(null);
    }
  };

  return (
    <section>
      {manage ? (
        <form className="inline-form" onSubmit={(e) => void generate(e)}>
          <label htmlFor="key-label">Label (optional)</label>
          <input
            id="key-label"
            maxLength={100}
            placeholder="production"
            value={label}
            onChange={(e) => setLabel(e.target.value)}
          />
          <button type="submit">Generate key</button>
        </form>
      ) : (
        <p className="note">Only owners and admins can generate or revoke keys.</p>
      )}
      <ErrorNote error={error ?? keys.error} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col">apiKey</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Revoked</th>
              {manage && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {keys.data?.apiKeys.map((k) => (
              <tr key={k.id} data-key={k.apiKey}>
                <td>{k.label ?? '—'}</td>
                <td>
                  <code>{k.apiKey}</code>
                </td>
                <td>{when(k.createdAt)}</td>
                <td>{when(k.lastUsedAt)}</td>
                <td>{k.revokedAt === null ? 'active' : when(k.revokedAt)}</td>
                {manage && (
                  <td>
                    {k.revokedAt === null && (
                      <button type="button" className="danger" onClick={() => setRevoking(k)}>
                        Revoke
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
        {keys.data?.apiKeys.length === 0 && <p className="note">No keys yet.</p>}
      </div>

      {created && (
        <Dialog title="Your new API key" onClose={() => setCreated(null)}>
          <p className="warning" role="alert">
            Copy the secret now: it will not be shown again.
          </p>
          <CopyField id="new-api-key" label="apiKey" value={created.apiKey} />
          <CopyField id="new-api-secret" label="apiSecret" value={created.apiSecret} />
          <CopyField id="new-bearer" label="Bearer token" value={created.bearerToken} />
          <CopyField id="new-curl" label="cURL" value={curlOf(created)} />
          <form method="dialog">
            <button type="submit">I have copied it</button>
          </form>
        </Dialog>
      )}
      {revoking && (
        <Dialog title="Revoke this key?" onClose={() => setRevoking(null)}>
          <p>
            <code>{revoking.apiKey}</code> {revoking.label !== null && `(${revoking.label})`} stops working at
            once. This cannot be undone.
          </p>
          <div className="actions">
            <button type="button" className="danger" onClick={() => void revoke(revoking)}>
              Revoke key
            </button>
            <button type="button" onClick={() => setRevoking(null)}>
              Cancel
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
