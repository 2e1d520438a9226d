import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, migratePostgres } from '../src/db/postgres';
import { copySqliteToPostgres } from '../src/db/postgres-load';
import { PREPARED_STATEMENTS_MAX, PREPARED_TEXT_MAX, statementName } from '../src/db/postgres-prepared';
import { createTestApp } from './support/app';
import { type PostgresCluster, startPostgres } from './support/postgres';

/**
 * What the PostgreSQL read path's speed rests on (docs/postgres.md, Performance): the bulk load
 * leaves cache_changes alone and tells running processes to forget everything instead, and reads
 * run as named prepared statements, one name per text, within a bound.
 */
let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('bulk load on PostgreSQL', () => {
  it('writes no cache_changes rows and sends the change feed reset when it commits', async () => {
    const url = await cluster.createDatabase();
    const db = openPostgres(url);
    await migratePostgres(db);
    await db.$client.end();
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    await listener.query('LISTEN claimgraph_changes');
    const source = createTestApp().db as unknown as { $client: Parameters<typeof copySqliteToPostgres>[0] };
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('BEGIN');
      const copied = await copySqliteToPostgres(source.$client, client);
      expect(copied.claims).toBeGreaterThan(0);
      await client.query('COMMIT');
      const { rows } = await client.query<{ n: number }>('SELECT CAST(count(*) AS integer) AS n FROM cache_changes');
      expect(rows[0]!.n).toBe(0);
      await expect.poll(() => heard, { timeout: 5000 }).toEqual(['reset']);
      // The triggers are back on: an ordinary write tags its rows again.
      await client.query(`UPDATE claims SET text = text || '.' WHERE id = (SELECT min(id) FROM claims)`);
      const after = await client.query<{ n: number }>('SELECT CAST(count(*) AS integer) AS n FROM cache_changes');
      expect(after.rows[0]!.n).toBeGreaterThan(0);
    } finally {
      await client.end();
      await listener.end();
    }
  });
});

describe('bulk load and the search index', () => {
  it('rebuilds the index and its word counts as the row-by-row triggers would have kept them', async () => {
    const snapshot = async (client: pg.ClientBase) => ({
      documents: (await client.query('SELECT search_rowid, kind, ref_id, name, aliases, body, tsv::text FROM search_documents ORDER BY search_rowid')).rows,
      counts: (await client.query('SELECT term, documents FROM search_term_documents ORDER BY term')).rows,
      // What bm25 reads: the documents and their words in all, however many rows of changes hold them.
      totals: (await client.query('SELECT sum(documents)::int AS documents, sum(tokens)::int AS tokens FROM search_totals')).rows,
    });
    const source = createTestApp().db.$client;
    /** A client of a new database, migrated. */
    const migratedDatabase = async () => {
      const url = await cluster.createDatabase();
      const db = openPostgres(url);
      await migratePostgres(db);
      await db.$client.end();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    };
    const copied = async (setAside: boolean) => {
      const client = await migratedDatabase();
      try {
        await client.query('BEGIN');
        if (setAside) await copySqliteToPostgres(source as never, client);
        else {
          // The triggers' way: the same rows copied, then every document written again one by one.
          await copySqliteToPostgres(source as never, client);
          await client.query('DELETE FROM search_documents');
          // (Twice each, there and back: an update that writes the same value reindexes nothing.)
          for (const [table, column] of [['entities', 'name'], ['claims', 'text'], ['sources', 'title']]) {
            await client.query(`UPDATE ${table} SET ${column} = ${column} || ' x'`);
            await client.query(`UPDATE ${table} SET ${column} = left(${column}, -2)`);
          }
        }
        await client.query('COMMIT');
        return await snapshot(client);
      } finally {
        await client.end();
      }
    };
    const loaded = await copied(true);
    expect(loaded.documents.length).toBeGreaterThan(50);
    expect(loaded.counts.length).toBeGreaterThan(100);
    expect(loaded.totals).toEqual([{ documents: loaded.documents.length, tokens: expect.any(Number) }]);
    expect(loaded.totals[0].tokens).toBeGreaterThan(loaded.documents.length);
    // Both: the trigger-kept counts match what the rebuild counted, word for word.
    expect(await copied(false)).toEqual(loaded);
    // And the index is in use: the trigger on search_documents counts again after the load.
    const client = await migratedDatabase();
    try {
      await client.query('BEGIN');
      await copySqliteToPostgres(source as never, client);
      await client.query('COMMIT');
      const before = (await client.query<{ documents: number }>(`SELECT documents FROM search_term_documents WHERE term = 'musk'`)).rows[0]!.documents;
      await client.query(`UPDATE claims SET text = text || ' Musk' WHERE id = (SELECT min(id) FROM claims WHERE text NOT ILIKE '%musk%')`);
      const after = (await client.query<{ documents: number }>(`SELECT documents FROM search_term_documents WHERE term = 'musk'`)).rows[0]!.documents;
      expect(after).toBe(before + 1);
    } finally {
      await client.end();
    }
  });
});

describe('named prepared statements', () => {
  it('answers reads through the pool as before, on every connection', async () => {
    const url = await cluster.createDatabase();
    const db = openPostgres(url);
    try {
      await migratePostgres(db);
      const text = 'select $1::int + 1 as n /* pool-test */';
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => db.$client.query({ text }, [i])));
      expect(answers.map((a) => a.rows[0].n)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      // Each pooled connection that ran it holds it under its name (it fails without prepareReads).
      const held = await db.$client.connect();
      try {
        const { rows } = await held.query<{ name: string }>('SELECT name FROM pg_prepared_statements WHERE statement = $1', [text]);
        expect(rows.map((r) => r.name)).toEqual([statementName(text)]);
      } finally {
        held.release();
      }
    } finally {
      await db.$client.end();
    }
  });

  it('names each read text once, leaves writes and long texts unnamed, and stops naming past the bound', () => {
    const read = 'select "d0"."id" from "claims" as "d0" where "d0"."id" = $1 /* prepared-test */';
    const name = statementName(read);
    expect(name).toMatch(/^claimgraph_\d+$/);
    expect(statementName(read)).toBe(name);
    expect(statementName(' WITH x AS (SELECT 1) SELECT * FROM x /* prepared-test */')).not.toBe(name);
    expect(statementName('insert into claims (text) values ($1)')).toBeUndefined();
    expect(statementName(`select 1 /* ${'x'.repeat(PREPARED_TEXT_MAX)} */`)).toBeUndefined();
    for (let i = 0; i < PREPARED_STATEMENTS_MAX; i++) statementName(`select ${i} /* prepared-test fill */`);
    expect(statementName('select 1 /* past the bound */')).toBeUndefined();
    expect(statementName(read)).toBe(name);
  });

});
