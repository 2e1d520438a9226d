import { sql } from 'drizzle-orm';
import type { Plugin, YogaLogger } from 'graphql-yoga';
import { type DatabaseHealth, databaseHealth, databaseLost, type Db, FAULT_RETRY_AFTER_MS, FILE_CHECK_INTERVAL_MS, onDatabaseLost } from '../db';
import { engineOf } from '../db/engine';
import { unavailable } from '../domain/errors';
import { databaseRoles, probe } from './health-probes';
import { jsonResponse } from './json';

/** What /health adds on PostgreSQL: which engine, and the server's version once it has answered. */
type ServerFields = { engine?: 'postgresql'; serverVersion?: string };

/** The fields of /health's answer that only a server engine gives (SQLite's answer has none of them). */
export const SERVER_ENGINE_FIELDS: readonly (keyof ServerFields)[] = ['engine', 'serverVersion'];

/**
 * `GET /health`: 200 `{"status":"ok"}` while the database answers and takes writes; 503
 * `{"status":"degraded"}` after a storage fault (a full or failing disk, a read-only database,
 * damaged data: see databaseHealth), on either engine, and 503 `{"status":"unavailable"}` once the
 * database file is gone or replaced, or the database does not answer. On PostgreSQL it also says
 * `engine` and `serverVersion`. Once the file is lost, every GraphQL request is refused too (the
 * response cache included): the process serves nothing from a database it no longer shares with
 * the next start.
 */
export function useHealth(db: Db, log: YogaLogger, droppedLogLines?: () => number): Plugin {
  onDatabaseLost(db.$client, (reason) =>
    log.error(`${reason}: refusing every request. Restart the server (restore the file from a backup first if it is gone); writes acknowledged before this are in the lost file.`),
  );
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      // /health/live and /health/ready: the load balancer's questions (src/http/health-probes.ts).
      if (url.pathname.startsWith('/health/') && (request.method === 'GET' || request.method === 'HEAD')) {
        return probe(url.pathname, db).then((found) => {
          if (found) endResponse(jsonResponse(fetchAPI, found.body, found.status));
        });
      }
      if (url.pathname !== '/health') {
        const lost = databaseLost(db.$client, FILE_CHECK_INTERVAL_MS);
        if (!lost || (request.method === 'GET' && request.headers.get('accept')?.includes('text/html'))) return;
        const refusal = unavailable(`The server lost its database (${lost}); nothing is served until it restarts. Retry later.`, FAULT_RETRY_AFTER_MS);
        endResponse(jsonResponse(fetchAPI, { errors: [refusal.toJSON()] }, 200));
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      let health: DatabaseHealth = databaseHealth(db);
      const logs = droppedLogLines ? { droppedLogLines: droppedLogLines() } : {};
      let server: ServerFields = {};
      const answer = (roles: object = {}) => endResponse(jsonResponse(fetchAPI, { ...health, ...logs, ...server, ...roles }, health.status === 'ok' ? 200 : 503));
      const noAnswer = (error: unknown): DatabaseHealth => ({
        status: 'unavailable',
        reason: `the database does not answer (${(error as Error).message})`,
        since: new Date().toISOString(),
      });
      // A server engine (PostgreSQL) is asked over the network; SQLite, in this thread, as before.
      const engine = engineOf(db);
      if (engine && engine.name !== 'sqlite') {
        server = { engine: 'postgresql' };
        return engine
          .ping()
          .then(() => engine.rows<{ server_version: string }>(sql`SHOW server_version`))
          .then(
            async ([row]) => {
              // "16.4 (Debian 16.4-1.pgdg120+1)": the version, without the packager's note.
              server = { engine: 'postgresql', serverVersion: row?.server_version.split(' ')[0] };
              answer(await databaseRoles(db));
            },
            (error: unknown) => {
              health = noAnswer(error);
              answer();
            },
          );
      }
      if (health.status !== 'unavailable') {
        try {
          db.$client.prepare('SELECT 1').get();
        } catch (error) {
          health = noAnswer(error);
        }
      }
      answer();
    },
  };
}
