import { readFileSync } from 'node:fs';
import type { ExecutionResult } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { type AppOptions, createApp } from '../src/app';
import { ConfigError, DEFAULT_LIVE_QUERY_MAX, DEFAULT_LIVE_QUERY_THROTTLE_MS, loadConfig } from '../src/config';
import { type Db, migrateDatabase, openDatabase } from '../src/db';
import { scopeOf } from '../src/cache/scope';
import { loadSeed } from '../src/model/seed';
import { seededFile, silentLogger, TEST_TOKEN } from './support/app';
import { startServer } from './support/server';

type Answer = ExecutionResult<Record<string, any>> & { extensions?: Record<string, any> };

/** An open @live query read as server-sent events: each `event: next` is one answer. */
interface LiveStream {
  /** The next answer; rejects if none came within `ms`, or the stream ended first. */
  next(ms?: number): Promise<Answer>;
  /** Whether the stream ended (`event: complete`, or the body closed). */
  ended: Promise<void>;
  /** Disconnects, as a client closing the page does. */
  close(): void;
}

const WAIT_MS = 10_000;

function liveApp(options: Partial<AppOptions> & { db: Db }) {
  const statements: string[] = [];
  const yoga = createApp({ logger: silentLogger, apiToken: TEST_TOKEN, ...options });
  const post = (query: string, variables: object | undefined, headers: Record<string, string>, signal?: AbortSignal) =>
    yoga.fetch('http://claimgraph.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  return {
    yoga,
    statements,
    async gql(query: string, variables?: object, headers: Record<string, string> = {}) {
      return (await (await post(query, variables, { accept: 'application/json', ...headers })).json()) as Answer;
    },
    async write(query: string, variables?: object) {
      const answer = (await (await post(query, variables, { accept: 'application/json', authorization: `Bearer ${TEST_TOKEN}` })).json()) as Answer;
      expect(answer.errors).toBeUndefined();
      return answer.data!;
    },
    async live(query: string, variables?: object): Promise<LiveStream> {
      const abort = new AbortController();
      return readEvents(await post(query, variables, { accept: 'text/event-stream' }, abort.signal), abort);
    },
  };
}

/** Reads a response of server-sent events: each `event: next` is one answer. */
function readEvents(response: Response, abort: AbortController): LiveStream {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const answers: Answer[] = [];
  const waiting: (() => void)[] = [];
  let finished = false;
  let buffer = '';
  const wake = () => waiting.splice(0).forEach((w) => w());
  const ended = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.+)$/m.exec(event)?.[1];
          if (/^event: next$/m.test(event) && data) answers.push(JSON.parse(data) as Answer);
          if (/^event: complete$/m.test(event)) finished = true;
          wake();
        }
        if (finished) break;
      }
    } catch {
      // Aborted by close().
    } finally {
      finished = true;
      wake();
    }
  })();
  return {
    ended,
    close: () => abort.abort(),
    async next(ms = WAIT_MS) {
      const deadline = Date.now() + ms;
      while (answers.length === 0) {
        if (finished) throw new Error('the stream ended without another answer');
        if (Date.now() >= deadline) throw new Error(`no answer within ${ms} ms`);
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return answers.shift()!;
    },
  };
}

function memoryDb(statements?: string[]) {
  const db = openDatabase({ path: ':memory:', onQuery: statements ? (sql) => statements.push(sql) : undefined });
  migrateDatabase(db);
  loadSeed(db);
  return db;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const ENTITY = `query($id: ID!) @live {
  node(id: $id) { ... on Entity { name claimsAbout(first: 1) { totalCount } } }
}`;
const RENAME = 'mutation($input: UpdateEntityInput!) { updateEntity(input: $input) { entity { name } } }';
const CREATE_CLAIM = 'mutation($input: CreateClaimInput!) { createClaim(input: $input) { claim { id } } }';

const open: LiveStream[] = [];
afterEach(() => {
  for (const stream of open.splice(0)) stream.close();
});

async function ids(app: ReturnType<typeof liveApp>) {
  const found = await app.gql('{ musk: entity(name: "Musk") { id } openai: entity(name: "OpenAI") { id } sources(first: 1) { nodes { id } } }');
  return { musk: found.data!.musk.id as string, openai: found.data!.openai.id as string, source: found.data!.sources.nodes[0].id as string };
}

describe('live queries', () => {
  it('sends a new answer when a write changes what it read, and runs nothing for a write elsewhere', async () => {
    const statements: string[] = [];
    const app = liveApp({ db: memoryDb(statements), liveQueries: { throttleMs: 50 } });
    const { musk, openai, source } = await ids(app);
    const stream = await app.live(ENTITY, { id: musk });
    open.push(stream);
    const first = await stream.next();
    expect(first.data!.node.name).toBe('Elon Musk');
    expect(first.extensions!.cost.requestedNodes).toBeGreaterThan(0);
    const claims = first.data!.node.claimsAbout.totalCount as number;

    // Another entity renamed, and a claim about it: nothing this query read.
    await app.write(RENAME, { input: { id: openai, name: 'OpenAI, renamed' } });
    statements.length = 0;
    await app.write(CREATE_CLAIM, { input: { text: 'A claim about OpenAI only.', kind: 'FACT', appearsInId: source, aboutIds: [openai] } });
    const writing = statements.length;
    await sleep(300);
    expect(statements.slice(writing)).toEqual([]);

    await app.write(RENAME, { input: { id: musk, name: 'Elon R. Musk' } });
    expect((await stream.next()).data!.node).toEqual({ name: 'Elon R. Musk', claimsAbout: { totalCount: claims } });

    await app.write(CREATE_CLAIM, { input: { text: 'A new claim about Musk.', kind: 'FACT', appearsInId: source, aboutIds: [musk] } });
    const after = await stream.next();
    expect(after.data!.node).toEqual({ name: 'Elon R. Musk', claimsAbout: { totalCount: claims + 1 } });
    expect(after.extensions!.cost).toEqual(first.extensions!.cost);
  });

  it('gives one new answer for a burst of writes', async () => {
    // With the response cache off: live queries follow the change feed whether or not it keeps answers.
    const app = liveApp({ db: memoryDb(), responseCache: false, liveQueries: { throttleMs: 1000 } });
    const { musk } = await ids(app);
    const stream = await app.live(ENTITY, { id: musk });
    open.push(stream);
    await stream.next();
    // A pause between the writes lets timers run, as writes from clients would.
    for (const name of ['First', 'Second', 'Third']) {
      await app.write(RENAME, { input: { id: musk, name } });
      await sleep(20);
    }
    expect((await stream.next()).data!.node.name).toBe('Third');
    // Had the burst given more than one answer, the next would still say "Third".
    await app.write(RENAME, { input: { id: musk, name: 'Fourth' } });
    expect((await stream.next()).data!.node.name).toBe('Fourth');
  });

  it('takes a longer interval from @live(throttle:), never a shorter one', async () => {
    const app = liveApp({ db: memoryDb(), liveQueries: { throttleMs: 50 } });
    const { musk } = await ids(app);
    const stream = await app.live(ENTITY.replace('@live', '@live(throttle: 1000)'), { id: musk });
    open.push(stream);
    await stream.next();
    for (const name of ['First', 'Second', 'Third']) {
      await app.write(RENAME, { input: { id: musk, name } });
      await sleep(100);
    }
    expect((await stream.next()).data!.node.name).toBe('Third');
  });

  it('follows writes from another process on the same database file', async () => {
    const path = seededFile('live');
    const app = liveApp({ db: openDatabase({ path }), liveQueries: { throttleMs: 50 } });
    const other = liveApp({ db: openDatabase({ path }) });
    const { musk, openai } = await ids(app);
    const stream = await app.live(ENTITY, { id: musk });
    open.push(stream);
    await stream.next();

    // Through the other server's API, then by plain SQL on a third connection: the triggers tag both.
    await other.write(RENAME, { input: { id: openai, name: 'Not read by the live query' } });
    await other.write(RENAME, { input: { id: musk, name: 'Renamed by another process' } });
    expect((await stream.next()).data!.node.name).toBe('Renamed by another process');

    const sql = openDatabase({ path });
    const rowId = Number(Buffer.from(musk, 'base64').toString().split(':')[1]);
    sql.$client.prepare('UPDATE entities SET name = ? WHERE id = ?').run('Renamed in SQL', rowId);
    sql.$client.close();
    expect((await stream.next()).data!.node.name).toBe('Renamed in SQL');
  });

  it('runs each answer under a deadline of its own, so a query stays live past the request timeout', async () => {
    const app = liveApp({ db: memoryDb(), requestTimeoutMs: 1000, liveQueries: { throttleMs: 50 } });
    const { musk } = await ids(app);
    const stream = await app.live(ENTITY, { id: musk });
    open.push(stream);
    await stream.next();
    await sleep(1500);
    await app.write(RENAME, { input: { id: musk, name: 'Still live' } });
    const answer = await stream.next();
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.node.name).toBe('Still live');
  });

  it('refuses a live query past the most open at once, and frees a slot when its client leaves', async () => {
    const app = liveApp({ db: memoryDb(), liveQueries: { max: 2, throttleMs: 50 } });
    const { musk, openai } = await ids(app);
    const a = await app.live(ENTITY, { id: musk });
    const b = await app.live(ENTITY, { id: openai });
    open.push(a, b);
    await a.next();
    await b.next();

    const refused = await app.live(ENTITY, { id: musk });
    const answer = await refused.next();
    expect(answer.data).toBeUndefined();
    expect(answer.errors).toMatchObject([{ extensions: { code: 'UNAVAILABLE', retryAfterMs: expect.any(Number) } }]);
    expect(answer.errors![0]!.message).toMatch(/already keeps 2 live queries open/);
    await refused.ended;

    a.close();
    await a.ended;
    const c = await app.live(ENTITY, { id: musk });
    open.push(c);
    expect((await c.next()).data!.node.name).toBe('Elon Musk');
    // b still follows its entity.
    await app.write(RENAME, { input: { id: openai, name: 'OpenAI, still followed' } });
    expect((await b.next()).data!.node.name).toBe('OpenAI, still followed');
  });

  it('holds to the most open at once when many ask at the same time', async () => {
    const app = liveApp({ db: memoryDb(), liveQueries: { max: 3 } });
    const { musk } = await ids(app);
    const streams = await Promise.all(Array.from({ length: 6 }, () => app.live(ENTITY, { id: musk })));
    open.push(...streams);
    const first = await Promise.all(streams.map((stream) => stream.next()));
    expect(first.filter((answer) => answer.data).length).toBe(3);
    expect(first.filter((answer) => answer.errors?.[0]?.extensions?.code === 'UNAVAILABLE').length).toBe(3);
  });

  it('is never answered from the response cache: the same live query twice gives two live streams', async () => {
    expect(scopeOf(ENTITY, undefined)).toBe('never');
    expect(scopeOf(ENTITY.replace(' @live', ''), undefined)).toBe('objects');
    const app = liveApp({ db: memoryDb(), liveQueries: { throttleMs: 50 } });
    const { musk } = await ids(app);
    const first = await app.live(ENTITY, { id: musk });
    open.push(first);
    await first.next();
    const second = await app.live(ENTITY, { id: musk });
    open.push(second);
    await second.next();
    await app.write(RENAME, { input: { id: musk, name: 'Seen by both' } });
    expect((await first.next()).data!.node.name).toBe('Seen by both');
    expect((await second.next()).data!.node.name).toBe('Seen by both');
  });

  it('ends every live query when the server stops', async () => {
    const app = liveApp({ db: memoryDb() });
    const { musk } = await ids(app);
    const stream = await app.live(ENTITY, { id: musk });
    open.push(stream);
    await stream.next();
    await app.yoga.dispose();
    await stream.ended;
    await expect(stream.next(100)).rejects.toThrow(/ended/);
  });

  it('refuses @live without a stream to send on, and on a mutation', async () => {
    const app = liveApp({ db: memoryDb() });
    const { musk } = await ids(app);
    const plain = await app.gql(ENTITY, { id: musk });
    expect(plain.errors).toMatchObject([{ extensions: { code: 'BAD_USER_INPUT' } }]);
    expect(plain.errors![0]!.message).toMatch(/Accept: text\/event-stream/);

    const mutation = await app.gql('mutation @live { deleteEntity(input: { id: "x" }) { deletedId } }', undefined, { authorization: `Bearer ${TEST_TOKEN}` });
    expect(mutation.errors![0]!.message).toMatch(/"@live" may not be used on MUTATION/);
    expect(mutation.errors![0]!.extensions!.code).not.toBe('INTERNAL_SERVER_ERROR');
  });

  it('streams over multipart too, and by GET as EventSource sends it', async () => {
    const app = liveApp({ db: memoryDb(), liveQueries: { throttleMs: 50 } });
    const { musk } = await ids(app);
    const abort = new AbortController();
    const response = await app.yoga.fetch('http://claimgraph.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed' },
      body: JSON.stringify({ query: ENTITY, variables: { id: musk } }),
      signal: abort.signal,
    });
    expect(response.headers.get('content-type')).toContain('multipart/mixed');
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('Elon Musk')) text += new TextDecoder().decode((await reader.read()).value);
    await app.write(RENAME, { input: { id: musk, name: 'Sent in a second part' } });
    while (!text.includes('Sent in a second part')) text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();

    const query = new URLSearchParams({ query: ENTITY, variables: JSON.stringify({ id: musk }) });
    const get = new AbortController();
    const stream = readEvents(await app.yoga.fetch(`http://claimgraph.test/graphql?${query}`, { headers: { accept: 'text/event-stream' }, signal: get.signal }), get);
    open.push(stream);
    expect((await stream.next()).data!.node.name).toBe('Sent in a second part');
  });

  it('refuses a live query over the node budget before it takes a slot', async () => {
    const app = liveApp({ db: memoryDb(), liveQueries: { max: 1 } });
    const over = await app.live('query @live { sources(first: 100) { nodes { claims(first: 60) { nodes { about { name } } } } } }');
    expect((await over.next()).errors).toMatchObject([{ extensions: { code: 'QUERY_TOO_COMPLEX' } }]);
    await over.ended;
    const within = await app.live('query @live { sources(first: 1) { nodes { title } } }');
    open.push(within);
    expect((await within.next()).errors).toBeUndefined();
  });

  it('reads LIVE_QUERY_MAX and LIVE_QUERY_THROTTLE_MS, and refuses values out of range in one line', () => {
    expect(loadConfig({})).toMatchObject({ LIVE_QUERY_MAX: DEFAULT_LIVE_QUERY_MAX, LIVE_QUERY_THROTTLE_MS: DEFAULT_LIVE_QUERY_THROTTLE_MS });
    expect(loadConfig({ LIVE_QUERY_MAX: '0', LIVE_QUERY_THROTTLE_MS: '1000' })).toMatchObject({ LIVE_QUERY_MAX: 0, LIVE_QUERY_THROTTLE_MS: 1000 });
    expect(() => loadConfig({ LIVE_QUERY_THROTTLE_MS: '1' })).toThrow(ConfigError);
    expect(() => loadConfig({ LIVE_QUERY_MAX: 'many' })).toThrow(/LIVE_QUERY_MAX/);
  });

  it("answers docs/api.md's example as it shows, before and after a claim about him is written", async () => {
    const doc = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Live queries'), doc.indexOf('\n## ', doc.indexOf('## Live queries') + 1));
    const body = JSON.parse(/-d '(.+)'/.exec(section)![1]!) as { query: string };
    const shown = [...section.matchAll(/^data: (.+)$/gm)].map((m) => JSON.parse(m[1]!) as Answer);
    expect(shown).toHaveLength(2);
    const app = liveApp({ db: memoryDb(), liveQueries: { throttleMs: 50 } });
    const { musk, source } = await ids(app);
    const stream = await app.live(body.query);
    open.push(stream);
    expect(await stream.next()).toEqual(shown[0]);
    await app.write(CREATE_CLAIM, { input: { text: 'A new claim about Musk.', kind: 'FACT', appearsInId: source, aboutIds: [musk] } });
    expect(await stream.next()).toEqual(shown[1]);
  });

  it('over HTTP: LIVE_QUERY_MAX bounds them, a client that disconnects frees its slot, and stopping ends them', { timeout: 60_000 }, async () => {
    const server = await startServer({ DATABASE_PATH: seededFile('live-server'), API_TOKEN: TEST_TOKEN, LIVE_QUERY_MAX: '1', LIVE_QUERY_THROTTLE_MS: '50' });
    try {
      const live = async () => {
        const abort = new AbortController();
        const response = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
          body: JSON.stringify({ query: '{ entity(name: "Musk") { name } }'.replace('{', 'query @live {') }),
          signal: abort.signal,
        });
        return readEvents(response, abort);
      };
      const first = await live();
      expect((await first.next()).data).toEqual({ entity: { name: 'Elon Musk' } });
      const refused = await live();
      expect((await refused.next()).errors).toMatchObject([{ extensions: { code: 'UNAVAILABLE' } }]);

      first.close();
      // The server learns of the closed connection when the socket closes: ask again until it has.
      let open: LiveStream | undefined;
      let again: Answer | undefined;
      for (let attempt = 0; attempt < 100 && !again?.data; attempt++) {
        if (attempt > 0) await sleep(100);
        open = await live();
        again = await open.next();
      }
      expect(again!.data).toEqual({ entity: { name: 'Elon Musk' } });

      server.child.kill('SIGTERM');
      await open!.ended;
      // Nothing was left hanging: the server stops at once rather than at SHUTDOWN_TIMEOUT_MS.
      expect(await server.exit).toBe(0);
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
  });
});
