import { ValidationError } from '@flowgate/errors';
import type { PageCursor } from '@flowgate/core';

/**
 * The one cursor pagination of every list route (docs/contracts.md §11): `limit` (1..100, default
 * 20), an opaque `nextCursor` (the last row's exact time in microseconds and its id), newest first.
 */
export const DEFAULT_LIMIT = 20;

const CURSOR = /^(\d{1,17})\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function encodeCursor(c: PageCursor): string {
  return Buffer.from(`${c.us}|${c.id}`, 'utf8').toString('base64url');
}

/** A cursor we did not make (or one tampered with) is 400, never a 500 or a silent first page. */
export function decodeCursor(cursor: string | undefined): PageCursor | undefined {
  if (cursor === undefined) return undefined;
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1] || !match[2])
    throw new ValidationError('VALIDATION_FAILED', 'The cursor is not one this API returned.', [
      { path: '/cursor', message: 'invalid cursor' },
    ]);
  return { us: match[1], id: match[2] };
}

export const limitOf = (limit: string | undefined): number =>
  limit === undefined ? DEFAULT_LIMIT : Number(limit);

/** Splits a `limit + 1` read into the page and its next cursor. */
export function page<T extends { id: string; cursorUs: string }>(
  rows: readonly T[],
  limit: number,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: rows.length > limit && last ? encodeCursor({ us: last.cursorUs, id: last.id }) : null,
  };
}
