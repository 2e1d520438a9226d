import { databaseHealth, type Db } from '../db';
import { engineOf } from '../db/engine';
import type { EngineReport, PostgresEngine } from '../db/postgres-engine';

/**
 * The load balancer's two questions (docs/cluster.md), apart from /health's full report:
 * - `GET /health/live`: is the process answering at all? 200 without touching the database; a
 *   supervisor restarts a process that stops answering it.
 * - `GET /health/ready`: may requests be sent here? 200 while reads can be answered (on
 *   PostgreSQL with replicas: by a replica or else the primary, so a node stays in the pool while
 *   the primary fails over and writes are refused for those seconds); 503 otherwise, and while
 *   the process stops (src/main.ts answers every request 503 then).
 */
export const HEALTH_LIVE_PATH = '/health/live';
export const HEALTH_READY_PATH = '/health/ready';

export interface Probe {
  status: 200 | 503;
  body: Record<string, unknown>;
}

/** The answer to /health/live or /health/ready, or undefined for any other path. */
export async function probe(pathname: string, db: Db): Promise<Probe | undefined> {
  if (pathname === HEALTH_LIVE_PATH) return { status: 200, body: { status: 'live' } };
  if (pathname !== HEALTH_READY_PATH) return undefined;
  const engine = engineOf(db);
  try {
    if (engine.name === 'postgres') await (engine as PostgresEngine).readPing();
    else {
      const health = databaseHealth(db.$client);
      // Degraded (no disk for writes) still answers reads: ready.
      if (health.status === 'unavailable') return { status: 503, body: { ...health } };
      db.$client.prepare('SELECT 1').get();
    }
    return { status: 200, body: { status: 'ready' } };
  } catch (error) {
    return { status: 503, body: { status: 'unavailable', reason: `the database does not answer reads (${(error as Error).message})` } };
  }
}

/**
 * /health's `database` field on PostgreSQL when reads go to replicas (DATABASE_READ_URL): the role
 * DATABASE_URL reaches, and the replica's lag. Without replicas it appears only when DATABASE_URL
 * reaches a standby, where every write fails; otherwise /health answers as on SQLite.
 */
export async function databaseRoles(db: Db): Promise<{ database?: EngineReport }> {
  const engine = engineOf(db);
  if (engine.name !== 'postgres') return {};
  try {
    const report = await (engine as PostgresEngine).report();
    return (engine as PostgresEngine).readsFromReplicas || report.role !== 'primary' ? { database: report } : {};
  } catch {
    return {};
  }
}
