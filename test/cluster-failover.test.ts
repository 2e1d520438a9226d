import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FailoverReport, runFailoverTest } from '../deploy/local/failover';
import { type ClusterState, down, members, up } from '../deploy/local/topology';

/**
 * The reference topology end to end, as `deploy/local-cluster test --rounds 1` runs it (docs/cluster.md):
 * etcd, three PostgreSQL nodes under Patroni, HAProxy, and two API nodes, on loopback in a folder
 * of its own. Writes and reads stream through HAProxy while the primary is killed (kill -9 of its
 * Patroni and PostgreSQL), then an API node, then the asynchronous replica; afterwards every
 * acknowledged write is on every member. Needs Debian's etcd-server, patroni and haproxy
 * (.ci/run installs them when missing).
 */

let dir: string;
let state: ClusterState;
const said: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'claimgraph-cluster-test-'));
  // up() makes the folder itself, and refuses one that holds a cluster already.
  rmSync(dir, { recursive: true, force: true });
  state = await up(dir, 2, (line) => said.push(line));
}, 240_000);

afterAll(() => {
  if (dir) down(dir);
});

describe('the local cluster', () => {
  it('starts a primary, a synchronous standby and an asynchronous replica', async () => {
    const roles = ((await members(state)) ?? []).map((member) => member.role).sort();
    expect(roles).toEqual(['leader', 'replica', 'sync_standby']);
  });

  it('loses no acknowledged write when the primary is killed mid-stream, keeps answering reads, and routes around a killed API node and replica', async () => {
    const report: FailoverReport = await runFailoverTest(state, { rounds: 1, say: (line) => said.push(line) });
    const context = said.join('\n');
    expect(report.acknowledged, context).toBeGreaterThan(0);
    expect(report.lost, context).toBe(0);
    expect(report.duplicated, context).toBe(0);
    expect(report.rounds, context).toHaveLength(1);
    expect(report.rounds[0]!.promoted, context).not.toBe(report.rounds[0]!.killed);
    expect(report.readsAnswered, context).toBeGreaterThan(0);
    expect(report.readsFailed, context).toBe(0);
    expect(report.apiNodeKilled, context).toMatchObject({ readsFailed: 0, writesRefused: 0 });
    expect(report.replicaRestarted.writtenWhileDown, context).toBeGreaterThan(0);
    expect(report.passed, context).toBe(true);
  }, 300_000);
});
