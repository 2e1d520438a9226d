import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { type PostgresCluster, startPostgres } from './support/postgres';
import { type PostgresStandby, startStandby } from './support/postgres-standby';
import { post, type RunningServer, startServer } from './support/server';

/**
 * Reads from replicas, writes to the primary (docs/cluster.md, "Consistency"): two API processes
 * (two nodes) with DATABASE_URL on a primary and DATABASE_READ_URL on a hot standby streaming from
 * it. The standby's replay is paused to make it lag as long as the test needs.
 */

const TOKEN = 'cluster-replicas-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const HEADER = 'x-consistency-token';

let primary: PostgresCluster;
let standby: PostgresStandby;
let first: RunningServer;
let second: RunningServer;

interface Health {
  status: string;
  database?: { role: string; reads?: { role: string; lagBytes?: number; readsOnReplicas: number; readsSentToPrimary: number } };
}
const health = async (server: RunningServer, path = '/health') => {
  const response = await fetch(`${server.url}${path}`);
  return { status: response.status, body: (await response.json()) as Health };
};

const found = (name: string, headers: Record<string, string> = {}) => (server: RunningServer) =>
  post<{ entity: { id: string } | null }>(server.url, 'query Find($name: String!) { entity(name: $name) { id } }', { name }, headers);

beforeAll(async () => {
  primary = await startPostgres();
  const url = await primary.createDatabase({ name: 'replicated' });
  // As in production: a commit is acknowledged once it is in the primary's WAL on disk.
  await primary.query('ALTER DATABASE replicated SET synchronous_commit = on');
  standby = await startStandby(primary);
  const env = { DATABASE_URL: url, DATABASE_READ_URL: standby.url('replicated'), API_TOKEN: TOKEN, REPLICA_WAIT_MS: '200' };
  first = await startServer(env);
  second = await startServer(env);
}, 120_000);

afterAll(async () => {
  for (const server of [first, second]) server?.child.kill('SIGKILL');
  await Promise.all([first?.exit, second?.exit]);
  standby?.stop();
  await primary?.stop();
});

describe('an API node reading from a replica', () => {
  it('says in /health which role each server has and how far the replica trails; liveness and readiness answer apart', async () => {
    // The seed (written through the primary) reaches the standby; then reads are answered there.
    await expect.poll(async () => (await standby.query<{ n: number }>('SELECT count(*)::int AS n FROM entities', [], 'replicated'))[0]!.n, { timeout: 30_000 }).toBeGreaterThan(0);
    const read = await post<{ entities: { totalCount: number } }>(first.url, '{ entities(first: 1) { totalCount } }');
    expect(read.errors).toBeUndefined();
    const { status, body } = await health(first);
    expect(status).toBe(200);
    expect(body.database?.role).toBe('primary');
    expect(body.database?.reads).toMatchObject({ role: 'replica', lagBytes: expect.any(Number) });
    expect(body.database!.reads!.readsOnReplicas).toBeGreaterThan(0);
    expect(await health(first, '/health/live')).toEqual({ status: 200, body: { status: 'live' } });
    expect(await health(first, '/health/ready')).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it('lets a client read its own write, on this node and through another, while the replica lags', async () => {
    await standby.pauseReplay();
    try {
      const name = `Replica Lag Town ${Date.now()}`;
      const response = await fetch(`${first.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...AUTH },
        body: JSON.stringify({ query: `mutation { createEntity(input: { kind: PLACE, name: "${name}" }) { entity { id name } } }` }),
      });
      const written = (await response.json()) as { data: { createEntity: { entity: { id: string; name: string } } } };
      // The payload itself is read after the write: from the primary, not the stale replica.
      expect(written.data.createEntity.entity.name).toBe(name);
      const token = response.headers.get(HEADER);
      expect(token).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      // The replica has not replayed it: a read there would not find it.
      expect(await standby.query('SELECT id FROM entities WHERE name = $1', [name], 'replicated')).toEqual([]);

      // The writing node has heard of its own write: its reads need it without a token.
      expect((await found(name)(first)).data?.entity?.id).toBe(written.data.createEntity.entity.id);
      // Another node, given the token, answers from data at least that recent.
      expect((await found(name, { [HEADER]: token! })(second)).data?.entity?.id).toBe(written.data.createEntity.entity.id);
      expect((await health(second)).body.database!.reads!.readsSentToPrimary).toBeGreaterThan(0);
    } finally {
      await standby.resumeReplay();
    }
  });

  it('sends a read to the primary when no replica reaches its token in time', async () => {
    const before = (await health(second)).body.database!.reads!.readsSentToPrimary;
    // Further than any replica will replay within REPLICA_WAIT_MS (the replica is caught up otherwise).
    const answer = await found('Paris', { [HEADER]: 'FFFFFFF/0' })(second);
    expect(answer.errors).toBeUndefined();
    expect((await health(second)).body.database!.reads!.readsSentToPrimary).toBeGreaterThan(before);
  });

  it('refuses a consistency token it cannot read, saying what to send', async () => {
    const answer = await found('Paris', { [HEADER]: 'yesterday' })(first);
    expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(answer.errors?.[0]?.message).toContain('X-Consistency-Token');
  });

  it('answers reads from the primary while no replica can be reached, and stays ready', async () => {
    standby.halt();
    try {
      const read = await post<{ entities: { totalCount: number } }>(first.url, '{ entities(first: 2) { totalCount } }');
      expect(read.errors).toBeUndefined();
      expect(read.data?.entities.totalCount).toBeGreaterThan(0);
      expect((await health(first, '/health/ready')).status).toBe(200);
      expect((await health(first)).body.database?.reads?.role).toBe('unreachable');
    } finally {
      standby.resume();
    }
  });
});

describe('DATABASE_READ_URL', () => {
  it('needs DATABASE_URL, where writes go, and says so', () => {
    expect(() => loadConfig({ DATABASE_READ_URL: 'postgres://claimgraph@127.0.0.1:5001/claimgraph' })).toThrow(/DATABASE_READ_URL is set but DATABASE_URL is not/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://a@h/d', DATABASE_READ_URL: 'mysql://a@h/d' })).toThrow(/DATABASE_READ_URL must be a PostgreSQL URL/);
    expect(loadConfig({ DATABASE_URL: 'postgres://a@h/d', DATABASE_READ_URL: 'postgres://a@h:5001/d' })).toMatchObject({ DATABASE_READ_URL: 'postgres://a@h:5001/d', REPLICA_WAIT_MS: 500 });
  });
});
