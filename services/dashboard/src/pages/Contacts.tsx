import { useState, type FormEvent } from 'react';
import { api, type Workspace } from '../api';
import { ErrorNote, useLoad, when } from '../ui';

interface Contact {
  id: string;
  phone: string;
  name: string | null;
  email: string | null;
  tags: string[];
  optedOut: boolean;
  lastInboundAt: string | null;
  windowOpenUntil: string | null;
}

export function ContactsPage({ workspace }: { workspace: Workspace }) {
  const [input, setInput] = useState('');
  const [search, setSearch] = useState('');
  const path = `/workspaces/${workspace.id}/contacts?limit=50${
    search === '' ? '' : `&search=${encodeURIComponent(search)}`
  }`;
  const list = useLoad(() => api.get<{ contacts: Contact[] }>(path), path);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSearch(input.trim());
  };
  return (
    <section>
      <form className="inline-form" role="search" onSubmit={submit}>
        <label htmlFor="contact-search">Search</label>
        <input
          id="contact-search"
          type="search"
          maxLength={200}
          placeholder="name, phone or email"
          value={input}
          onChange={(e) => setInput(e.target.value)}
        />
        <button type="submit">Search</button>
      </form>
      <ErrorNote error={list.error} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Phone</th>
              <th scope="col">Email</th>
              <th scope="col">Tags</th>
              <th scope="col">Window open until</th>
              <th scope="col">Opted out</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.contacts.map((c) => (
              <tr key={c.id}>
                <td>{c.name ?? '—'}</td>
                <td>{c.phone}</td>
                <td>{c.email ?? '—'}</td>
                <td>{c.tags.join(', ') || '—'}</td>
                <td>{when(c.windowOpenUntil)}</td>
                <td>{c.optedOut ? 'yes' : 'no'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.data?.contacts.length === 0 && <p className="note">No contacts found.</p>}
      </div>
    </section>
  );
}
