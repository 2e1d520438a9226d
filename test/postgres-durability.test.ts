import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresCluster, startPostgres } from './support/postgres';
import { post, type RunningServer, startServer } from './support/server';

/**
 * Durability on PostgreSQL, as test/durability.test.ts and test/idempotency-durability.test.ts
 * check it on SQLite: several clients send a stream of writes (createEntity and createClaim, each
 * with a clientMutationId), and something dies mid-stream.
 *
 * (a) The claimgraph process is killed with SIGKILL: every acknowledged write is in the database,
 *     no claim is half-written (each has all its about-links and citations, or does not exist),
 *     and a restarted server answers the retries of the unacknowledged writes exactly once.
 * (b) PostgreSQL itself crashes (`pg_ctl stop -m immediate`: no checkpoint, WAL replay at the next
 *     start): every acknowledged write is there after the restart, and the same claimgraph server,
 *     never restarted, reconnects and accepts the retries (again exactly once).
 *
 * The throwaway cluster runs with fsync off (test/support/postgres.ts). That loses nothing here:
 * a process crash (even PostgreSQL's, as in (b)) leaves the written WAL in the kernel's page
 * cache; only an operating-system crash or a power cut would lose it, which no test here makes.
 * The cluster also runs with synchronous_commit off, which can lose the last commits in (b): a
 * commit is acknowledged before its WAL leaves PostgreSQL's own buffers (the WAL writer writes
 * them within 3 × wal_writer_delay), and an immediate stop throws those buffers away. So each
 * database here sets it back on, as a production server has it. (With it off and the WAL writer
 * slowed to wal_writer_delay = 10s, (b) fails: an acknowledged write is gone after the restart.
 * At the default 200 ms, runs here did not catch the window.)
 */

const TOKEN = 'pg-durability-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
/** Writes in each stream; the crash comes once this many have been acknowledged. */
const WRITES = 120;
const CRASH_AFTER = 40;
/** Clients sending at once. */
const CLIENTS = 8;
/** At most this long, (a) waits for an unanswered write to commit before the kill. */
const WATCH_MS = 10_000;
/** At most this long, (b) retries a write while PostgreSQL comes back. */
const RECONNECT_MS = 30_000;

let cluster: PostgresCluster;
const servers: RunningServer[] = [];
beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);
afterAll(async () => {
  for (const { child } of servers) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(servers.map((s) => s.exit));
  await cluster?.stop();
});

type Seed = { openai: { id: string }; musk: { id: string }; sources: { nodes: { id: string }[] } };
type StreamWrite = ReturnType<typeof streamWrite>;

/** Write `i` of the stream: an entity, or a claim about two entities with two citations. */
function streamWrite(stream: string, i: number, seed: Seed) {
  const clientMutationId = `${stream}-${i}`;
  const marker = `${stream} write ${i}`;
  if (i % 2 === 0) {
    return {
      clientMutationId,
      marker,
      kind: 'entity' as const,
      query: 'mutation($i: CreateEntityInput!) { createEntity(input: $i) { clientMutationId entity { id } } }',
      input: { clientMutationId, kind: 'PERSON', name: marker, aliases: [`${marker} alias`] },
    };
  }
  return {
    clientMutationId,
    marker,
    kind: 'claim' as const,
    query: 'mutation($i: CreateClaimInput!) { createClaim(input: $i) { clientMutationId claim { id } } }',
    input: {
      clientMutationId,
      text: marker,
      kind: 'FACT',
      appearsInId: seed.sources.nodes[0]!.id,
      aboutIds: [seed.openai.id, seed.musk.id],
      citations: [
        { sourceId: seed.sources.nodes[1]!.id, stance: 'SUPPORTS', locator: `${marker} p. 1` },
        { sourceId: seed.sources.nodes[2]!.id, stance: 'REFUTES', locator: `${marker} p. 2` },
      ],
    },
  };
}

/** How many about-links and citations each stream claim has: all or nothing. */
const CLAIM_PARTS = { subjects: 2, citations: 2 };

/**
 * Sends one write. Its row id when acknowledged; null when no answer came (the process died) or
 * the answer was UNAVAILABLE (the database died): the only failures a crash may cause.
 */
async function send(url: string, write: StreamWrite): Promise<number | null> {
  let res;
  try {
    res = await post(url, write.query, { i: write.input }, AUTH);
  } catch {
    return null;
  }
  if (res.errors) {
    expect(res.errors.map((e) => e.extensions?.code), `${write.marker}: ${JSON.stringify(res.errors)}`).toEqual(['UNAVAILABLE']);
    return null;
  }
  const payload = Object.values(res.data!)[0] as Record<string, unknown>;
  expect(payload.clientMutationId).toBe(write.clientMutationId);
  const node = (payload.entity ?? payload.claim) as { id: string };
  return Number(Buffer.from(node.id, 'base64').toString().split(':')[1]);
}

/**
 * Runs the stream with CLIENTS clients at once. After the CRASH_AFTER-th answer, no later answer
 * counts (the clients are told nothing more), `crash()` runs, and the rest of the stream is sent
 * into the crash (the clients keep going: their writes fail or go unanswered).
 */
async function stream(url: string, writes: StreamWrite[], crash: (acknowledged: Map<number, number>) => Promise<void>) {
  const acknowledged = new Map<number, number>();
  let next = 0;
  let crashed = false;
  let crashing: Promise<void> | undefined;
  const client = async () => {
    while (next < writes.length) {
      const i = next++;
      const id = await send(url, writes[i]!);
      if (id === null || crashed) continue;
      acknowledged.set(i, id);
      if (acknowledged.size === CRASH_AFTER) {
        crashed = true;
        crashing = crash(new Map(acknowledged));
        await crashing;
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  await crashing;
  expect(crashed, 'the crash happened mid-stream').toBe(true);
  return acknowledged;
}

/** A fresh database for one case, with synchronous_commit on (see the file's comment). */
async function freshDatabase(name: string): Promise<string> {
  const url = await cluster.createDatabase({ name });
  await cluster.query(`ALTER DATABASE ${name} SET synchronous_commit = on`);
  return url;
}

async function seedOf(url: string): Promise<Seed> {
  const res = await post<Seed>(url, '{ openai: entity(name: "OpenAI") { id } musk: entity(name: "Musk") { id } sources(first: 3) { nodes { id } } }');
  expect(res.errors).toBeUndefined();
  expect(res.data!.sources.nodes).toHaveLength(3);
  return res.data!;
}

/** The stream's keys that committed, read straight from the database. */
async function committedKeys(database: string, stream: string): Promise<Set<string>> {
  const rows = await cluster.query<{ key: string }>('SELECT client_mutation_id AS key FROM idempotency_keys WHERE client_mutation_id LIKE $1', [`${stream}-%`], database);
  return new Set(rows.map((r) => r.key));
}

/**
 * What the database holds for the stream after everything: every write exactly once under the id
 * its client was told (when it was told one), every claim whole, one key per write.
 */
async function expectExactlyOnce(database: string, writes: StreamWrite[], told: Map<number, number>) {
  const entities = await cluster.query<{ id: number; name: string; aliases: number }>(
    `SELECT e.id, e.name, CAST((SELECT count(*) FROM entity_aliases a WHERE a.entity_id = e.id) AS integer) AS aliases
       FROM entities e WHERE e.name LIKE $1`,
    [`${writes[0]!.clientMutationId.split('-')[0]} write %`],
    database,
  );
  const claims = await cluster.query<{ id: number; text: string; subjects: number; citations: number }>(
    `SELECT c.id, c.text,
            CAST((SELECT count(*) FROM claim_subjects s WHERE s.claim_id = c.id) AS integer) AS subjects,
            CAST((SELECT count(*) FROM citations t WHERE t.claim_id = c.id) AS integer) AS citations
       FROM claims c WHERE c.text LIKE $1`,
    [`${writes[0]!.clientMutationId.split('-')[0]} write %`],
    database,
  );
  writes.forEach((write, i) => {
    const rows = write.kind === 'entity' ? entities.filter((e) => e.name === write.marker) : claims.filter((c) => c.text === write.marker);
    expect(rows.map((r) => r.id), write.marker).toEqual([told.get(i)]);
  });
  for (const entity of entities) expect(entity.aliases, `${entity.name}: its alias`).toBe(1);
  for (const claim of claims) expect({ subjects: claim.subjects, citations: claim.citations }, `${claim.text}: a whole claim`).toEqual(CLAIM_PARTS);
  const keys = await cluster.query<{ n: number }>('SELECT CAST(count(*) AS integer) AS n FROM idempotency_keys', [], database);
  expect(keys[0]!.n).toBe(writes.length);
}

/** No claim of the stream lacks any of its about-links or citations: what a half-written createClaim leaves. */
async function expectNoHalfWrittenClaim(database: string, stream: string) {
  const orphans = await cluster.query(
    `SELECT c.id, c.text FROM claims c
      WHERE c.text LIKE $1
        AND ((SELECT count(*) FROM claim_subjects s WHERE s.claim_id = c.id) <> ${CLAIM_PARTS.subjects}
          OR (SELECT count(*) FROM citations t WHERE t.claim_id = c.id) <> ${CLAIM_PARTS.citations})`,
    [`${stream} write %`],
    database,
  );
  expect(orphans, 'claims without their about-links or citations').toEqual([]);
}

describe('PostgreSQL durability', () => {
  it('(a) keeps every acknowledged write across a SIGKILL of the server, and answers the retries exactly once', async () => {
    const database = 'killed';
    const url = await freshDatabase(database);
    const env = { DATABASE_URL: url, API_TOKEN: TOKEN };
    const server = await startServer(env);
    servers.push(server);
    const seed = await seedOf(server.url);
    const writes = Array.from({ length: WRITES }, (_, i) => streamWrite('killed', i, seed));

    // After the CRASH_AFTER-th answer, wait until a write commits whose answer the clients never
    // read (its key is in the database), then kill: that write is the one a retry could duplicate.
    const acknowledged = await stream(server.url, writes, async (answered) => {
      for (const until = Date.now() + WATCH_MS; Date.now() < until; ) {
        const keys = await committedKeys(database, 'killed');
        if ([...keys].some((key) => !answered.has(Number(key.split('-')[1])))) break;
      }
      server.child.kill('SIGKILL');
    });
    expect(await server.exit).toBeNull();

    const keys = await committedKeys(database, 'killed');
    const unacknowledged = writes.map((_, i) => i).filter((i) => !acknowledged.has(i));
    const committedUnanswered = unacknowledged.filter((i) => keys.has(`killed-${i}`)).length;
    console.info(`PostgreSQL, SIGKILL of the server: ${acknowledged.size} acknowledged, ${unacknowledged.length} not, ${committedUnanswered} of those committed`);
    expect(unacknowledged.length).toBeGreaterThan(0);
    expect(committedUnanswered, 'a write committed whose answer was never read').toBeGreaterThan(0);
    for (const i of acknowledged.keys()) expect(keys.has(`killed-${i}`), `killed-${i}`).toBe(true);
    await expectNoHalfWrittenClaim(database, database);

    const restarted = await startServer(env);
    servers.push(restarted);
    expect(restarted.output()).not.toMatch(/seeded an empty database/);
    // Every unacknowledged write is retried, and a few acknowledged ones as well.
    const told = new Map(acknowledged);
    const retried = [...unacknowledged, ...[...acknowledged.keys()].slice(0, 5)];
    let cursor = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (cursor < retried.length) {
          const i = retried[cursor++]!;
          const id = await send(restarted.url, writes[i]!);
          expect(id, `retry of killed-${i}`).not.toBeNull();
          if (acknowledged.has(i)) expect(id, `retry of acknowledged killed-${i}`).toBe(acknowledged.get(i));
          told.set(i, id!);
        }
      }),
    );
    await expectExactlyOnce(database, writes, told);
    await expectNoHalfWrittenClaim(database, database);
    restarted.child.kill('SIGTERM');
    expect(await restarted.exit).toBe(0);
  }, 120_000);

  it('(b) keeps every acknowledged write across a crash of PostgreSQL, and the same server accepts writes once it is back', async () => {
    const database = 'crashed';
    const url = await freshDatabase(database);
    const server = await startServer({ DATABASE_URL: url, API_TOKEN: TOKEN });
    servers.push(server);
    const seed = await seedOf(server.url);
    const writes = Array.from({ length: WRITES }, (_, i) => streamWrite('crashed', i, seed));

    // The crash: no shutdown checkpoint, every backend killed; the next start replays the WAL.
    const acknowledged = await stream(server.url, writes, async () => cluster.halt('immediate'));
    const unacknowledged = writes.map((_, i) => i).filter((i) => !acknowledged.has(i));
    expect(unacknowledged.length).toBeGreaterThan(0);
    // While PostgreSQL is down, the server answers UNAVAILABLE (send() accepts nothing else).
    expect(await send(server.url, writes[unacknowledged[0]!]!)).toBeNull();
    cluster.resume();

    const keys = await committedKeys(database, 'crashed');
    console.info(
      `PostgreSQL, crash of PostgreSQL: ${acknowledged.size} acknowledged, ${unacknowledged.length} not, ${unacknowledged.filter((i) => keys.has(`crashed-${i}`)).length} of those committed`,
    );
    for (const i of acknowledged.keys()) expect(keys.has(`crashed-${i}`), `acknowledged crashed-${i} survived the crash`).toBe(true);
    await expectNoHalfWrittenClaim(database, database);

    // The same server, not restarted: each unacknowledged write is retried until it is accepted.
    const told = new Map(acknowledged);
    for (const i of [...unacknowledged, ...[...acknowledged.keys()].slice(0, 5)]) {
      let id: number | null = null;
      for (const until = Date.now() + RECONNECT_MS; id === null && Date.now() < until; ) {
        id = await send(server.url, writes[i]!);
        if (id === null) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(id, `crashed-${i} accepted once PostgreSQL is back`).not.toBeNull();
      if (acknowledged.has(i)) expect(id, `retry of acknowledged crashed-${i}`).toBe(acknowledged.get(i));
      told.set(i, id!);
    }
    await expectExactlyOnce(database, writes, told);
    await expectNoHalfWrittenClaim(database, database);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  }, 120_000);
});
