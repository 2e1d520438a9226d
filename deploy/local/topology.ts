import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { alive, freePorts, getJson, isRoot, killGroup, postgresUser, postmasterPid, startDaemon, waitFor } from './processes';

/** The repository's root (deploy/local/ is two levels down). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TEMPLATES = join(ROOT, 'deploy', 'templates');

/** Where the local cluster keeps everything it starts; CLUSTER_DIR overrides. `down` removes it. */
export const DEFAULT_CLUSTER_DIR = join(tmpdir(), 'claimgraph-cluster');

/** The Patroni cluster's name (its key prefix in etcd). */
const SCOPE = 'claimgraph';
/** Patroni's timing on loopback: the leader key lives TTL s, each member looks every LOOP_WAIT s. */
export const PATRONI_TTL_S = 10;
export const PATRONI_LOOP_WAIT_S = 2;
export const PATRONI_RETRY_TIMEOUT_S = 3;
/** A replica further behind than this is taken out of the read pool by HAProxy's check. */
export const MAX_REPLICA_LAG = '16MB';
export const POSTGRES_NODES = 3;
export const DEFAULT_API_NODES = 3;
/** What HAProxy asks each API node before sending it requests. */
export const API_READY_PATH = '/health/ready';

export interface PostgresNode {
  name: string;
  pgPort: number;
  restPort: number;
  dir: string;
  dataDir: string;
  config: string;
  /** true: never the synchronous standby (the asynchronous replica). */
  nosync: boolean;
  patroniPid?: number;
}

export interface ApiNode {
  name: string;
  port: number;
  pid?: number;
}

export interface ClusterState {
  dir: string;
  etcd: { clientPort: number; peerPort: number; pid?: number };
  nodes: PostgresNode[];
  haproxy: { writePort: number; readPort: number; httpPort: number; statsPort: number; config: string; pid?: number };
  api: ApiNode[];
  secrets: { superuser: string; replication: string; app: string; apiToken: string };
}

const stateFile = (dir: string) => join(dir, 'state.json');

export function readState(dir: string): ClusterState | undefined {
  return existsSync(stateFile(dir)) ? (JSON.parse(readFileSync(stateFile(dir), 'utf8')) as ClusterState) : undefined;
}

export function saveState(state: ClusterState): void {
  writeFileSync(stateFile(state.dir), JSON.stringify(state, null, 2));
}

/** The folder of PostgreSQL 15+'s server binaries (Debian's layout), or PG_BIN. */
export function postgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const majors = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').map(Number).filter((major) => major >= 15).sort((a, b) => b - a) : [];
  if (majors.length === 0) throw new Error('no PostgreSQL 15+ server under /usr/lib/postgresql: apt-get install postgresql');
  return `/usr/lib/postgresql/${majors[0]}/bin`;
}

/** What must be installed, as the Debian packages that provide it; empty when everything is. */
export function missingPackages(): string[] {
  const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
  const missing: string[] = [];
  if (!has('etcd')) missing.push('etcd-server');
  if (!has('patroni')) missing.push('patroni');
  if (!has('haproxy')) missing.push('haproxy');
  try {
    postgresBin();
  } catch {
    missing.push('postgresql');
  }
  return missing;
}

/** Fills a template's {{NAME}} fields; a field without a value is an error, not an empty string. */
export function render(template: string, values: Record<string, string | number | boolean>): string {
  const text = readFileSync(join(TEMPLATES, template), 'utf8');
  return text.replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`${template}: no value for {{${name}}}`);
    return String(values[name]);
  });
}

const secret = () => randomBytes(18).toString('base64url');

/** The URLs the API nodes are given: writes through HAProxy to the primary, reads to the replicas. */
export function databaseUrls(state: ClusterState) {
  const credentials = `claimgraph:${state.secrets.app}`;
  return {
    write: `postgres://${credentials}@127.0.0.1:${state.haproxy.writePort}/claimgraph`,
    read: `postgres://${credentials}@127.0.0.1:${state.haproxy.readPort}/claimgraph`,
    superuser: (port: number, database = 'postgres') => `postgres://postgres:${state.secrets.superuser}@127.0.0.1:${port}/${database}`,
  };
}

export const apiUrl = (state: ClusterState) => `http://127.0.0.1:${state.haproxy.httpPort}`;

/** Patroni's view of the cluster, from any member that answers. */
export interface PatroniMember {
  name: string;
  role: 'leader' | 'sync_standby' | 'replica' | string;
  state: string;
  lag?: number | string;
  timeline?: number;
}

export async function members(state: ClusterState): Promise<PatroniMember[] | undefined> {
  for (const node of state.nodes) {
    const answer = await getJson<{ members: PatroniMember[] }>(`http://127.0.0.1:${node.restPort}/cluster`, 1000);
    if (answer?.status === 200 && answer.body?.members) return answer.body.members;
  }
  return undefined;
}

/** The cluster as it should be: a leader, a synchronous standby, and every other member streaming. */
export async function healthy(state: ClusterState): Promise<PatroniMember[] | false> {
  const found = await members(state);
  if (!found || found.length !== state.nodes.length) return false;
  const leaders = found.filter((member) => member.role === 'leader' && member.state === 'running');
  // Patroni 3.0 says 'running' of a standby that replays; later versions say 'streaming'.
  const following = (member: PatroniMember) => member.role !== 'leader' && (member.state === 'running' || member.state === 'streaming') && typeof member.lag === 'number';
  const sync = found.filter((member) => member.role === 'sync_standby' && following(member));
  const streaming = found.filter(following);
  return leaders.length === 1 && sync.length === 1 && streaming.length === state.nodes.length - 1 ? found : false;
}

export async function leaderOf(state: ClusterState): Promise<PostgresNode | undefined> {
  const found = await members(state);
  const leader = found?.find((member) => member.role === 'leader' && member.state === 'running');
  return state.nodes.find((node) => node.name === leader?.name);
}

/** Starts (or restarts) a node's Patroni, which starts its PostgreSQL. */
export function startPostgresNode(state: ClusterState, node: PostgresNode): void {
  node.patroniPid = startDaemon('patroni', [node.config], { log: join(node.dir, 'patroni.log'), asPostgres: true });
  saveState(state);
}

/**
 * A node's machine lost at once: SIGKILL to its Patroni and to its postmaster (which Patroni
 * starts in a session of its own); the postmaster's children then exit by themselves.
 */
export function killPostgresNode(state: ClusterState, node: PostgresNode): void {
  const postmaster = postmasterPid(node.dataDir);
  killGroup(node.patroniPid);
  killGroup(postmaster);
  node.patroniPid = undefined;
  saveState(state);
}

export function startApiNode(state: ClusterState, node: ApiNode, env: NodeJS.ProcessEnv = {}): void {
  const urls = databaseUrls(state);
  node.pid = startDaemon(process.execPath, ['--enable-source-maps', join(ROOT, 'dist', 'main.js')], {
    log: join(state.dir, `${node.name}.log`),
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(node.port),
      DATABASE_URL: urls.write,
      DATABASE_READ_URL: urls.read,
      API_TOKEN: state.secrets.apiToken,
      LOG_FORMAT: 'json',
      REQUEST_LOG: 'off',
      ...env,
    },
  });
  saveState(state);
}

export function killApiNode(state: ClusterState, node: ApiNode): void {
  killGroup(node.pid);
  node.pid = undefined;
  saveState(state);
}

export async function apiReady(node: ApiNode): Promise<boolean> {
  const answer = await getJson(`http://127.0.0.1:${node.port}${API_READY_PATH}`, 2000);
  return answer?.status === 200;
}

/** Builds dist/ (the server only) as `npm start` would, so API nodes start on plain node. */
function buildServer(): void {
  const result = spawnSync(process.execPath, [join(ROOT, 'src', 'cli', 'build.mjs'), '--server-only'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error('building dist/ failed (node src/cli/build.mjs --server-only)');
}

function ownedByPostgres(path: string): void {
  if (!isRoot()) return;
  const { uid, gid } = postgresUser();
  chownSync(path, uid, gid);
}

/** Everything `up` starts, on free loopback ports, in `dir`; resolves once the API answers through HAProxy. */
export async function up(dir: string, apiNodes = DEFAULT_API_NODES, say: (line: string) => void = console.log): Promise<ClusterState> {
  if (readState(dir)) throw new Error(`a local cluster is already set up in ${dir}: run \`deploy/local-cluster down\` first`);
  const missing = missingPackages();
  if (missing.length > 0) throw new Error(`missing Debian packages: apt-get install -y ${missing.join(' ')}`);
  buildServer();
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const ports = await freePorts(2 + POSTGRES_NODES * 2 + 4 + apiNodes);
  const take = () => ports.shift()!;
  const state: ClusterState = {
    dir,
    etcd: { clientPort: take(), peerPort: take() },
    nodes: Array.from({ length: POSTGRES_NODES }, (_, i) => {
      const name = `pg${i + 1}`;
      const nodeDir = join(dir, name);
      // Any standby may be the synchronous one: after a failover the other standby takes that role
      // at once, so acknowledged writes are on two machines again before the old primary is back.
      return { name, pgPort: take(), restPort: take(), dir: nodeDir, dataDir: join(nodeDir, 'data'), config: join(nodeDir, 'patroni.yml'), nosync: false };
    }),
    haproxy: { writePort: take(), readPort: take(), httpPort: take(), statsPort: take(), config: join(dir, 'haproxy.cfg') },
    api: Array.from({ length: apiNodes }, (_, i) => ({ name: `api${i + 1}`, port: take() })),
    secrets: { superuser: secret(), replication: secret(), app: secret(), apiToken: secret() },
  };
  saveState(state);

  say(`etcd on 127.0.0.1:${state.etcd.clientPort}`);
  const etcdDir = join(dir, 'etcd');
  mkdirSync(etcdDir);
  const etcdUrl = `http://127.0.0.1:${state.etcd.clientPort}`;
  const peerUrl = `http://127.0.0.1:${state.etcd.peerPort}`;
  state.etcd.pid = startDaemon(
    'etcd',
    ['--name', 'etcd1', '--data-dir', join(etcdDir, 'data'), '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl, '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `etcd1=${peerUrl}`, '--initial-cluster-state', 'new'],
    { log: join(etcdDir, 'etcd.log') },
  );
  saveState(state);
  await waitFor('etcd', async () => (await getJson<{ health: string }>(`${etcdUrl}/health`))?.body?.health === 'true', 30_000);

  const bin = postgresBin();
  for (const node of state.nodes) {
    mkdirSync(node.dir);
    ownedByPostgres(node.dir);
    chmodSync(node.dir, 0o700);
    writeFileSync(
      node.config,
      render('patroni.yml', {
        SCOPE,
        NODE_NAME: node.name,
        NODE_HOST: '127.0.0.1',
        REST_PORT: node.restPort,
        ETCD_HOSTS: `127.0.0.1:${state.etcd.clientPort}`,
        TTL: PATRONI_TTL_S,
        LOOP_WAIT: PATRONI_LOOP_WAIT_S,
        RETRY_TIMEOUT: PATRONI_RETRY_TIMEOUT_S,
        REPLICATION_USER: 'replicator',
        CLIENT_NETWORK: '127.0.0.1/32',
        PG_PORT: node.pgPort,
        DATA_DIR: node.dataDir,
        PG_BIN: bin,
        PGPASS: join(node.dir, 'pgpass'),
        SUPERUSER_PASSWORD: state.secrets.superuser,
        REPLICATION_PASSWORD: state.secrets.replication,
        SOCKET_DIR: node.dir,
        NOSYNC: node.nosync,
      }),
    );
    ownedByPostgres(node.config);
  }
  // The first node bootstraps the cluster; the others then copy it (pg_basebackup) and follow.
  say(`PostgreSQL ${state.nodes.map((node) => `${node.name} on 127.0.0.1:${node.pgPort}`).join(', ')} under Patroni`);
  startPostgresNode(state, state.nodes[0]!);
  await waitFor('the first PostgreSQL node to become the primary', () => leaderOf(state), 90_000, 500);
  for (const node of state.nodes.slice(1)) startPostgresNode(state, node);
  await waitFor('a primary, a synchronous standby and a streaming replica', () => healthy(state), 120_000, 500);

  const serverLines = state.nodes.map((node) => `  server ${node.name} 127.0.0.1:${node.pgPort} check port ${node.restPort}`).join('\n');
  writeFileSync(
    state.haproxy.config,
    render('haproxy.cfg', {
      BIND_HOST: '127.0.0.1',
      WRITE_PORT: state.haproxy.writePort,
      READ_PORT: state.haproxy.readPort,
      HTTP_PORT: state.haproxy.httpPort,
      STATS_PORT: state.haproxy.statsPort,
      MAX_REPLICA_LAG,
      API_READY_PATH,
      POSTGRES_SERVERS: serverLines,
      API_SERVERS: state.api.map((node) => `  server ${node.name} 127.0.0.1:${node.port} check`).join('\n'),
    }),
  );
  say(`HAProxy: PostgreSQL writes 127.0.0.1:${state.haproxy.writePort}, reads 127.0.0.1:${state.haproxy.readPort}, HTTP 127.0.0.1:${state.haproxy.httpPort}, stats http://127.0.0.1:${state.haproxy.statsPort}/`);
  state.haproxy.pid = startDaemon('haproxy', ['-f', state.haproxy.config, '-db'], { log: join(dir, 'haproxy.log') });
  saveState(state);

  const urls = databaseUrls(state);
  await waitFor(
    'the primary through HAProxy',
    async () => {
      const client = new pg.Client({ connectionString: urls.superuser(state.haproxy.writePort), connectionTimeoutMillis: 2000 });
      await client.connect();
      try {
        await client.query(`CREATE ROLE claimgraph LOGIN PASSWORD '${state.secrets.app}'`);
        await client.query('CREATE DATABASE claimgraph OWNER claimgraph');
        return true;
      } finally {
        await client.end();
      }
    },
    30_000,
    500,
  );

  say(`${state.api.length} claimgraph API nodes on ${state.api.map((node) => node.port).join(', ')}`);
  // The first migrates and seeds; the others would wait for its lock anyway.
  startApiNode(state, state.api[0]!);
  await waitFor(`${state.api[0]!.name} (log: ${join(dir, `${state.api[0]!.name}.log`)})`, () => apiReady(state.api[0]!), 120_000, 500);
  for (const node of state.api.slice(1)) startApiNode(state, node);
  for (const node of state.api) await waitFor(`${node.name} (log: ${join(dir, `${node.name}.log`)})`, () => apiReady(node), 60_000, 250);
  await waitFor('the API through HAProxy', async () => (await getJson(`${apiUrl(state)}${API_READY_PATH}`))?.status === 200, 30_000);
  return state;
}

/** Stops everything `up` started (SIGKILL: nothing in it is kept) and removes its folder. */
export function down(dir: string): boolean {
  const state = readState(dir);
  if (state) {
    for (const node of state.api) killGroup(node.pid);
    killGroup(state.haproxy.pid);
    for (const node of state.nodes) {
      const postmaster = postmasterPid(node.dataDir);
      killGroup(node.patroniPid);
      killGroup(postmaster);
    }
    killGroup(state.etcd.pid);
  }
  if (!existsSync(dir)) return false;
  // A postmaster's children leave once they see it gone; give them a moment before removing their folder.
  const until = Date.now() + 5000;
  while (state && state.nodes.some((node) => alive(postmasterPid(node.dataDir))) && Date.now() < until) spawnSync('sleep', ['0.2']);
  rmSync(dir, { recursive: true, force: true });
  return true;
}
