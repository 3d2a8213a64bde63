import { createDatabase, prepared } from '@flowgate/db';
import { TEST_DATABASE_URL } from '@flowgate/testing';

describe('prepared statements', () => {
  it('when a statement runs with prepared(name) on PostgreSQL, then its connection keeps it prepared and answers stay right', async () => {
    const db = createDatabase({ kind: 'postgres', url: TEST_DATABASE_URL }, { poolMax: 1 });
    try {
      const sql = 'SELECT x * 2 AS doubled FROM unnest(?::int[]) AS x';
      const first = await db
        .raw<{ rows: Array<{ doubled: number }> }>(sql, [[1, 2]])
        .options(prepared('flowgate_test_double'));
      const second = await db
        .raw<{ rows: Array<{ doubled: number }> }>(sql, [[5]])
        .options(prepared('flowgate_test_double'));
      expect(first.rows.map((r) => r.doubled)).toEqual([2, 4]);
      expect(second.rows.map((r) => r.doubled)).toEqual([10]);
      // One connection: the catalogue view lists what this very session has prepared.
      const { rows } = await db.raw<{ rows: Array<{ name: string; statement: string }> }>(
        'SELECT name, statement FROM pg_prepared_statements',
      );
      expect(rows.find((r) => r.name === 'flowgate_test_double')?.statement).toContain('unnest($1::int[])');
    } finally {
      await db.destroy();
    }
  });

  it('when a statement runs with prepared(name) on embedded PostgreSQL (PGlite), then the option is ignored and the answer is right', async () => {
    const db = createDatabase({ kind: 'pglite-memory' });
    try {
      const { rows } = await db
        .raw<{ rows: Array<{ doubled: number }> }>('SELECT x * 2 AS doubled FROM unnest(?::int[]) AS x', [
          [3],
        ])
        .options(prepared('flowgate_test_double'));
      expect(rows.map((r) => r.doubled)).toEqual([6]);
    } finally {
      await db.destroy();
    }
  });
});
