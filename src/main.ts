import cluster from 'node:cluster';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import pino, { type Logger } from 'pino';
import { createApp } from './app';
import { type Config, ConfigError, HEAP_GROWING_PERCENT, loadConfig } from './config';
import { assertIntact, CorruptDatabaseError, type Db, fullCheckDue, migrateDatabase, openDatabase } from './db';
import { adjacency, lastBuild } from './model/adjacency';
import { seedIfEmpty } from './model/seed';

function fail(message: string): never {
  process.stderr.write(`claimgraph: ${message}\n`);
  process.exit(1);
}

/** Creates, checks, migrates and (when empty) seeds the database. */
function prepareDatabase(config: Config, log: Logger): Db {
  if (config.DATABASE_PATH !== ':memory:') mkdirSync(dirname(config.DATABASE_PATH), { recursive: true });
  const full = fullCheckDue(config.DATABASE_PATH);
  const db = openDatabase({ path: config.DATABASE_PATH });
  assertIntact(db, config.DATABASE_PATH, full);
  migrateDatabase(db);
  const seeded = seedIfEmpty(db);
  if (seeded) log.info({ created: seeded.created }, 'seeded an empty database with the article graph');
  return db;
}

/** One server process: listens, and on SIGTERM/SIGINT finishes what is in flight, then closes the database. */
function serve(config: Config, log: Logger, db: Db) {
  const yoga = createApp({
    db,
    logger: log,
    apiToken: config.API_TOKEN,
    responseCache: config.RESPONSE_CACHE === 'on' ? { maxBytes: config.RESPONSE_CACHE_MB * 2 ** 20 } : false,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
  });
  const server = createServer(yoga);
  server.on('error', (error: NodeJS.ErrnoException) => {
    db.$client.close();
    fail(`cannot listen on ${config.HOST}:${config.PORT}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`);
  });
  server.listen(config.PORT, config.HOST, () => {
    const { port } = server.address() as AddressInfo;
    const url = `http://${config.HOST}:${port}/graphql`;
    log.info({ url }, `claimgraph is serving GraphQL and the playground at ${url}`);
    // Build the path search's link index now rather than in the first `path` request (about half
    // a second at a million claims).
    setImmediate(() => {
      adjacency(db);
      const built = lastBuild(db);
      if (built) log.debug({ ms: Math.round(built.ms), mb: Math.round(built.bytes / 2 ** 20) }, 'built the link index');
    });
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: finishing requests in flight');
    server.close(() => {
      db.$client.close();
      log.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => {
      log.warn('requests still open after 10s; closing them');
      server.closeAllConnections();
    }, 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** With WORKERS > 1: prepare the database once, then fork workers that share the port and the WAL file. */
function supervise(config: Config, log: Logger) {
  prepareDatabase(config, log).$client.close();
  let stopping = false;
  const fork = () => cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        log.info('stopped');
        process.exit(0);
      }
      return;
    }
    log.error({ pid: worker.process.pid, code, signal }, 'a worker died; starting another');
    fork();
  });
  for (let i = 0; i < config.WORKERS; i++) fork();
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, workers: config.WORKERS }, 'stopping the workers');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function start() {
  // Read by V8 at every collection, so it applies though set after start-up (see HEAP_GROWING_PERCENT).
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  const config = loadConfig();
  const log = pino({ level: config.LOG_LEVEL });
  if (config.WORKERS > 1 && cluster.isPrimary) {
    if (!config.API_TOKEN) log.warn('API_TOKEN is not set: every write is refused until it is');
    supervise(config, log);
    return;
  }
  if (cluster.isPrimary) {
    if (!config.API_TOKEN) log.warn('API_TOKEN is not set: every write is refused until it is');
    serve(config, log, prepareDatabase(config, log));
    return;
  }
  const db = openDatabase({ path: config.DATABASE_PATH });
  serve(config, log.child({ worker: cluster.worker?.id }), db);
}

try {
  start();
} catch (error) {
  if (error instanceof ConfigError || error instanceof CorruptDatabaseError) fail(error.message);
  if (error instanceof Error && 'code' in error && String(error.code).startsWith('SQLITE_')) {
    fail(`cannot use the database: ${error.message}`);
  }
  throw error;
}
