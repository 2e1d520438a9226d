import { drizzleConnectionHelpers } from '@pothos/plugin-drizzle';
import { sql } from 'drizzle-orm';
import { citations, sources } from '../../../schema/tables';
import { builder } from '../builder';
import { countedConnection, rows } from '../connections';
import { Citation } from './citation';
import { Claim, ClaimConnection } from './claim';
import { Entity } from './entity';
import { PartialDate, SourceKindEnum, StanceEnum } from './scalars';

const citedClaimsPage = drizzleConnectionHelpers(builder, 'citations', {
  args: (t) => ({
    stance: t.field({ type: StanceEnum, defaultValue: 'SUPPORTS', description: 'The stance the source takes towards the claims.' }),
  }),
  query: (args) => ({ where: { stance: (args as { stance: 'SUPPORTS' }).stance }, orderBy: { id: 'asc' } }),
  select: (nestedSelection) => ({ with: { claim: nestedSelection() } }),
  resolveNode: (citation) => citation.claim,
});

export const Source = builder.drizzleNode('sources', {
  name: 'Source',
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
    citations: t.relatedConnection(
      'citations',
      {
        description: 'Citations of this source, in the order recorded; `stance` keeps only those stances.',
        args: { stance: t.arg({ type: [StanceEnum], required: false, description: 'Only these stances.' }) },
        query: (args) => ({ where: args.stance ? { stance: { in: args.stance } } : {}, orderBy: { id: 'asc' } }),
        totalCount: true,
      },
      CitationConnection as never,
    ),
    claims: t.connection(
      {
        type: Claim,
        description:
          "Claims this source is cited for with the given stance: 'claims supported by source'. In the order the citations were recorded.",
        args: citedClaimsPage.getArgs(),
        select: (args, ctx, nestedSelection) => ({
          with: { citations: citedClaimsPage.getQuery(args, ctx, nestedSelection) },
          extras: {
            citedClaimCount: (source: { id: never }) =>
              sql<number>`(SELECT count(*) FROM ${citations} c WHERE c.source_id = ${source.id} AND c.stance = ${args.stance})`,
          },
        }),
        resolve: (source, args, ctx) => ({
          ...citedClaimsPage.resolve(source.citations as never, args as never, ctx),
          totalCount: source.citedClaimCount as number,
        }),
      },
      ClaimConnection as never,
    ),
    statedClaims: t.relatedConnection(
      'statedClaims',
      { description: 'Claims that appear in this source, in the order recorded.', query: { orderBy: { id: 'asc' } }, totalCount: true },
      ClaimConnection as never,
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
