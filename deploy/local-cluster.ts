import { runBench } from './local/bench';
import { runFailoverTest } from './local/failover';
import { apiUrl, DEFAULT_API_NODES, DEFAULT_CLUSTER_DIR, down, members, readState, up } from './local/topology';

const USAGE = `usage: deploy/local-cluster up [--api N] | test [--rounds N] | bench [--seconds S] [--cache on|off] | status | down
  up      etcd, three PostgreSQL nodes under Patroni, HAProxy and N API nodes (default ${DEFAULT_API_NODES}), on loopback
  test    the failover test, on the running cluster (or on one it starts, and stops after)
  bench   read throughput through HAProxy with 1, 2, … API nodes, and their CPU per request
  status  Patroni's members and the addresses
  down    stops everything and removes CLUSTER_DIR
CLUSTER_DIR (now ${process.env.CLUSTER_DIR || DEFAULT_CLUSTER_DIR}) holds configuration, data and logs.`;

function option(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} takes a whole number of at least 1`);
  return value;
}

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  const dir = process.env.CLUSTER_DIR || DEFAULT_CLUSTER_DIR;
  switch (command) {
    case 'up': {
      const fresh = !readState(dir);
      const state = await up(dir, option(args, '--api', DEFAULT_API_NODES)).catch((error: Error) => {
        // Half a cluster is worse than none: what was started is stopped (its logs go with it unless KEEP is set).
        if (fresh && !process.env.KEEP) down(dir);
        throw error;
      });
      console.log(`claimgraph answers at ${apiUrl(state)}/graphql (API token in ${dir}/state.json); \`deploy/local-cluster down\` stops it all`);
      return 0;
    }
    case 'test': {
      const running = readState(dir);
      let state = running;
      try {
        state ??= await up(dir, DEFAULT_API_NODES);
        const result = await runFailoverTest(state, { rounds: option(args, '--rounds', 2) });
        return result.passed ? 0 : 1;
      } finally {
        if (!running) down(dir);
      }
    }
    case 'bench': {
      const running = readState(dir);
      let state = running;
      try {
        state ??= await up(dir, DEFAULT_API_NODES);
        const at = args.indexOf('--cache');
        const cache = at < 0 ? 'off' : args[at + 1];
        if (cache !== 'on' && cache !== 'off') throw new Error('--cache takes on or off');
        await runBench(state, { seconds: option(args, '--seconds', 10), cache });
        return 0;
      } finally {
        if (!running) down(dir);
      }
    }
    case 'status': {
      const state = readState(dir);
      if (!state) {
        console.log(`no local cluster in ${dir}`);
        return 1;
      }
      console.table((await members(state)) ?? [{ name: 'no Patroni member answers' }]);
      console.log(`API ${apiUrl(state)}/graphql · HAProxy stats http://127.0.0.1:${state.haproxy.statsPort}/ · PostgreSQL writes :${state.haproxy.writePort} reads :${state.haproxy.readPort}`);
      return 0;
    }
    case 'down':
      console.log(down(dir) ? `stopped the local cluster and removed ${dir}` : `no local cluster in ${dir}`);
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`local-cluster: ${error.message}`);
    process.exit(1);
  },
);
