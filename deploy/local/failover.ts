import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { sleep, waitFor } from './processes';
import {
  apiReady,
  apiUrl,
  type ClusterState,
  databaseUrls,
  healthy,
  killApiNode,
  killPostgresNode,
  leaderOf,
  members,
  startApiNode,
  startPostgresNode,
} from './topology';

/** Concurrent clients that write, and that read, through the HTTP front for the whole test. */
const WRITERS = 4;
const READERS = 2;
/** How long one request may take before the client counts it as failed (and a writer sends it again). */
const REQUEST_TIMEOUT_MS = 5000;
/** A writer's pause before sending a refused write again (the same clientMutationId). */
const RETRY_PAUSE_MS = 100;
/** Steady writing before each fault, and after the cluster is whole again. */
const STEADY_MS = 3000;

const WRITE = `mutation Write($input: CreateClaimInput!) { createClaim(input: $input) { clientMutationId claim { id } } }`;
const READ = `{ claims(first: 3) { edges { node { id text } } } }`;

interface Answer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export interface FailoverRound {
  killed: string;
  promoted: string;
  /** The longest time no write was acknowledged, from the last before the kill to the first by the new primary. */
  writesRefusedSeconds: number;
  /** Write requests that failed (refused, cut, timed out) in that time; each was sent again with its key. */
  writeAttemptsFailed: number;
  /** Reads that failed in that time. */
  readsFailed: number;
  /** Seconds from the kill until Patroni named another leader. */
  promotedAfterSeconds: number;
}

export interface FailoverReport {
  rounds: FailoverRound[];
  acknowledged: number;
  lost: number;
  /** Rows written more than once although sent with one clientMutationId. */
  duplicated: number;
  readsAnswered: number;
  readsFailed: number;
  /** Why reads failed: the first few answers' errors (or the client's), each with its second since the test began. */
  readFailures: string[];
  /** Requests (reads and writes) that failed while one API node was killed. */
  apiNodeKilled: { node: string; readsFailed: number; writesRefused: number };
  /** The asynchronous replica killed, written past, restarted: seconds until it held every row. */
  replicaRestarted: { node: string; writtenWhileDown: number; caughtUpSeconds: number };
  passed: boolean;
}

async function post(url: string, body: unknown, token?: string): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return (await response.json()) as Answer;
}

/** The number in a global id ("Claim:53" in base64). */
const rowId = (globalId: string) => Number(Buffer.from(globalId, 'base64').toString('utf8').split(':')[1]);

/**
 * Streams of acknowledged writes (createClaim, each with its own clientMutationId, sent again with
 * the same key until acknowledged) and of reads, through HAProxy's HTTP front, while faults are
 * injected: the primary killed (kill -9 of its Patroni and PostgreSQL) `rounds` times, an API node
 * killed, the asynchronous replica killed and restarted. Then every acknowledged write is looked
 * for on the primary and on every replica.
 */
export async function runFailoverTest(state: ClusterState, options: { rounds: number; say?: (line: string) => void }): Promise<FailoverReport> {
  const say = options.say ?? console.log;
  const graphql = `${apiUrl(state)}/graphql`;
  const run = randomUUID().slice(0, 8);
  const prefix = `failover test ${run} write `;
  const found = await post(graphql, { query: '{ sources(first: 1) { edges { node { id } } } entities(first: 1) { edges { node { id } } } }' });
  const pick = (field: string) => ((found.data?.[field] as { edges: { node: { id: string } }[] }).edges[0]!.node.id);
  const appearsInId = pick('sources');
  const aboutId = pick('entities');

  const acknowledged = new Map<string, number>();
  const failures: { at: number; kind: 'write' | 'read' }[] = [];
  const readFailures: string[] = [];
  const began = Date.now();
  const acks: number[] = [];
  let reads = 0;
  let readsFailed = 0;
  let writing = true;
  let sequence = 0;

  const writer = async () => {
    while (writing) {
      const key = `${run}-${++sequence}`;
      const input = { text: `${prefix}${key}`, kind: 'FACT', appearsInId, aboutIds: [aboutId], clientMutationId: key };
      // Sent again, with the same key, until acknowledged: the stream never skips a write.
      for (;;) {
        try {
          const answer = await post(graphql, { query: WRITE, variables: { input } }, state.secrets.apiToken);
          const id = (answer.data?.createClaim as { claim?: { id: string } } | undefined)?.claim?.id;
          if (id && !answer.errors) {
            acknowledged.set(key, rowId(id));
            acks.push(Date.now());
            break;
          }
        } catch {
          // No answer (connection refused or cut, timeout): it may have committed; the key tells.
        }
        failures.push({ at: Date.now(), kind: 'write' });
        await sleep(RETRY_PAUSE_MS);
      }
    }
  };
  const reader = async () => {
    while (writing) {
      try {
        const answer = await post(graphql, { query: READ });
        if (answer.errors || !answer.data) throw new Error(answer.errors?.[0]?.message ?? 'no data');
        reads++;
      } catch (error) {
        readsFailed++;
        failures.push({ at: Date.now(), kind: 'read' });
        if (readFailures.length < 5) readFailures.push(`${((Date.now() - began) / 1000).toFixed(1)} s: ${(error as Error).message}`);
        await sleep(RETRY_PAUSE_MS);
      }
    }
  };
  const streams = [...Array.from({ length: WRITERS }, writer), ...Array.from({ length: READERS }, reader)];

  // The longest stretch without an acknowledged write between `from` and `to` (acks are in time order).
  const noAckSeconds = (from: number, to: number) => {
    let last = acks.filter((at) => at <= from).at(-1) ?? from;
    let longest = 0;
    for (const at of acks) {
      if (at <= from || at > to) continue;
      longest = Math.max(longest, at - last);
      last = at;
    }
    return longest / 1000;
  };
  const failedBetween = (kind: 'read' | 'write', from: number, to: number) => failures.filter((failure) => failure.kind === kind && failure.at >= from && failure.at <= to).length;

  const rounds: FailoverRound[] = [];
  let apiNodeKilled: FailoverReport['apiNodeKilled'] | undefined;
  let replicaRestarted: FailoverReport['replicaRestarted'] | undefined;
  try {
    for (let round = 1; round <= options.rounds; round++) {
      await sleep(STEADY_MS);
      const leader = await waitFor('a leader', () => leaderOf(state), 30_000);
      const killedAt = Date.now();
      say(`round ${round}: kill -9 the primary ${leader.name} (Patroni and PostgreSQL) at ${((killedAt - began) / 1000).toFixed(1)} s, after ${acknowledged.size} acknowledged writes`);
      killPostgresNode(state, leader);
      const promoted = await waitFor('another leader', async () => {
        const next = await leaderOf(state);
        return next && next.name !== leader.name ? next : undefined;
      }, 120_000, 200);
      const promotedAfterSeconds = (Date.now() - killedAt) / 1000;
      await waitFor('a write acknowledged by the new primary', () => acks.some((at) => at > killedAt + promotedAfterSeconds * 1000), 60_000, 100);
      const resumedAt = acks.find((at) => at > killedAt + promotedAfterSeconds * 1000)!;
      rounds.push({
        killed: leader.name,
        promoted: promoted.name,
        promotedAfterSeconds,
        writesRefusedSeconds: noAckSeconds(killedAt, resumedAt),
        writeAttemptsFailed: failedBetween('write', killedAt, resumedAt),
        readsFailed: failedBetween('read', killedAt, resumedAt),
      });
      say(`round ${round}: ${promoted.name} promoted after ${promotedAfterSeconds.toFixed(1)} s; writes refused for ${rounds.at(-1)!.writesRefusedSeconds.toFixed(1)} s; restarting ${leader.name}`);
      startPostgresNode(state, leader);
      await waitFor(`${leader.name} to rejoin as a standby`, () => healthy(state), 180_000, 500);
    }

    await sleep(STEADY_MS);
    const apiNode = state.api[state.api.length > 1 ? 1 : 0]!;
    const apiKilledAt = Date.now();
    say(`kill -9 the API node ${apiNode.name}`);
    killApiNode(state, apiNode);
    await sleep(STEADY_MS);
    const inWindow = (kind: 'read' | 'write') => failures.filter((failure) => failure.kind === kind && failure.at >= apiKilledAt).length;
    apiNodeKilled = { node: apiNode.name, readsFailed: inWindow('read'), writesRefused: inWindow('write') };
    startApiNode(state, apiNode);
    await waitFor(`${apiNode.name} to answer again`, () => apiReady(apiNode), 60_000);

    const replica = (await members(state))?.find((member) => member.role === 'replica');
    const replicaNode = state.nodes.find((node) => node.name === replica?.name);
    if (replicaNode) {
      say(`kill -9 the asynchronous replica ${replicaNode.name}`);
      killPostgresNode(state, replicaNode);
      const before = acknowledged.size;
      await sleep(STEADY_MS);
      const writtenWhileDown = acknowledged.size - before;
      const restartedAt = Date.now();
      startPostgresNode(state, replicaNode);
      const target = acknowledged.size;
      await waitFor(`${replicaNode.name} to hold every acknowledged write`, async () => (await countOn(state, replicaNode.pgPort, prefix)) >= target, 120_000, 250);
      replicaRestarted = { node: replicaNode.name, writtenWhileDown, caughtUpSeconds: (Date.now() - restartedAt) / 1000 };
      say(`${replicaNode.name} restarted and held every write after ${replicaRestarted.caughtUpSeconds.toFixed(1)} s`);
    }
    await sleep(1000);
  } finally {
    writing = false;
    await Promise.all(streams);
  }

  // Every acknowledged write, looked for on the primary by its row id; then every member holds them all.
  const leader = await waitFor('a leader', () => leaderOf(state), 30_000);
  const ids = [...acknowledged.values()];
  const client = new pg.Client({ connectionString: databaseUrls(state).superuser(leader.pgPort, 'claimgraph') });
  await client.connect();
  let present = 0;
  let rows = 0;
  try {
    present = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM claims WHERE id = ANY($1::int[])', [ids])).rows[0]!.n);
    rows = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM claims WHERE text LIKE $1', [`${prefix}%`])).rows[0]!.n);
  } finally {
    await client.end();
  }
  for (const node of state.nodes) {
    await waitFor(`${node.name} to hold every write`, async () => (await countOn(state, node.pgPort, prefix)) >= rows, 60_000, 250);
  }

  const report: FailoverReport = {
    rounds,
    acknowledged: acknowledged.size,
    lost: ids.length - present,
    duplicated: rows - acknowledged.size,
    readsAnswered: reads,
    readsFailed,
    readFailures,
    apiNodeKilled: apiNodeKilled!,
    replicaRestarted: replicaRestarted ?? { node: 'none found', writtenWhileDown: 0, caughtUpSeconds: Number.NaN },
    passed: false,
  };
  report.passed = report.lost === 0 && report.duplicated === 0 && rounds.length === options.rounds && rounds.every((round) => round.writesRefusedSeconds > 0);
  printReport(report, say);
  return report;
}

/** Rows of this run's writes on one member, read there directly (standbys answer reads). */
async function countOn(state: ClusterState, port: number, prefix: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrls(state).superuser(port, 'claimgraph'), connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM claims WHERE text LIKE $1', [`${prefix}%`])).rows[0]!.n);
  } finally {
    await client.end();
  }
}

function printReport(report: FailoverReport, say: (line: string) => void) {
  say('');
  say(`rounds:                 ${report.rounds.length}`);
  say(`acknowledged writes:    ${report.acknowledged}`);
  say(`writes lost:            ${report.lost}`);
  say(`writes duplicated:      ${report.duplicated}`);
  report.rounds.forEach((round, i) =>
    say(
      `failover ${i + 1}:             ${round.killed} killed, ${round.promoted} promoted after ${round.promotedAfterSeconds.toFixed(1)} s; no write acknowledged for ${round.writesRefusedSeconds.toFixed(1)} s (${round.writeAttemptsFailed} attempts refused and sent again); ${round.readsFailed} reads failed`,
    ),
  );
  say(`reads answered:         ${report.readsAnswered}`);
  say(`reads failed:           ${report.readsFailed}`);
  for (const why of report.readFailures) say(`  a read failed at ${why}`);
  say(`API node killed:        ${report.apiNodeKilled.node}: ${report.apiNodeKilled.readsFailed} reads failed, ${report.apiNodeKilled.writesRefused} writes refused`);
  say(`replica restarted:      ${report.replicaRestarted.node}: ${report.replicaRestarted.writtenWhileDown} writes while down, caught up ${report.replicaRestarted.caughtUpSeconds.toFixed(1)} s after restart`);
  say(report.passed ? 'PASSED' : 'FAILED');
}
