import { useState, type FormEvent } from 'react';
import { api, canManage, type Workspace } from '../api';
import { CopyField, Dialog, ErrorNote, messageOf, useLoad, when } from '../ui';

/** The event types of docs/contracts.md §10 (PARTNER_EVENT_TYPES in @flowgate/contracts). */
const EVENTS = [
  'message.received',
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
  'broadcast.completed',
  'contact.opted_out',
  'payment.completed',
  'template.approved',
  'template.status_updated',
] as const;

interface Endpoint {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  status: 'active' | 'disabled';
  disabledReason: string | null;
  createdAt: string;
}
interface Attempt {
  id: string;
  eventId: string;
  event: string;
  attempt: number;
  outcome: string;
  httpStatus: number | null;
  durationMs: number | null;
  error: string | null;
  createdAt: string;
}

export function WebhooksPage({ workspace }: { workspace: Workspace }) {
  const base = `/workspaces/${workspace.id}/webhooks`;
  const list = useLoad(() => api.get<{ webhooks: Endpoint[] }>(base), base);
  const manage = canManage(workspace.role);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['*']);
  const [secret, setSecret] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>(undefined);

  const act = async (fn: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await fn();
      list.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const register = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      const created = await api.post<Endpoint & { secret: string }>(base, { url, events });
      setSecret(created.secret);
      setUrl('');
    });
  };
  const toggle = (name: string) =>
    setEvents((prev) => {
      if (name === '*') return ['*'];
      const rest = prev.filter((e) => e !== '*' && e !== name);
      const next = prev.includes(name) ? rest : [...rest, name];
      return next.length === 0 ? ['*'] : next;
    });

  return (
    <section>
      {manage && (
        <form className="stack-form" onSubmit={register}>
          <label htmlFor="webhook-url">Endpoint URL</label>
          <input
            id="webhook-url"
            type="url"
            required
            placeholder="https://example.com/flowgate"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
          />
          <fieldset>
            <legend>Events</legend>
            <label className="check">
              <input type="checkbox" checked={events.includes('*')} onChange={() => toggle('*')} /> all events
            </label>
            {EVENTS.map((name) => (
              <label className="check" key={name}>
                <input type="checkbox" checked={events.includes(name)} onChange={() => toggle(name)} /> {name}
              </label>
            ))}
          </fieldset>
          <button type="submit">Register webhook</button>
        </form>
      )}
      <ErrorNote error={error ?? list.error} />
      {list.data?.webhooks.length === 0 && <p className="note">No webhook endpoints yet.</p>}
      <ul className="cards">
        {list.data?.webhooks.map((w) => (
          <li key={w.id} className="card" data-webhook={w.id}>
            <p>
              <code>{w.url}</code> <span className={`badge ${w.status}`}>{w.status}</span>
            </p>
            <p className="note">
              {w.events.join(', ')}
              {w.disabledReason !== null && ` — disabled: ${w.disabledReason}`}
            </p>
            <div className="actions">
              <button
                type="button"
                onClick={() => setOpen(open === w.id ? null : w.id)}
                aria-expanded={open === w.id}
              >
                Delivery log
              </button>
              {manage && (
                <>
                  <button type="button" onClick={() => void act(() => api.post(`${base}/${w.id}/test`))}>
                    Send test event
                  </button>
                  {w.status === 'disabled' && (
                    <button
                      type="button"
                      onClick={() => void act(() => api.patch(`${base}/${w.id}`, { status: 'active' }))}
                    >
                      Re-enable
                    </button>
                  )}
                  <button
                    type="button"
                    className="danger"
                    onClick={() => void act(() => api.del(`${base}/${w.id}`))}
                  >
                    Delete
                  </button>
                </>
              )}
            </div>
            {open === w.id && <Deliveries base={`${base}/${w.id}`} manage={manage} refresh={list.data} />}
          </li>
        ))}
      </ul>
      {secret !== null && (
        <Dialog title="Webhook registered" onClose={() => setSecret(null)}>
          <p className="warning" role="alert">
            Copy the signing secret now: it will not be shown again.
          </p>
          <CopyField id="webhook-secret" label="Signing secret" value={secret} />
          <form method="dialog">
            <button type="submit">Done</button>
          </form>
        </Dialog>
      )}
    </section>
  );
}

function Deliveries({ base, manage, refresh }: { base: string; manage: boolean; refresh: unknown }) {
  const log = useLoad(
    () => api.get<{ deliveries: Attempt[] }>(`${base}/deliveries?limit=50`),
    `${base}:${JSON.stringify(refresh)}`,
  );
  const [error, setError] = useState<string | undefined>(undefined);
  return (
    <div className="table-wrap">
      <ErrorNote error={error ?? log.error} />
      <table aria-label="Delivery log">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col">Attempt</th>
            <th scope="col">Outcome</th>
            <th scope="col">HTTP</th>
            {manage && <th scope="col">Redeliver</th>}
          </tr>
        </thead>
        <tbody>
          {log.data?.deliveries.map((d) => (
            <tr key={d.id} data-event={d.event}>
              <td>{when(d.createdAt)}</td>
              <td>{d.event}</td>
              <td>{d.attempt}</td>
              <td>{d.outcome}</td>
              <td>{d.httpStatus ?? d.error ?? '—'}</td>
              {manage && (
                <td>
                  <button
                    type="button"
                    onClick={() => {
                      setError(undefined);
                      api
                        .post(`${base}/deliveries/${d.id}/redeliver`)
                        .then(log.reload, (err: unknown) => setError(messageOf(err)));
                    }}
                  >
                    Redeliver
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {log.data?.deliveries.length === 0 && <p className="note">No deliveries yet.</p>}
    </div>
  );
}
