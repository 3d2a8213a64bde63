import { ConflictError, NotFoundError, ValidationError } from '@flowgate/errors';
import { normalisePhone, type CreateContactBody, type UpdateContactBody } from '@flowgate/contracts';
import { newId } from '../ids';
import type { ContactChanges, ContactStore, ContactView } from './contact-store';

/** docs/contracts.md §11: at most this many attribute keys on a contact, after a merge too. */
export const MAX_ATTRIBUTES = 50;

/** The contacts write use cases (docs/contracts.md §11). */
export function contactService(store: ContactStore) {
  return {
    async create(workspaceId: string, body: CreateContactBody): Promise<ContactView> {
      const result = await store.create({
        id: newId(),
        workspaceId,
        phone: normalisePhone(body.phone),
        name: body.name ?? null,
        email: body.email ?? null,
        tags: body.tags ?? [],
        attributes: body.attributes ?? {},
      });
      if ('existingId' in result)
        throw new ConflictError(
          'CONTACT_EXISTS',
          'A contact with this phone number exists in the workspace.',
          [{ path: '/phone', message: `existing contact ${result.existingId}` }],
        );
      return result.created;
    },

    /** Fields replace; `attributes` merge, a null value removes its key. */
    async update(workspaceId: string, id: string, body: UpdateContactBody): Promise<ContactView> {
      let tooMany = false;
      const updated = await store.update(workspaceId, id, (current) => {
        const change: ContactChanges = {};
        if (body.name !== undefined) change.name = body.name;
        if (body.email !== undefined) change.email = body.email;
        if (body.tags !== undefined) change.tags = body.tags;
        if (body.attributes !== undefined) {
          const merged: Record<string, string | number | boolean> = { ...current.attributes };
          for (const [k, v] of Object.entries(body.attributes)) {
            if (v === null) delete merged[k];
            else merged[k] = v;
          }
          tooMany = Object.keys(merged).length > MAX_ATTRIBUTES;
          change.attributes = merged;
        }
        return tooMany ? {} : change;
      });
      if (tooMany)
        throw new ValidationError(
          'VALIDATION_FAILED',
          `A contact has at most ${MAX_ATTRIBUTES} attributes.`,
          [{ path: '/attributes', message: `more than ${MAX_ATTRIBUTES} keys after the merge` }],
        );
      if (!updated) throw new NotFoundError('NOT_FOUND', 'Contact not found.');
      return updated;
    },

    async remove(workspaceId: string, id: string): Promise<void> {
      if (!(await store.remove(workspaceId, id))) throw new NotFoundError('NOT_FOUND', 'Contact not found.');
    },
  };
}

export type ContactService = ReturnType<typeof contactService>;
