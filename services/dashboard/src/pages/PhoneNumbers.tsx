import { api, type Workspace } from '../api';
import { ErrorNote, useLoad } from '../ui';

interface PhoneNumber {
  id: string;
  displayPhoneNumber: string;
  isDefault: boolean;
  messagesPerSecond: number | null;
  webhookConnected: boolean;
}

export function PhoneNumbersPage({ workspace }: { workspace: Workspace }) {
  const path = `/workspaces/${workspace.id}/phone-numbers`;
  const list = useLoad(() => api.get<{ phoneNumbers: PhoneNumber[] }>(path), path);
  return (
    <section>
      <ErrorNote error={list.error} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Number</th>
              <th scope="col">Default</th>
              <th scope="col">Messages per second</th>
              <th scope="col">Meta webhook</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.phoneNumbers.map((p) => (
              <tr key={p.id}>
                <td>{p.displayPhoneNumber}</td>
                <td>{p.isDefault ? 'yes' : 'no'}</td>
                <td>{p.messagesPerSecond ?? 'default'}</td>
                <td>
                  <span className={`badge ${p.webhookConnected ? 'active' : 'disabled'}`}>
                    {p.webhookConnected ? 'connected' : 'not connected'}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.data?.phoneNumbers.length === 0 && <p className="note">No connected numbers.</p>}
      </div>
    </section>
  );
}
