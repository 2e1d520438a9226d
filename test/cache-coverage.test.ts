import {
  extendSchema,
  getNamedType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  parse,
} from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { listFieldsOf } from '../src/cache';
import { tagTypeOf } from '../src/cache/dependencies';
import { DECLARING_ROOTS } from '../src/cache/scope';
import { schema } from '../src/graphql/schema';
import { createTestApp, TEST_TOKEN, type TestApp } from './support/app';

/*
 * Every list a cached answer can show must be dropped when a write changes it. On an object with
 * an id the answer depends on the list by name ("Entity:3#claimsAbout"): the cache reads those
 * names from the schema, and the triggers of cache_changes must write the same tag. This test walks
 * the schema on its own, so it fails when a list field is added without the trigger that tags it.
 */

/** Root fields the cache answers by what they declare rather than what they show (DECLARING_ROOTS), and how. */
const DECLARING_ROOT_LISTS: Record<string, string> = {
  claims: 'a page declares the id range of claims it covers (dependsOnRange)',
  nodes: 'shows the objects it lists, each with its id',
};

/** Lists on types without an id, and how the answers that show them are dropped. */
const DECLARED_OTHERWISE: Record<string, string> = {
  'EdgeBasis.claims':
    "under Relationship.basis, the relationship's claims: a change of them tags the relationship itself (relationship_claims' triggers); under Contradiction.basis, the two claims, which the answer shows",
  'Path.entities': 'only under `path`, which depends on `links` and the entities it names (dependsOn)',
  'Path.steps': 'only under `path`, which depends on `links` and the entities it names (dependsOn)',
  'Subgraph.entities': 'only under `neighborhood`, which depends on `links` and its centre (dependsOn)',
  'Subgraph.relationships': 'only under `neighborhood`, which depends on `links` and its centre (dependsOn)',
};

type Ids = Record<'event' | 'musk' | 'openai' | 'article' | 'cnbc' | 'claim', string>;

/**
 * Per list ("<tag type>#<field>"), a write through the API that changes it, on `parent`: an object
 * of the seed, or the one the write creates (a list that no write changes after its parent exists).
 */
const WRITES: Record<string, { parent: keyof Ids | 'created'; mutation: string; input: (ids: Ids) => Record<string, unknown> }> = {
  'Entity#relationships': {
    parent: 'musk',
    mutation: 'createRelationship(input: $input) { relationship { id } }',
    input: (ids) => ({ subjectId: ids.musk, predicate: 'probes_relationships', objectId: ids.openai }),
  },
  'Entity#events': {
    parent: 'musk',
    mutation: 'addEventParticipant(input: $input) { event { id } }',
    input: (ids) => ({ eventId: ids.event, entityId: ids.musk, role: 'probe of events' }),
  },
  'Entity#participants': {
    parent: 'event',
    mutation: 'addEventParticipant(input: $input) { event { id } }',
    input: (ids) => ({ eventId: ids.event, entityId: ids.openai, role: 'probe of participants' }),
  },
  'Entity#claimsAbout': {
    parent: 'openai',
    mutation: 'createClaim(input: $input) { claim { id } }',
    input: (ids) => ({ text: 'A probe of claimsAbout.', kind: 'FACT', appearsInId: ids.article, aboutIds: [ids.openai] }),
  },
  'Entity#claimsMade': {
    parent: 'musk',
    mutation: 'createClaim(input: $input) { claim { id } }',
    input: (ids) => ({ text: 'A probe of claimsMade.', kind: 'POSITION', claimantId: ids.musk, appearsInId: ids.article, aboutIds: [ids.openai] }),
  },
  'Entity#claims': {
    parent: 'event',
    mutation: 'createClaim(input: $input) { claim { id } }',
    input: (ids) => ({ text: 'A probe of an event’s claims.', kind: 'FACT', appearsInId: ids.article, aboutIds: [ids.event] }),
  },
  'Claim#about': {
    parent: 'created',
    mutation: 'createClaim(input: $input) { claim { id } }',
    input: (ids) => ({ text: 'A probe of about.', kind: 'FACT', appearsInId: ids.article, aboutIds: [ids.musk, ids.openai] }),
  },
  'Claim#citations': {
    parent: 'claim',
    mutation: 'addCitation(input: $input) { citation { id } }',
    input: (ids) => ({ claimId: ids.claim, sourceId: ids.cnbc, stance: 'MENTIONS', locator: 'probe of citations' }),
  },
  'Claim#contradicts': {
    parent: 'claim',
    mutation: 'createClaim(input: $input) { claim { id } }',
    input: (ids) => ({ text: 'A probe of contradicts.', kind: 'FACT', appearsInId: ids.article, aboutIds: [ids.musk], contradictsIds: [ids.claim] }),
  },
  'Claim#contradictions': {
    parent: 'claim',
    mutation: 'createClaim(input: $input) { claim { id } }',
    input: (ids) => ({
      text: 'A probe of contradictions.',
      kind: 'FACT',
      appearsInId: ids.article,
      aboutIds: [ids.musk],
      contradictions: [{ claimId: ids.claim, basis: 'INFERRED', note: 'A probe.' }],
    }),
  },
  'Relationship#claims': {
    parent: 'created',
    mutation: 'createRelationship(input: $input) { relationship { id } }',
    input: (ids) => ({ subjectId: ids.openai, predicate: 'probes_claims', objectId: ids.musk, claimIds: [ids.claim] }),
  },
  'Source#citations': {
    parent: 'cnbc',
    mutation: 'createClaim(input: $input) { claim { id } }',
    input: (ids) => ({ text: 'A probe of a source’s citations.', kind: 'FACT', appearsInId: ids.article, aboutIds: [ids.musk], citations: [{ sourceId: ids.cnbc, stance: 'MENTIONS' }] }),
  },
  'Source#claims': {
    parent: 'cnbc',
    mutation: 'createClaim(input: $input) { claim { id } }',
    input: (ids) => ({ text: 'A probe of a source’s claims.', kind: 'FACT', appearsInId: ids.article, aboutIds: [ids.musk], citations: [{ sourceId: ids.cnbc, stance: 'SUPPORTS' }] }),
  },
  'Source#statedClaims': {
    parent: 'article',
    mutation: 'createClaim(input: $input) { claim { id } }',
    input: (ids) => ({ text: 'A probe of statedClaims.', kind: 'FACT', appearsInId: ids.article, aboutIds: [ids.musk] }),
  },
};

const unwrap = (type: GraphQLOutputType) => (isNonNullType(type) ? type.ofType : type);
const isConnection = (type: GraphQLNamedType) => isObjectType(type) && (type.name.endsWith('Connection') || 'pageInfo' in type.getFields());
const hasId = (type: GraphQLNamedType) => isObjectType(type) && 'id' in type.getFields();

/** Every field of an object type that answers a list of objects or a connection, by its type. */
function listsOf(schema: GraphQLSchema) {
  const found: { type: string; field: string; key: string; withId: boolean }[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const returns = unwrap(field.type);
      if (!((isListType(returns) && isCompositeType(getNamedType(returns))) || isConnection(getNamedType(returns)))) continue;
      found.push({ type: type.name, field: field.name, key: `${tagTypeOf(type.name)}#${field.name}`, withId: hasId(type) });
    }
  }
  return found;
}

/**
 * The lists the triggers tag on their parents, as "<tag type>#<field>" (from
 * `'Entity:' || NEW.id || '#events'`), with the writes that tag them: INSERT, UPDATE, DELETE.
 */
function taggedByTriggers(sql: string[]) {
  const tagged = new Map<string, Set<string>>();
  for (const text of sql) {
    const event = /AFTER (INSERT|UPDATE|DELETE)/.exec(text)?.[1] ?? '?';
    for (const [, type, field] of text.matchAll(/'(\w+):'\s*\|\|[^']+\|\|\s*'#(\w+)'/g)) {
      const key = `${type}#${field}`;
      if (!tagged.has(key)) tagged.set(key, new Set());
      tagged.get(key)!.add(event);
    }
  }
  return tagged;
}

/** What keeps a cached answer that shows each list of the schema from going stale, if missing. */
function coverageProblems(schema: GraphQLSchema, triggerSql: string[]): string[] {
  const known = listFieldsOf(schema);
  const tagged = taggedByTriggers(triggerSql);
  const problems: string[] = [];
  for (const { type, field, key, withId } of listsOf(schema)) {
    const name = `${type}.${field}`;
    if (withId) {
      const tag = `${key.replace('#', ':<id>#')}`;
      if (!known.has(field)) problems.push(`${name}: answers that select it do not depend on '${tag}' (see listFieldsOf in src/cache/dependencies.ts)`);
      const missing = ['INSERT', 'UPDATE', 'DELETE'].filter((event) => !tagged.get(key)?.has(event));
      if (missing.length) problems.push(`${name}: no trigger writes '${tag}' to cache_changes on ${missing.join(', ')}: add it in a migration (see migrations/sqlite/*_cache_fields)`);
      if (!WRITES[key]) problems.push(`${name}: add to WRITES in test/cache-coverage.test.ts a write that changes it`);
    } else if (type === 'Query') {
      if (DECLARING_ROOTS.has(field) && !DECLARING_ROOT_LISTS[field]) problems.push(`${name}: a root the cache keeps by its declarations; say in DECLARING_ROOT_LISTS what it declares`);
    } else if (type !== 'Mutation' && !isConnection(schema.getType(type)!) && !type.endsWith('Edge') && !DECLARED_OTHERWISE[name]) {
      problems.push(`${name}: a list on a type without an id; say in DECLARED_OTHERWISE how an answer that shows it is dropped when it changes`);
    }
  }
  return problems;
}

const triggersOf = (app: TestApp) => app.db.$client.prepare("SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND sql LIKE '%cache_changes%'").pluck().all() as string[];

/** The type and row id of a global id ("Person", "1"); tests know the format. */
const decode = (id: string) => {
  const [typename, row] = Buffer.from(id, 'base64').toString().split(':');
  return { typename: typename!, row: row! };
};

/** The first `id` in a mutation's answer: what it created or changed. */
const firstId = (value: unknown): string | undefined => {
  if (value === null || typeof value !== 'object') return undefined;
  const object = value as Record<string, unknown>;
  if (typeof object.id === 'string') return object.id;
  for (const child of Object.values(object)) {
    const id = firstId(child);
    if (id) return id;
  }
  return undefined;
};

describe('the invalidation tags cover every list of the schema', () => {
  let app: TestApp;
  let ids: Ids;

  beforeAll(async () => {
    app = createTestApp({ apiToken: TEST_TOKEN });
    const seed = await app.gql<any>(
      '{ events(first: 1) { nodes { id } } musk: entity(name: "Musk") { id } openai: entity(name: "OpenAI") { id } sources { nodes { id slug } } claims(first: 1) { nodes { id } } }',
    );
    const source = (slug: string) => seed.data.sources.nodes.find((s: { slug: string }) => s.slug === slug).id as string;
    ids = {
      event: seed.data.events.nodes[0].id,
      musk: seed.data.musk.id,
      openai: seed.data.openai.id,
      article: source('article'),
      cnbc: source('note-2-cnbc'),
      claim: seed.data.claims.nodes[0].id,
    };
  });

  it('finds the lists it checks', () => {
    const lists = listsOf(schema).filter((l) => l.withId);
    expect(lists.map((l) => `${l.type}.${l.field}`)).toEqual(expect.arrayContaining(['Person.relationships', 'Claim.about', 'Source.claims', 'Event.participants']));
  });

  it('has every list field known to the cache, tagged by a trigger and changed by a write below', () => {
    expect(coverageProblems(schema, triggersOf(app))).toEqual([]);
    for (const key of Object.keys(WRITES)) expect(listsOf(schema).some((l) => l.key === key), `WRITES names ${key}, which the schema no longer has`).toBe(true);
  });

  it('fails for a list field added without a tag, or a tag taken away', () => {
    const added = extendSchema(schema, parse('extend type Claim { echoes: [Claim!]! } extend type Path { detours: [Entity!]! }'));
    const problems = coverageProblems(added, triggersOf(app));
    expect(problems).toEqual([
      expect.stringMatching(/^Claim\.echoes: no trigger writes 'Claim:<id>#echoes'/),
      expect.stringMatching(/^Claim\.echoes: add to WRITES/),
      expect.stringMatching(/^Path\.detours: a list on a type without an id/),
    ]);
    const untagged = triggersOf(app).map((sql) => sql.replaceAll("'#statedClaims'", "''"));
    expect(coverageProblems(schema, untagged)).toEqual([expect.stringMatching(/^Source\.statedClaims: no trigger writes 'Source:<id>#statedClaims'/)]);
  });

  it.each(Object.keys(WRITES))('a write that changes %s tags it, and drops the cached answers that show it', async (key) => {
    const [, field] = key.split('#') as [string, string];
    const write = WRITES[key]!;
    const read = async (id: string, through = app) => {
      const type = schema.getType(decode(id).typename);
      const returns = isObjectType(type) ? getNamedType(type.getFields()[field]!.type) : undefined;
      const selection = returns && isConnection(returns) ? '{ totalCount }' : isObjectType(returns) && !('id' in returns.getFields()) ? '{ __typename }' : '{ id }';
      const answer = await through.gql(`query($id: ID!) { node(id: $id) { ... on ${decode(id).typename} { ${field} ${selection} } } }`, { id });
      expect(answer.errors).toBeUndefined();
      return answer.data;
    };

    const parentBefore = write.parent === 'created' ? undefined : ids[write.parent];
    const before = parentBefore ? await read(parentBefore) : undefined;
    if (parentBefore) {
      app.resetQueries();
      expect(await read(parentBefore)).toEqual(before);
      expect(app.queries, 'the answer was kept').toEqual([]);
    }

    const last = app.db.$client.prepare('SELECT coalesce(max(id), 0) FROM cache_changes').pluck().get() as number;
    const done = await app.mutate(`mutation($input: ${inputOf(write.mutation)}) { ${write.mutation} }`, { input: write.input(ids) });
    expect(done.errors).toBeUndefined();
    const parent = parentBefore ?? firstId(done.data)!;
    const tags = app.db.$client.prepare('SELECT tag FROM cache_changes WHERE id > ?').pluck().all(last) as string[];
    const { typename, row } = decode(parent);
    expect(tags).toContain(`${tagTypeOf(typename)}:${row}#${field}`);

    if (before) {
      const after = await read(parent);
      expect(after).not.toEqual(before);
      // As a process that never cached it answers.
      expect(after).toEqual(await read(parent, createTestApp({ db: app.db })));
    }
  });
});

/** The input type of a mutation field: CreateClaimInput for createClaim. */
function inputOf(mutation: string) {
  const name = /^(\w+)/.exec(mutation)![1]!;
  return `${name[0]!.toUpperCase()}${name.slice(1)}Input!`;
}
