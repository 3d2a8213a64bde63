import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, me, setUnauthorizedHandler, signIn, signOut, type Session, type Workspace } from './api';
import { ErrorNote, messageOf } from './ui';
import { ApiKeysPage } from './pages/ApiKeys';
import { WebhooksPage } from './pages/Webhooks';
import { MessagesPage } from './pages/Messages';
import { BroadcastsPage } from './pages/Broadcasts';
import { TemplatesPage } from './pages/Templates';
import { ContactsPage } from './pages/Contacts';
import { PhoneNumbersPage } from './pages/PhoneNumbers';

const PAGES = [
  { id: 'api-keys', title: 'API keys', Page: ApiKeysPage },
  { id: 'webhooks', title: 'Webhooks', Page: WebhooksPage },
  { id: 'messages', title: 'Messages', Page: MessagesPage },
  { id: 'broadcasts', title: 'Broadcasts', Page: BroadcastsPage },
  { id: 'templates', title: 'Templates', Page: TemplatesPage },
  { id: 'contacts', title: 'Contacts', Page: ContactsPage },
  { id: 'phone-numbers', title: 'Phone numbers', Page: PhoneNumbersPage },
] as const;
type PageId = (typeof PAGES)[number]['id'];

const pageFromHash = (): PageId => {
  const id = window.location.hash.replace(/^#\/?/, '');
  return PAGES.find((p) => p.id === id)?.id ?? 'api-keys';
};

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [page, setPage] = useState<PageId>(pageFromHash);
  const [workspaceId, setWorkspaceId] = useState<string | undefined>(undefined);

  useEffect(() => {
    setUnauthorizedHandler(() => setSession(null));
    me().then(setSession, () => setSession(null));
    const onHash = () => setPage(pageFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  if (session === undefined) return <p className="loading">Loading…</p>;
  if (session === null) return <SignIn onSignedIn={setSession} />;

  const workspace: Workspace | undefined =
    session.workspaces.find((w) => w.id === workspaceId) ?? session.workspaces[0];
  const current = PAGES.find((p) => p.id === page) ?? PAGES[0];

  return (
    <div className="shell">
      <header>
        <span className="brand">Flowgate</span>
        {session.workspaces.length > 1 ? (
          <label className="workspace-pick">
            <span>Workspace</span>
            <select value={workspace?.id} onChange={(e) => setWorkspaceId(e.target.value)}>
              {session.workspaces.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <span className="workspace-name">{workspace?.name}</span>
        )}
        <span className="who">
          {session.user.email} ({workspace?.role})
        </span>
        <button
          type="button"
          onClick={() => {
            void signOut().finally(() => setSession(null));
          }}
        >
          Sign out
        </button>
      </header>
      <nav aria-label="Pages">
        <ul>
          {PAGES.map((p) => (
            <li key={p.id}>
              <a href={`#/${p.id}`} aria-current={p.id === current.id ? 'page' : undefined}>
                {p.title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main>
        <h1>{current.title}</h1>
        {workspace ? (
          <current.Page key={workspace.id} workspace={workspace} />
        ) : (
          <p>You are not a member of any workspace.</p>
        )}
      </main>
    </div>
  );
}

function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(email, password));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'Wrong email or password.' : messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="sign-in">
      <h1>Sign in to Flowgate</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="email">Email</label>
        <input
          id="email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
