import type { Plugin, YogaLogger } from 'graphql-yoga';
import { type DatabaseHealth, databaseHealth, databaseLost, type Db, FAULT_RETRY_AFTER_MS, FILE_CHECK_INTERVAL_MS, onDatabaseLost } from '../db';
import { engineOf } from '../db/engine';
import { unavailable } from '../domain/errors';
import { databaseRoles, probe } from './health-probes';
import { jsonResponse } from './json';

/**
 * `GET /health`: 200 `{"status":"ok"}` while the database answers and takes writes; 503
 * `{"status":"degraded"}` while writes fail for want of disk (see databaseHealth), and 503
 * `{"status":"unavailable"}` once the database file is gone or replaced, or does not answer.
 * Once the file is lost, every GraphQL request is refused too (the response cache included): the
 * process serves nothing from a database it no longer shares with the next start.
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
      let health: DatabaseHealth = databaseHealth(db.$client);
      const logs = droppedLogLines ? { droppedLogLines: droppedLogLines() } : {};
      const answer = (roles: object = {}) => endResponse(jsonResponse(fetchAPI, { ...health, ...logs, ...roles }, health.status === 'ok' ? 200 : 503));
      const noAnswer = (error: unknown): DatabaseHealth => ({
        status: 'unavailable',
        reason: `the database does not answer (${(error as Error).message})`,
        since: new Date().toISOString(),
      });
      // A server engine (PostgreSQL) is asked over the network; SQLite, in this thread, as before.
      const engine = engineOf(db);
      if (engine && engine.name !== 'sqlite') {
        return engine.ping().then(
          () => databaseRoles(db).then(answer),
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
