// PostGraphile 5 over DATABASE_URL with the amber preset and the pg adaptor, as the benchmark runs
// it beside claimgraph: `node --import ./polyfill.mjs server.mjs`, one process, PORT (0: any),
// a pool of POOL_SIZE connections (claimgraph's per process). Prints "postgraphile listening on
// <port>" when it serves POST /graphql.
import { createServer } from 'node:http';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({ connectionString: process.env.DATABASE_URL, schemas: ['public'], poolConfig: { max: Number(process.env.POOL_SIZE ?? 10) } }),
  ],
  grafserv: { graphqlPath: '/graphql', graphiql: false, watch: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on('error', (error) => {
  process.stderr.write(`postgraphile: ${error.message}\n`);
  process.exit(1);
});
await serv.addTo(server);
// Built before the first request is timed.
await pgl.getSchema();
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`postgraphile listening on ${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  pgl.release().finally(() => process.exit(0));
});
