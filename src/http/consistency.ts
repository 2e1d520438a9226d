import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../db/engine';
import type { PostgresEngine } from '../db/postgres-engine';
import { formatLsn, parseLsn, withConsistency } from '../db/postgres-replicas';
import { badInput } from '../domain/errors';

/**
 * Read-your-writes across API nodes when reads go to replicas (DATABASE_READ_URL; docs/cluster.md):
 * a response to a request that wrote carries the write's position in the primary's WAL in this
 * header; a later request that sends it back is answered from data at least that recent, by
 * whichever node and replica it reaches (or by the primary, when no replica catches up in time).
 */
export const CONSISTENCY_HEADER = 'X-Consistency-Token';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const replicated = (engine: Engine): engine is PostgresEngine => engine.name === 'postgres' && (engine as PostgresEngine).readsFromReplicas;

/** Wraps the server's request handler: reads the token a request brings, and sets the one its write made. */
export function withConsistencyTokens(engine: Engine, handler: Handler): Handler {
  if (!replicated(engine)) return handler;
  const header = CONSISTENCY_HEADER.toLowerCase();
  return (request, response) => {
    const sent = request.headers[header];
    const text = Array.isArray(sent) ? sent[0] : sent;
    const token = text === undefined || text === '' ? undefined : parseLsn(text);
    if (text !== undefined && text !== '' && token === undefined) {
      const error = badInput(`The ${CONSISTENCY_HEADER} header must be a token as a write's answer gave it (such as 0/3000148); send it unchanged, or leave it out.`);
      const body = JSON.stringify({ errors: [error.toJSON()] });
      response.writeHead(400, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      response.end(body);
      return;
    }
    withConsistency(token, (scope) => {
      // The token is known once the write committed, which is before the answer's head is written.
      const writeHead = response.writeHead;
      response.writeHead = function (this: ServerResponse, ...args: unknown[]) {
        const wrote = scope.wrote();
        if (wrote !== undefined && wrote > 0n && !this.headersSent) this.setHeader(CONSISTENCY_HEADER, formatLsn(wrote));
        return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
      } as typeof response.writeHead;
      const handle = () => handler(request, response);
      if (token === undefined) return handle();
      // The process hears of the write first (its cache and path index drop what it changed).
      engine.catchUp(token).then(handle, handle);
    });
  };
}
