import cluster from 'node:cluster';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import type { Logger } from 'pino';
import { createApp, httpHandler } from './app';
import { type Config, ConfigError, HEAP_GROWING_PERCENT, loadConfig } from './config';
import { CorruptDatabaseError, createDatabaseFolder, type Db, openCheckedDatabase, openDatabase, UnwritableDatabaseError } from './db';
import { unavailable } from './domain/errors';
import { withConsistencyTokens } from './http/consistency';
import { clusterMetricsOptions, serveClusterMetrics } from './http/metrics';
import { loadTrustedDocuments, ManifestError } from './http/persisted-queries';
import { otlpTracerProvider } from './http/tracing';
import { createLog, type ProcessLog } from './log';
import type { Engine } from './db/engine';
import { describePostgresFailure } from './db/postgres-errors';
import { sqliteEngine } from './db/sqlite-engine';
import { currentAdjacency, lastBuild } from './model/adjacency';
import { seedIfEmpty } from './model/seed';

function fail(message: string): never {
  process.stderr.write(`claimgraph: ${message}\n`);
  process.exit(1);
}

/** Creates, checks, migrates and (when empty) seeds the database. */
function prepareDatabase(config: Config, log: Logger): Db {
  createDatabaseFolder(config.DATABASE_PATH);
  const db = openCheckedDatabase(config.DATABASE_PATH, (message, wal) => log.warn({ wal }, message));
  const seeded = seedIfEmpty(db);
  if (seeded) log.info({ created: seeded.created }, 'seeded an empty database with the article graph');
  return db;
}

/**
 * Opens, migrates and (when empty) seeds the PostgreSQL database DATABASE_URL names. Its modules
 * (and node-postgres) load only then: a SQLite server's start-up does not pay for them.
 */
/** Where reads go when DATABASE_READ_URL names replicas (src/db/postgres-replicas.ts). */
const readReplicas = (config: Config) => (config.DATABASE_READ_URL ? { url: config.DATABASE_READ_URL, waitMs: config.REPLICA_WAIT_MS } : undefined);

async function preparePostgres(config: Config, log: Logger): Promise<Engine> {
  const url = config.DATABASE_URL!;
  const [{ openPostgresEngine }, { seedPostgresIfEmpty }, { whilePreparing }] = await Promise.all([
    import('./db/postgres-engine'),
    import('./model/seed-postgres'),
    import('./db/postgres'),
  ]);
  const engine = await openPostgresEngine(url, { replicas: readReplicas(config) });
  try {
    // Under the lock migrations take too: a second server starting at once waits, then finds it seeded.
    const seeded = await whilePreparing(engine.pg, () => seedPostgresIfEmpty(engine));
    if (seeded) log.info({ created: seeded.created }, 'seeded an empty database with the article graph');
  } catch (error) {
    await engine.close();
    throw error;
  }
  return engine;
}

/** A worker's PostgreSQL engine: the primary has migrated and seeded the database already. */
async function openPostgresWorker(config: Config): Promise<Engine> {
  const { openPostgresEngine } = await import('./db/postgres-engine');
  return openPostgresEngine(config.DATABASE_URL!, { replicas: readReplicas(config) });
}

/** What a request that arrives while the process stops is told to wait before sending it again. */
const RETRY_AFTER_MS = 1000;
/** How long past SHUTDOWN_TIMEOUT_MS the primary waits for its workers' own exits before killing them. */
const WORKER_GRACE_MS = 1000;

/** A request that reaches a stopping process: 503 UNAVAILABLE, retry elsewhere or in a moment. */
function refuseWhileStopping(response: ServerResponse) {
  const error = unavailable('The server is stopping. Send the request again: another process, or this one restarted, will answer it.', RETRY_AFTER_MS);
  const body = JSON.stringify({ errors: [error.toJSON()] });
  response.writeHead(503, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'retry-after': String(Math.ceil(RETRY_AFTER_MS / 1000)),
    'cache-control': 'no-store',
    connection: 'close',
  });
  response.end(body);
}

/**
 * One server process: listens, and on SIGTERM/SIGINT finishes what is in flight (answering new
 * requests with 503 UNAVAILABLE), closes the database and exits. Whatever hangs (a request, an
 * open connection, a stdout nobody reads), it exits SHUTDOWN_TIMEOUT_MS after the signal: 0 if the
 * server had closed by then, 1 if requests were cut off.
 */
function serve(config: Config, processLog: ProcessLog, log: Logger, engine: Engine, trustedDocuments?: ReadonlyMap<string, string>) {
  const { db } = engine;
  const tracerProvider = config.OTEL_EXPORTER_OTLP_ENDPOINT ? otlpTracerProvider(config.OTEL_EXPORTER_OTLP_ENDPOINT, config.OTEL_SERVICE_NAME) : undefined;
  const yoga = createApp({
    db,
    logger: log,
    apiToken: config.API_TOKEN,
    responseCache: config.RESPONSE_CACHE === 'on' ? { maxBytes: config.RESPONSE_CACHE_MB * 2 ** 20 } : false,
    compiledReads: config.COMPILED_READS,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    droppedLogLines: processLog.dropped,
    httpCacheControl: config.HTTP_CACHE_CONTROL,
    cors: { origins: config.CORS_ORIGINS, credentials: config.CORS_CREDENTIALS === 'on', maxAgeSeconds: config.CORS_MAX_AGE_S },
    trustedDocuments,
    liveQueries: { max: config.LIVE_QUERY_MAX, throttleMs: config.LIVE_QUERY_THROTTLE_MS },
    requestLog: config.REQUEST_LOG === 'on',
    // A worker's /metrics answers with every worker's sum, which the primary gathers (serveClusterMetrics).
    metrics: config.METRICS === 'on' && { token: config.METRICS_TOKEN, ...(cluster.isWorker ? clusterMetricsOptions() : {}) },
    tracerProvider,
  });
  let stopping = false;
  const handle = withConsistencyTokens(engine, httpHandler(yoga));
  const server = createServer((request, response) => (stopping ? refuseWhileStopping(response) : handle(request, response)));
  server.on('error', (error: NodeJS.ErrnoException) => {
    void engine.close();
    fail(`cannot listen on ${config.HOST}:${config.PORT}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`);
  });
  server.listen(config.PORT, config.HOST, () => {
    const { port } = server.address() as AddressInfo;
    const url = `http://${config.HOST}:${port}/graphql`;
    const explorer = `http://${config.HOST}:${port}/`;
    log.info({ url, explorer }, `claimgraph is serving GraphQL and the playground at ${url}, and the explorer at ${explorer}`);
    // Build the path search's link index now rather than in the first `path` request, which would
    // otherwise wait for it.
    setImmediate(() => {
      currentAdjacency(db).then(
        () => {
          const built = lastBuild(db);
          if (built) log.debug({ ms: Math.round(built.ms), mb: Math.round(built.bytes / 2 ** 20) }, 'built the link index');
        },
        // The first `path` request builds it then, and answers the error if it recurs.
        (error: Error) => log.warn({ error: error.message }, 'could not build the link index'),
      );
    });
  });

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    let closed = false;
    // Not unref'd, and nothing in it waits: logging never blocks, so this runs whatever else hangs.
    setTimeout(() => {
      log.warn({ shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS }, closed ? 'exiting before every log line was written' : 'requests still open at SHUTDOWN_TIMEOUT_MS; exiting without them');
      process.exit(closed ? 0 : 1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    log.info({ signal, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'stopping: finishing requests in flight');
    server.close(() => {
      closed = true;
      void engine.close();
      log.info('stopped');
      // The last spans are sent first (the shutdown timer above still bounds the wait).
      const exit = () => processLog.flushed(() => process.exit(0));
      if (tracerProvider) tracerProvider.shutdown().then(exit, exit);
      else exit();
    });
    // A kept-alive connection closes as soon as it has nothing in flight; one that sends another
    // request before then is answered 503 with `Connection: close`.
    server.closeIdleConnections();
    setInterval(() => server.closeIdleConnections(), 100).unref();
    // Ends the open @live queries (their streams complete; clients reconnect to another process).
    void yoga.dispose();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/**
 * With WORKERS > 1: prepare the database once (migrate and seed it), then fork workers that share
 * the port and the database (SQLite's WAL file, or PostgreSQL's server). On SIGTERM/SIGINT it
 * passes the signal on; a worker still there WORKER_GRACE_MS after its own SHUTDOWN_TIMEOUT_MS
 * (stopped, or stuck) is killed.
 */
function supervise(config: Config, processLog: ProcessLog, log: Logger) {
  if (config.DATABASE_URL) {
    preparePostgres(config, log)
      .then((engine) => engine.close())
      .then(
        () => superviseWorkers(config, processLog, log),
        (error: Error) => fail(`cannot use the PostgreSQL database: ${error.message}`),
      );
    return;
  }
  prepareDatabase(config, log).$client.close();
  superviseWorkers(config, processLog, log);
}

function superviseWorkers(config: Config, processLog: ProcessLog, log: Logger) {
  if (config.METRICS === 'on') serveClusterMetrics();
  let stopping = false;
  const fork = () => cluster.fork();
  const running = () => Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (running().length === 0) {
        log.info('stopped');
        processLog.flushed(() => process.exit(0));
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
    log.info({ signal, workers: config.WORKERS, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'stopping the workers');
    for (const worker of running()) worker.process.kill(signal);
    setTimeout(() => {
      const left = running();
      for (const worker of left) worker.process.kill('SIGKILL');
      log.warn({ pids: left.map((worker) => worker.process.pid) }, 'killed workers still running after SHUTDOWN_TIMEOUT_MS');
      process.exit(left.length > 0 ? 1 : 0);
    }, config.SHUTDOWN_TIMEOUT_MS + WORKER_GRACE_MS);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function start() {
  // Read by V8 at every collection, so it applies though set after start-up (see HEAP_GROWING_PERCENT).
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  const config = loadConfig();
  // Read before anything starts, by the primary too: a worker that failed on it would be forked again and again.
  const trustedDocuments = config.TRUSTED_DOCUMENTS ? loadTrustedDocuments(config.TRUSTED_DOCUMENTS) : undefined;
  const format = config.LOG_FORMAT === 'auto' ? (process.stdout.isTTY ? 'pretty' : 'json') : config.LOG_FORMAT;
  const processLog = createLog(config.LOG_LEVEL, format);
  const log = processLog.log;
  if (trustedDocuments && cluster.isPrimary) {
    log.info({ trustedDocuments: trustedDocuments.size }, `running only the ${trustedDocuments.size} trusted documents of ${config.TRUSTED_DOCUMENTS}; query text is refused`);
  }
  if (config.WORKERS > 1 && cluster.isPrimary) {
    if (!config.API_TOKEN) log.warn('API_TOKEN is not set: every write is refused until it is');
    supervise(config, processLog, log);
    return;
  }
  if (config.DATABASE_URL) {
    if (cluster.isPrimary && !config.API_TOKEN) log.warn('API_TOKEN is not set: every write is refused until it is');
    const worker = cluster.isWorker;
    (worker ? openPostgresWorker(config) : preparePostgres(config, log)).then(
      (engine) => serve(config, processLog, worker ? log.child({ worker: cluster.worker?.id }) : log, engine, trustedDocuments),
      (error: Error) => fail(`cannot use the PostgreSQL database: ${describePostgresFailure(error, config.DATABASE_URL!)}`),
    );
    return;
  }
  if (cluster.isPrimary) {
    if (!config.API_TOKEN) log.warn('API_TOKEN is not set: every write is refused until it is');
    serve(config, processLog, log, sqliteEngine(prepareDatabase(config, log)), trustedDocuments);
    return;
  }
  const db = openDatabase({ path: config.DATABASE_PATH });
  serve(config, processLog, log.child({ worker: cluster.worker?.id }), sqliteEngine(db), trustedDocuments);
}

try {
  start();
} catch (error) {
  if (error instanceof ConfigError || error instanceof ManifestError || error instanceof CorruptDatabaseError || error instanceof UnwritableDatabaseError) fail(error.message);
  if (error instanceof Error && 'code' in error && String(error.code).startsWith('SQLITE_')) {
    fail(`cannot use the database: ${error.message}`);
  }
  throw error;
}
