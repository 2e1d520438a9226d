/**
 * The read operations (and, below, the writes) whose every statement both plan tests
 * (test/query-plans.test.ts on SQLite, test/postgres-query-plans.test.ts on PostgreSQL) check,
 * one list for both engines. `v` holds
 * the parameters each test picks from its generated graph; it is read when an operation runs.
 */
export type PlanRead = [operation: string, query: string, variables: () => Record<string, unknown>];

const NESTED = `query($id: ID!) { node(id: $id) { ... on Source { title
  claims(stance: SUPPORTS, first: 20) { totalCount nodes { id text about { id name
    relationships(first: 5) { totalCount nodes { id predicate object { id name } } } } } } } } }`;

export function planReads(v: Readonly<Record<string, string>>): PlanRead[] {
  return [
    ['node: a claim', 'query($id: ID!) { node(id: $id) { id ... on Claim { text kind support claimant { id name } } } }', () => ({ id: v.claim })],
    ['node: a source', 'query($id: ID!) { node(id: $id) { id ... on Source { title publisher { name } } } }', () => ({ id: v.hubSource })],
    ['node: an entity', 'query($id: ID!) { node(id: $id) { id ... on Entity { name aliases } } }', () => ({ id: v.hub })],
    ['nodes: a batch', 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', () => ({ ids: [v.claim, v.hub, v.hubSource, v.ordinary] })],
    ['source → claims(SUPPORTS) → about → relationships → object, on the busiest source', NESTED, () => ({ id: v.hubSource })],
    ['source → claims(SUPPORTS) → about → relationships → object, on a small source', NESTED, () => ({ id: v.source })],
    [
      'sources → claims → about → relationships, from the root',
      '{ sources(first: 3) { nodes { title claims(first: 20) { nodes { text about { name relationships(first: 5) { nodes { predicate object { name } } } } } } } } }',
      () => ({}),
    ],
    ['claims: the first page', '{ claims(first: 20) { nodes { id text } pageInfo { hasNextPage endCursor } } }', () => ({})],
    ['claims: a page at 90%', 'query($after: String) { claims(first: 20, after: $after) { nodes { id text } pageInfo { hasNextPage endCursor } } }', () => ({ after: v.deepCursor })],
    ['claims: totalCount of an unfiltered connection', '{ claims(first: 5) { totalCount } }', () => ({})],
    ['sources: totalCount (no WHERE, so SQLite counts b-tree pages)', '{ sources(first: 1) { totalCount } }', () => ({})],
    ['relationships: totalCount of an unfiltered connection', '{ relationships(first: 1) { totalCount } }', () => ({})],
    ['claims(about:) a hub', 'query($e: ID!) { claims(about: $e, first: 20) { totalCount nodes { id } } }', () => ({ e: v.hub })],
    ['claims(claimant:) a hub', 'query($e: ID!) { claims(claimant: $e, first: 20) { totalCount nodes { id } } }', () => ({ e: v.hub })],
    ['claims(support: [UNSUPPORTED])', '{ claims(support: [UNSUPPORTED], first: 20) { totalCount nodes { id support } } }', () => ({})],
    ['entities(kind:, nameContains:)', '{ entities(kind: [PERSON], nameContains: "ad", first: 20) { totalCount nodes { id name } pageInfo { endCursor } } }', () => ({})],
    ['entities(kind:) second page', 'query($after: String) { entities(kind: [ORGANIZATION], first: 20, after: $after) { nodes { id name } } }', () => ({})],
    ['entities: the first page', '{ entities(first: 20) { nodes { id name } } }', () => ({})],
    ['entities: totalCount of an unfiltered connection', '{ entities(first: 1) { totalCount } }', () => ({})],
    ['entities(nameContains without a kind)', '{ entities(nameContains: "ada", first: 20) { nodes { id name } } }', () => ({})],
    ['events: the timeline', '{ events(first: 20) { totalCount nodes { id name startDate } } }', () => ({})],
    [
      'events(from:, to:, involving:) a hub',
      'query($e: ID!) { events(from: "2000", to: "2020-06", involving: $e, first: 20) { totalCount nodes { id name startDate } } }',
      () => ({ e: v.hub }),
    ],
    ['events(from:, to:)', '{ events(from: "2000", to: "2020-06", first: 20) { totalCount nodes { id name } } }', () => ({})],
    ['entity(name:)', 'query($n: String!) { entity(name: $n) { id name } }', () => ({ n: v.personName })],
    [
      'Entity.relationships(asOf:, predicate:, direction:) of a hub',
      'query($e: ID!) { node(id: $e) { ... on Entity { relationships(asOf: "2010", predicate: ["invested_in", "acquired"], direction: OUTGOING, first: 10) { totalCount nodes { id predicate object { name } } } } } }',
      () => ({ e: v.hub }),
    ],
    [
      'Entity.relationships (both directions) of a hub',
      'query($e: ID!) { node(id: $e) { ... on Entity { relationships(first: 10) { totalCount nodes { id subject { name } object { name } } } } } }',
      () => ({ e: v.hub }),
    ],
    [
      'Entity.events and claimsMade of a hub',
      'query($e: ID!) { node(id: $e) { ... on Entity { events(first: 10) { totalCount edges { role node { name } } } claimsMade(first: 10) { totalCount nodes { id } } } } }',
      () => ({ e: v.hub }),
    ],
    [
      'Entity.claimsAbout of a hub',
      'query($e: ID!) { node(id: $e) { ... on Entity { claimsAbout(support: [SUPPORTED], first: 10) { totalCount nodes { id } } } } }',
      () => ({ e: v.hub }),
    ],
    [
      'Event.participants',
      'query($e: ID!) { node(id: $e) { ... on Event { participants(first: 10) { totalCount edges { role node { name } } } } } }',
      () => ({ e: v.event }),
    ],
    [
      'Source.statedClaims and claims(REFUTES) of the busiest source',
      'query($s: ID!) { node(id: $s) { ... on Source { statedClaims(first: 10) { totalCount nodes { id } } claims(stance: REFUTES, first: 10) { totalCount nodes { id } } } } }',
      () => ({ s: v.hubSource }),
    ],
    [
      'Claim: citations, contradictions, about, appearsIn',
      'query($c: ID!) { node(id: $c) { ... on Claim { citations(stance: [SUPPORTS, REFUTES]) { stance source { title } } contradicts { id } about { name } appearsIn { title } } } }',
      () => ({ c: v.claim }),
    ],
    ['relationships(predicate:)', '{ relationships(predicate: ["sued"], first: 20) { totalCount nodes { id claims { id } } } }', () => ({})],
    [
      'search: a rare word',
      'query($q: String!) { search(query: $q, first: 10) { totalCount edges { score snippet node { __typename ... on Entity { id name } ... on Claim { id text } ... on Source { id title } } } } }',
      () => ({ q: v.rareWord }),
    ],
    [
      'search: the most common word',
      'query($q: String!) { search(query: $q, first: 10) { totalCount edges { score snippet node { __typename ... on Entity { id name } ... on Claim { id text } ... on Source { id title } } } } }',
      () => ({ q: v.commonWord }),
    ],
    [
      'search: a rare word after the most common one, a page deep',
      'query($q: String!) { search(query: $q, first: 10, after: "b2Zmc2V0Ojk=") { totalCount edges { score snippet } } }',
      () => ({ q: `${v.commonWord} ${v.rareWord}` }),
    ],
    [
      'search: the most common word typed in full, by kind',
      'query($q: String!) { search(query: $q, kinds: [CLAIM, PERSON], first: 10) { totalCount edges { score snippet } } }',
      () => ({ q: v.commonLongWord }),
    ],
    [
      'search: a word in more documents than are ranked, a page deep',
      'query($q: String!) { search(query: $q, first: 10, after: "b2Zmc2V0Ojk=") { totalCount edges { score snippet node { __typename } } } }',
      () => ({ q: v.manyDocumentsWord }),
    ],
    [
      'search: a name, its last word begun',
      'query($q: String!) { search(query: $q, first: 10) { totalCount edges { score snippet node { __typename ... on Entity { id name } ... on Claim { id text } } } } }',
      () => ({ q: `${v.personName!.split(' ')[0]} ${v.begunWord}` }),
    ],
    [
      'search: one letter, with highlights',
      'query($q: String!) { search(query: $q, first: 10) { totalCount edges { score snippet highlights { field start end } node { __typename ... on Entity { id name } } } } }',
      () => ({ q: v.letter!.toUpperCase() }),
    ],
    [
      'search: a name and one letter, with highlights',
      'query($q: String!) { search(query: $q, first: 10) { totalCount edges { score highlights { field start end } } } }',
      () => ({ q: `${v.personName!.split(' ')[0]} ${v.letter}` }),
    ],
    [
      'search: the last page of the most common word',
      'query($q: String!) { search(query: $q, last: 5) { totalCount edges { cursor score snippet } } }',
      () => ({ q: v.commonWord }),
    ],
    [
      'search: a name with other letters than ASCII',
      'query($q: String!) { search(query: $q, first: 10) { totalCount edges { score snippet node { __typename ... on Entity { id name } } } } }',
      () => ({ q: v.otherLetters }),
    ],
    [
      'where: claims about a hub with a SUPPORTS citation from a NEWS source, grouped by support',
      'query($e: ID!) { node(id: $e) { ... on Entity { claimsAbout(first: 10, where: { citations: { some: { stance: { eq: SUPPORTS }, source: { kind: { eq: NEWS } } } } }) { totalCount nodes { id } groupBy(field: SUPPORT) { key count } } } } }',
      () => ({ e: v.hub }),
    ],
    [
      'where: claims about a hub, at least two distinct supporting sources, newest first',
      'query($e: ID!) { node(id: $e) { ... on Entity { claimsAbout(first: 10, orderBy: [CREATED_AT_DESC], where: { citations: { count: { where: { stance: { eq: SUPPORTS } }, distinct: SOURCE, gte: 2 } } }) { totalCount nodes { id } } } } }',
      () => ({ e: v.hub }),
    ],
    [
      'where: claims by a standing and a claimant, counted by kind',
      'query($e: ID!) { claims(first: 20, where: { support: { in: [SUPPORTED, CONTESTED] }, claimant: { id: { eq: $e } } }) { totalCount nodes { id } groupBy(field: KIND) { key count } } }',
      () => ({ e: v.hub }),
    ],
    [
      'where: a hub\'s relationships by predicate and date, ordered by start',
      'query($e: ID!) { node(id: $e) { ... on Entity { relationships(first: 10, orderBy: [VALID_FROM_ASC], where: { predicate: { in: ["invested_in", "acquired"] }, validFrom: { gte: "2000" } }) { totalCount nodes { id } groupBy(field: PREDICATE) { key count } } } } }',
      () => ({ e: v.hub }),
    ],
    [
      'where: the busiest source\'s citations by stance, and its supported claims of one kind',
      'query($s: ID!) { node(id: $s) { ... on Source { citations(first: 10, stance: [SUPPORTS], where: { quote: { isNull: false } }) { totalCount groupBy(field: STANCE) { key count } } claims(first: 10, where: { kind: { eq: FACT } }) { totalCount nodes { id } } } } }',
      () => ({ s: v.hubSource }),
    ],
    [
      'where: entities by name prefix and kind',
      '{ entities(first: 20, where: { kind: { eq: PERSON }, name: { startsWith: "a" } }) { totalCount nodes { id name } } }',
      () => ({}),
    ],
    [
      'path: two connected entities',
      'query($a: ID!, $b: ID!) { path(from: $a, to: $b, maxDepth: 4) { length steps { description via { id } } } }',
      () => ({ a: v.ordinary, b: v.twoHops }),
    ],
    [
      'path: through a hub',
      'query($a: ID!, $b: ID!) { path(from: $a, to: $b, maxDepth: 4) { length steps { description } } }',
      () => ({ a: v.hub, b: v.twoHops }),
    ],
    [
      'path: a pair that is not connected',
      'query($a: ID!, $b: ID!) { path(from: $a, to: $b, maxDepth: 4) { length } }',
      () => ({ a: v.hub, b: v.isolated }),
    ],
    [
      'neighborhood: depth 2 of a hub',
      'query($e: ID!) { neighborhood(of: $e, depth: 2) { truncated entities { id name } relationships { id predicate } } }',
      () => ({ e: v.hub }),
    ],
    [
      'neighborhood: depth 2 of an ordinary entity',
      'query($e: ID!) { neighborhood(of: $e, depth: 2) { truncated entities { id name } relationships { id predicate } } }',
      () => ({ e: v.ordinary }),
    ],
  ];
}

/** Search's statements are engine-specific: FTS5 on SQLite, a GIN index on PostgreSQL. */
export const isSearch = ([operation]: PlanRead) => operation.startsWith('search:');

/** How a plan test runs one write: its name (for the report), its text and variables; resolves to its data. */
export type PlanMutate = <T>(operation: string, query: string, variables: Record<string, unknown>) => Promise<T>;

/**
 * The writes whose every statement both plan tests check: every mutation, a keyed write and its
 * retry (answered from idempotency_keys), and an entity deleted with its foreign-key checks.
 */
export async function planWrites(mutate: PlanMutate, v: Readonly<Record<string, string>>): Promise<void> {
  type Created<K extends string, F extends string> = Record<K, Record<F, { id: string }>>;
  const org = await mutate<Created<'createEntity', 'entity'>>(
    'createEntity',
    'mutation($i: CreateEntityInput!) { createEntity(input: $i) { entity { id name aliases } } }',
    { i: { kind: 'ORGANIZATION', name: 'Plan Check Labs', aliases: ['PCL'], description: 'Made by the query-plan test.' } },
  );
  const orgId = org.createEntity.entity.id;
  await mutate(
    'updateEntity',
    'mutation($i: UpdateEntityInput!) { updateEntity(input: $i) { entity { id name aliases description } } }',
    { i: { id: orgId, name: 'Plan Check Laboratories', aliases: ['PCL', 'Plan Check'], legalForm: 'cooperative' } },
  );
  const source = await mutate<Created<'createSource', 'source'>>(
    'createSource',
    'mutation($i: CreateSourceInput!) { createSource(input: $i) { source { id title publisher { name } } } }',
    { i: { kind: 'NEWS', title: 'A review of Plan Check Labs', publisherId: v.hub, publishedOn: '2024-05', clientMutationId: 'plan-source' } },
  );
  const sourceId = source.createSource.source.id;
  const claim = await mutate<Created<'createClaim', 'claim'>>(
    'createClaim',
    `mutation($i: CreateClaimInput!) { createClaim(input: $i) { claim {
      id support claimant { name } appearsIn { title } about { name } citations { id stance source { title } } contradicts { id } } } }`,
    {
      i: {
        text: 'Plan Check Labs invested heavily in its hub partner around 2020.',
        kind: 'FACT',
        claimantId: v.hub,
        attribution: 'REPORTED',
        appearsInId: v.hubSource,
        aboutIds: [orgId, v.hub],
        citations: [
          { sourceId, stance: 'SUPPORTS', locator: 'p. 1', quote: 'It invested.' },
          { sourceId: v.hubSource, stance: 'REFUTES' },
        ],
        contradictsIds: [v.claim],
        validFrom: '2020',
        clientMutationId: 'plan-claim',
      },
    },
  );
  const claimId = claim.createClaim.claim.id;
  const cited = await mutate<Created<'addCitation', 'citation'>>(
    'addCitation',
    'mutation($i: AddCitationInput!) { addCitation(input: $i) { citation { id stance } claim { id support } } }',
    { i: { claimId, sourceId: v.hubSource, stance: 'MENTIONS', locator: 'p. 9' } },
  );
  await mutate(
    'removeCitation',
    'mutation($i: RemoveCitationInput!) { removeCitation(input: $i) { deletedId claim { id support } } }',
    { i: { id: cited.addCitation.citation.id } },
  );
  await mutate(
    'createRelationship',
    'mutation($i: CreateRelationshipInput!) { createRelationship(input: $i) { relationship { id label subject { name } object { name } claims { id } } } }',
    { i: { subjectId: orgId, predicate: 'partner_of', objectId: v.hub, validFrom: '2021', claimIds: [claimId] } },
  );
  await mutate(
    'addEventParticipant',
    'mutation($i: AddEventParticipantInput!) { addEventParticipant(input: $i) { event { id participants(first: 5) { totalCount edges { role } } } participant { name } } }',
    { i: { eventId: v.event, entityId: orgId, role: 'witness' } },
  );
  // A retry of a keyed write: answered from idempotency_keys.
  await mutate(
    'createSource (a retry)',
    'mutation($i: CreateSourceInput!) { createSource(input: $i) { source { id } } }',
    { i: { kind: 'NEWS', title: 'A review of Plan Check Labs', publisherId: v.hub, publishedOn: '2024-05', clientMutationId: 'plan-source' } },
  );
  const ghost = await mutate<Created<'createEntity', 'entity'>>(
    'createEntity (to delete)',
    'mutation($i: CreateEntityInput!) { createEntity(input: $i) { entity { id } } }',
    { i: { kind: 'EVENT', name: 'Plan Check Ghost Summit 2030', status: 'PROPOSED', startDate: '2030' } },
  );
  // Its foreign-key checks: every table that may point at an entity, looked up by the deleted id.
  await mutate('deleteEntity', 'mutation($id: ID!) { deleteEntity(input: { id: $id }) { deletedId } }', { id: ghost.createEntity.entity.id });
}
