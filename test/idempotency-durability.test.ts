import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { post, type RunningServer, startServer } from './support/server';

const TOKEN = 'idempotency-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const dbPath = join(mkdtempSync(join(tmpdir(), 'claimgraph-idempotency-')), 'claimgraph.db');
const env = { DATABASE_PATH: dbPath, API_TOKEN: TOKEN };
const servers: RunningServer[] = [];
afterAll(() => {
  for (const { child } of servers) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Writes in the stream; the server is killed once this many have been acknowledged. */
const WRITES = 120;
const KILL_AFTER = 40;
const IN_FLIGHT = 8;
/** At most this long, the test waits for an unanswered write to commit before the kill. */
const WATCH_MS = 10_000;

type Seed = { openai: { id: string }; claims: { nodes: { id: string }[] }; sources: { nodes: { id: string }[] } };

/** Write `i` of the stream: its operation, and the table and column where its one row is found by `marker`. */
function streamWrite(i: number, seed: Seed) {
  const clientMutationId = `stream-${i}`;
  const marker = `Stream write ${i}`;
  switch (i % 4) {
    case 0:
      return {
        query: 'mutation($i: CreateEntityInput!) { createEntity(input: $i) { clientMutationId entity { id } } }',
        input: { clientMutationId, kind: 'PERSON', name: marker },
        payload: ['createEntity', 'entity'],
        row: ['entities', 'name'],
        marker,
      };
    case 1:
      return {
        query: 'mutation($i: CreateClaimInput!) { createClaim(input: $i) { clientMutationId claim { id } } }',
        input: { clientMutationId, text: marker, kind: 'FACT', appearsInId: seed.sources.nodes[0]!.id, aboutIds: [seed.openai.id] },
        payload: ['createClaim', 'claim'],
        row: ['claims', 'text'],
        marker,
      };
    case 2:
      return {
        query: 'mutation($i: CreateSourceInput!) { createSource(input: $i) { clientMutationId source { id } } }',
        input: { clientMutationId, kind: 'NEWS', title: marker },
        payload: ['createSource', 'source'],
        row: ['sources', 'title'],
        marker,
      };
    default:
      return {
        query: 'mutation($i: AddCitationInput!) { addCitation(input: $i) { clientMutationId citation { id } } }',
        input: { clientMutationId, claimId: seed.claims.nodes[0]!.id, sourceId: seed.sources.nodes[1]!.id, stance: 'MENTIONS', locator: marker },
        payload: ['addCitation', 'citation'],
        row: ['citations', 'locator'],
        marker,
      };
  }
}

/** Sends write `i`; its id when acknowledged, null when the answer never came (the server died). */
async function send(url: string, write: ReturnType<typeof streamWrite>): Promise<string | null> {
  let res;
  try {
    res = await post(url, write.query, { i: write.input }, AUTH);
  } catch {
    return null;
  }
  expect(res.errors, write.marker).toBeUndefined();
  expect(Object.values(res.data!)[0]).toMatchObject({ clientMutationId: write.input.clientMutationId });
  const [mutation, object] = write.payload as [string, string];
  return (res.data as Record<string, Record<string, { id: string }>>)[mutation]![object]!.id;
}

const rowId = (globalId: string) => Number(Buffer.from(globalId, 'base64').toString().split(':')[1]);

describe('retrying after a SIGKILL', () => {
  it('writes every clientMutationId exactly once, and loses nothing acknowledged', async () => {
    const server = await startServer(env);
    servers.push(server);
    const seed = (await post<Seed>(server.url, '{ openai: entity(name: "OpenAI") { id } claims(first: 1) { nodes { id } } sources(first: 2) { nodes { id } } }')).data!;
    const writes = Array.from({ length: WRITES }, (_, i) => streamWrite(i, seed));

    // Several writes in flight at a time. After the KILL_AFTER-th answer, the test stops reading
    // answers and watches the file until one more write commits, then kills the process: that write
    // committed, and its answer is never read (the tester's case). The watch does not yield to the
    // event loop, so no answer can be read meanwhile; it gives up after WATCH_MS.
    const watch = new Database(dbPath, { readonly: true });
    const keys = watch.prepare('SELECT client_mutation_id FROM idempotency_keys').pluck();
    const untilCommittedUnanswered = (answered: Map<number, string>) => {
      const seen = () => (keys.all() as string[]).some((key) => !answered.has(Number(key.split('-')[1])));
      for (const until = Date.now() + WATCH_MS; !seen() && Date.now() < until; );
    };
    const acknowledged = new Map<number, string>();
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (!killed && next < WRITES) {
        const i = next++;
        const id = await send(server.url, writes[i]!);
        if (id === null || killed) continue; // an answer that arrives after the kill is not counted
        acknowledged.set(i, id);
        if (acknowledged.size === KILL_AFTER) {
          killed = true;
          untilCommittedUnanswered(acknowledged);
          server.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    expect(await server.exit).toBeNull();
    watch.close();
    const unacknowledged = writes.map((_, i) => i).filter((i) => !acknowledged.has(i));
    expect(unacknowledged.length).toBeGreaterThan(0);

    const restarted = await startServer(env);
    servers.push(restarted);
    // How many unanswered writes had committed anyway: these are the ones a retry would have duplicated.
    const file = new Database(dbPath, { readonly: true });
    const keyed = new Set(file.prepare('SELECT client_mutation_id FROM idempotency_keys').pluck().all() as string[]);
    file.close();
    const committedUnanswered = unacknowledged.filter((i) => keyed.has(`stream-${i}`)).length;
    console.info(`idempotency after SIGKILL: ${acknowledged.size} acknowledged, ${unacknowledged.length} not, ${committedUnanswered} of those committed`);
    for (const i of acknowledged.keys()) expect(keyed.has(`stream-${i}`), `stream-${i}`).toBe(true);
    expect(committedUnanswered).toBeGreaterThan(0);

    // Every unacknowledged write is retried, and a few acknowledged ones as well.
    const retried = [...unacknowledged, ...[...acknowledged.keys()].slice(0, 5)];
    const retriedIds = new Map<number, string>();
    let cursor = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (cursor < retried.length) {
          const i = retried[cursor++]!;
          const id = await send(restarted.url, writes[i]!);
          expect(id, `retry of stream-${i}`).not.toBeNull();
          retriedIds.set(i, id!);
        }
      }),
    );
    for (const [i, id] of acknowledged) if (retriedIds.has(i)) expect(retriedIds.get(i), `stream-${i}`).toBe(id);

    restarted.child.kill('SIGTERM');
    expect(await restarted.exit).toBe(0);
    const db = new Database(dbPath, { readonly: true });
    writes.forEach((write, i) => {
      const [table, column] = write.row as [string, string];
      const rows = db.prepare(`SELECT id FROM ${table} WHERE ${column} = ?`).pluck().all(write.marker) as number[];
      // One row per key, and it is the row the client was told about.
      expect(rows, write.marker).toHaveLength(1);
      expect(rows[0], write.marker).toBe(rowId(acknowledged.get(i) ?? retriedIds.get(i)!));
    });
    expect(db.prepare('SELECT count(*) FROM idempotency_keys').pluck().get()).toBe(WRITES);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  }, 120_000);
});
