import { drizzleConnectionHelpers } from '@pothos/plugin-drizzle';
import { sql } from 'drizzle-orm';
import { citations, claims, sources } from '../../../schema/tables';
import { inList } from '../../model/filters';
import { builder } from '../builder';
import { countedConnection, relatedPage, rows } from '../connections';
import { Citation } from './citation';
import { Claim, ClaimConnection } from './claim';
import { Entity } from './entity';
import { PartialDate, SourceKindEnum, StanceEnum } from './scalars';

const citedClaimsPage = drizzleConnectionHelpers(builder, 'citations', {
  args: (t) => ({
    stance: t.field({ type: StanceEnum, defaultValue: 'SUPPORTS', description: 'The stance the source takes towards the claims.' }),
  }),
  query: (args) => ({ where: { stance: (args as { stance: 'SUPPORTS' }).stance }, orderBy: { id: 'asc' } }),
  select: (nestedSelection) => ({ columns: {}, with: { claim: nestedSelection() } }),
  resolveNode: (citation) => citation.claim,
});

const citationsPage = drizzleConnectionHelpers(builder, 'citations', {
  args: (t) => ({ stance: t.field({ type: [StanceEnum], required: false, description: 'Only these stances.' }) }),
  query: (args) => {
    const { stance } = args as { stance?: ('SUPPORTS' | 'REFUTES' | 'QUALIFIES' | 'MENTIONS')[] | null };
    return { where: stance ? { stance: { in: stance } } : {}, orderBy: { id: 'asc' } };
  },
});

const statedClaimsPage = drizzleConnectionHelpers(builder, 'claims', { query: { orderBy: { id: 'asc' } } });

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
        ...relatedPage('citations', 'Citation', citationsPage, (source, args) => {
          const stance = args.stance ? sql` AND ${inList(sql`c.stance`, args.stance as string[])}` : sql``;
          return sql<number>`(SELECT count(*) FROM ${citations} c WHERE c.source_id = ${source.id}${stance})`;
        }),
      },
      CitationConnection,
    ),
    claims: t.connection(
      {
        type: Claim,
        description:
          "Claims this source is cited for with the given stance: 'claims supported by source'. In the order the citations were recorded.",
        ...relatedPage('citations', 'Claim', citedClaimsPage, (source, args) =>
          sql<number>`(SELECT count(*) FROM ${citations} c WHERE c.source_id = ${source.id} AND c.stance = ${args.stance as string})`,
        ),
      },
      ClaimConnection,
    ),
    statedClaims: t.connection(
      {
        type: Claim,
        description: 'Claims that appear in this source, in the order recorded.',
        ...relatedPage('statedClaims', 'Claim', statedClaimsPage, (source) =>
          sql<number>`(SELECT count(*) FROM ${claims} c WHERE c.appears_in_id = ${source.id})`,
        ),
      },
      ClaimConnection,
    ),
  }),
});

export const SourceConnection = countedConnection('SourceConnection', Source, 'A page of sources.');
export const CitationConnection = countedConnection('CitationConnection', Citation, 'A page of citations.');

builder.queryFields((t) => ({
  sources: t.drizzleConnection(
    {
      type: Source,
      description: 'All sources, in the order recorded.',
      totalCount: (_root, _args, { db }) => db.$count(sources),
      resolve: (query, _root, _args, { db }) => rows(db.query.sources.findMany(query({ orderBy: { id: 'asc' } }))),
    },
    SourceConnection as never,
  ),
}));
