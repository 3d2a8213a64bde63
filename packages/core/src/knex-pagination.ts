/**
 * Keyset pagination, newest first, shared by every list (docs/contracts.md §11). A cursor is the
 * last row's time in exact microseconds (a JavaScript Date has milliseconds only: rows of the same
 * millisecond would be skipped) and its id.
 */
export interface PageCursor {
  /** Microseconds since the Unix epoch, as digits. */
  us: string;
  id: string;
}

/** SQL for a column's cursor time: exact microseconds as text. */
export const cursorUs = (column: string): string =>
  `((extract(epoch from ${column}) * 1000000)::bigint)::text`;

/** SQL condition "after the cursor" for a (time, id) pair, newest first; binds `us` then `id`. */
export const afterCursor = (column: string, idColumn = 'id'): string =>
  `(${column}, ${idColumn}) < ('epoch'::timestamptz + ?::bigint * interval '1 microsecond', ?::uuid)`;
