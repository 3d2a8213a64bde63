/** PostgreSQL SQLSTATE codes the repositories translate. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';

export function pgCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string')
    return err.code;
  return undefined;
}

/** True for errors that mean "the database cannot be reached, or answer, right now" (→ 503, retry). */
export function isConnectionError(err: unknown): boolean {
  const code = pgCode(err);
  if (
    code &&
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      'ENOTFOUND',
      '57P01',
      '57P02',
      '57P03',
      '08000',
      '08001',
      '08003',
      '08006',
      // statement_timeout / lock_timeout: the database is too slow or stalled right now.
      '57014',
      '55P03',
    ].includes(code)
  )
    return true;
  const name = typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : '';
  const message = err instanceof Error ? err.message : '';
  return (
    name === 'KnexTimeoutError' ||
    /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Query read timeout|^timeout expired$/i.test(
      message,
    )
  );
}

/** Runs a write; 'duplicate' when it hit a unique constraint, 'created' otherwise. */
export async function createdOrDuplicate(write: () => Promise<unknown>): Promise<'created' | 'duplicate'> {
  try {
    await write();
    return 'created';
  } catch (err) {
    if (pgCode(err) === PG_UNIQUE_VIOLATION) return 'duplicate';
    throw err;
  }
}
