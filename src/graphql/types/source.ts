import { drizzleConnectionHelpers } from '@pothos/plugin-drizzle';
import { sql } from 'drizzle-orm';
import { sources } from '../../../schema/tables';
import { inList } from '../../model/filters';
import { builder } from '../builder';
import { exploreArgs, type NodeSet, orderQuery, whereOn, whereThrough } from '../filters';
import { countedConnection, pagedQuery, relatedPage, rows } from '../connections';
import { Citation } from './citation';
import { Claim, ClaimConnection } from './claim';
import { Entity } from './entity';
import { PartialDate, SourceKindEnum, StanceEnum } from './scalars';

/** The claims a source is cited for with one stance: its citations rows. */
const CITED_CLAIMS: NodeSet = {
  type: 'Claim',
  paged: 'citations',
  through: 'claim_id',
  parentColumn: 'source_id',
  conditions: (citation, args) => [sql`${citation}.stance = ${args.stance as string}`, whereThrough('Claim', args, citation, 'claim_id')],
};

const citedClaimsPage = drizzleConnectionHelpers(builder, 'citations', {
  args: (t) => ({
    stance: t.field({ type: StanceEnum, defaultValue: 'SUPPORTS', description: 'The stance the source takes towards the claims.' }),
    ...exploreArgs((o) => t.field(o), 'Claim'),
  }),
  query: pagedQuery(CITED_CLAIMS, { id: 'asc' }) as never,
  select: (nestedSelection) => ({ columns: {}, with: { claim: nestedSelection() } }),
  resolveNode: (citation) => citation.claim,
});

/** A source's citations. */
const CITATIONS_OF: NodeSet = {
  type: 'Citation',
  paged: 'citations',
  parentColumn: 'source_id',
  conditions: (citation, args) => {
    const stance = args.stance as readonly string[] | null | undefined;
    return [stance ? inList(sql`${citation}.stance`, stance) : null, whereOn('Citation', args, citation)];
  },
};

const citationsPage = drizzleConnectionHelpers(builder, 'citations', {
  args: (t) => ({
    stance: t.field({ type: [StanceEnum], required: false, description: 'Only these stances.' }),
    ...exploreArgs((o) => t.field(o), 'Citation'),
  }),
  query: pagedQuery(CITATIONS_OF, { id: 'asc' }) as never,
});

/** The claims that appear in a source. */
const STATED_CLAIMS: NodeSet = { type: 'Claim', paged: 'claims', parentColumn: 'appears_in_id', conditions: (row, args) => [whereOn('Claim', args, row)] };

const statedClaimsPage = drizzleConnectionHelpers(builder, 'claims', {
  args: (t) => exploreArgs((o) => t.field(o), 'Claim'),
  query: pagedQuery(STATED_CLAIMS, { id: 'asc' }) as never,
});

export const Source = builder.drizzleNode('sources', {
  name: 'Source',
  // Only the columns the query asks for: a nested page of rows then carries no unread text.
  select: {},
  description: 'A document that claims appear in or are cited to: an article, a news report, a filing.',
  id: { column: (s) => s.id },
  fields: (t) => ({
    slug: t.exposeString('slug', { description: 'Stable natural key, used by the import format.' }),
    title: t.exposeString('title', { description: 'Its title.' }),
    kind: t.expose('kind', { type: SourceKindEnum, description: 'What sort of document it is.' }),
    url: t.exposeString('url', { nullable: true, description: 'Where to read it; null when unknown.' }),
    publisher: t.relation('publisher', { type: Entity, nullable: true, description: 'Who published it.' }),
    publishedOn: t.expose('publishedOn', { type: PartialDate, nullable: true, description: 'When it was published, at the precision known.' }),
    retrievedOn: t.expose('retrievedOn', { type: PartialDate, nullable: true, description: 'When it was read.' }),
    label: t.exposeString('label', { nullable: true, description: 'How the citing document prints it, e.g. "[2] Cnbc".' }),
    citations: t.connection(
      {
        type: Citation,
        description: 'Citations of this source, in the order recorded; `stance` keeps only those stances.',
        ...relatedPage('citations', CITATIONS_OF, citationsPage),
      },
      CitationConnection,
    ),
    claims: t.connection(
      {
        type: Claim,
        description:
          "Claims this source is cited for with the given stance: 'claims supported by source'. In the order the citations were recorded.",
        ...relatedPage('citations', CITED_CLAIMS, citedClaimsPage),
      },
      ClaimConnection,
    ),
    statedClaims: t.connection(
      {
        type: Claim,
        description: 'Claims that appear in this source, in the order recorded.',
        ...relatedPage('statedClaims', STATED_CLAIMS, statedClaimsPage),
      },
      ClaimConnection,
    ),
  }),
});

export const SourceConnection = countedConnection('SourceConnection', Source, 'A page of sources.', undefined, 'Source');

const ALL_SOURCES: NodeSet = { type: 'Source', paged: 'sources', conditions: (row, args) => [whereOn('Source', args, row)] };
export const CitationConnection = countedConnection('CitationConnection', Citation, 'A page of citations.', undefined, 'Citation');

builder.queryFields((t) => ({
  sources: t.drizzleConnection(
    {
      type: Source,
      description: 'All sources, in the order recorded.',
      args: exploreArgs(t.arg, 'Source'),
      extensions: { nodeSet: ALL_SOURCES },
      totalCount: (_root, args, { db }) => db.$count(sources, whereOn('Source', args, sql`${sources}`) ?? undefined),
      resolve: (query, _root, args, { db }) =>
        rows(db.query.sources.findMany(
          query({ where: { RAW: (s) => whereOn('Source', args, sql`${s}`) ?? sql`TRUE` }, ...(orderQuery('Source', args) ?? { orderBy: { id: 'asc' } }) }),
        )),
    },
    SourceConnection as never,
  ),
}));

// Declared here rather than in entity.ts: Source already refers to Entity (its publisher).
builder.drizzleInterfaceFields(Entity, (t) => ({
  wikidataSource: t.relation('wikidataSource', {
    type: Source,
    nullable: true,
    description: 'The source the Wikidata id was taken from (the seed cites a Source "Wikidata" of kind ENCYCLOPEDIA), never the article; null when not recorded.',
  }),
}));
