import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresCluster, POSTGRES_MIN_MAJOR, startPostgres } from './support/postgres';

describe('a throwaway PostgreSQL cluster', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('answers on loopback, is new enough, and runs without fsync', async () => {
    const client = new pg.Client({ connectionString: cluster.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ major: number; fsync: string; addr: string }>(
        `SELECT current_setting('server_version_num')::int / 10000 AS major, current_setting('fsync') AS fsync, inet_server_addr()::text AS addr`,
      );
      expect(rows[0]!.major).toBeGreaterThanOrEqual(POSTGRES_MIN_MAJOR);
      expect(rows[0]!.fsync).toBe('off');
      expect(rows[0]!.addr).toBe('127.0.0.1/32');
    } finally {
      await client.end();
    }
  });

  it('hands out fresh databases that do not see each other', async () => {
    const [a, b] = [await cluster.createDatabase(), await cluster.createDatabase()];
    expect(a).not.toBe(b);
    const first = new pg.Client({ connectionString: a });
    const second = new pg.Client({ connectionString: b });
    await Promise.all([first.connect(), second.connect()]);
    try {
      await first.query('CREATE TABLE only_here (x int)');
      const { rows } = await second.query(`SELECT to_regclass('only_here') AS found`);
      expect(rows[0].found).toBeNull();
    } finally {
      await Promise.all([first.end(), second.end()]);
    }
  });
});
