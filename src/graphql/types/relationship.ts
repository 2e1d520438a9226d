import { type SQL, sql } from 'drizzle-orm';
import { relationships } from '../../../schema/tables';
import { and, countFilter, inList } from '../../model/filters';
import { MAX_ITEMS } from '../../model/list-caps';
import { builder } from '../builder';
import { exploreArgs, type ExploreArgs, type NodeSet, orderQuery, whereOn } from '../filters';
import { boundedList } from '../connection-limits';
import { countedConnection, rows } from '../connections';
import { EdgeBasis } from './basis';
import { Entity } from './entity';
import { PartialDate } from './scalars';

export const Relationship = builder.drizzleNode('relationships', {
  name: 'Relationship',
  // Only the columns the query asks for: a nested page of rows then carries no unread text.
  select: {},
  description: 'A dated, sourced link between two entities: Elon Musk -co_founded-> OpenAI.',
  id: { column: (r) => r.id },
  fields: (t) => ({
    slug: t.exposeString('slug', { description: 'Stable natural key, used by the import format.' }),
    subject: t.relation('subject', { type: Entity, description: 'The entity the link starts from.' }),
    predicate: t.exposeString('predicate', { description: 'snake_case key of the link, e.g. "co_founded", "invested_in".' }),
    label: t.exposeString('label', { description: 'The link in human wording, e.g. "co-founded".' }),
    object: t.relation('object', { type: Entity, description: 'The entity the link points to.' }),
    validFrom: t.expose('validFrom', { type: PartialDate, nullable: true, description: 'When it began to hold; null when unknown.' }),
    validTo: t.expose('validTo', { type: PartialDate, nullable: true, description: 'When it stopped holding; null while it holds or when unknown.' }),
    claims: t.relation('claims', {
      description: `The claims that assert this relationship, at most ${MAX_ITEMS.relationshipClaims}.`,
      query: { orderBy: { id: 'asc' }, limit: MAX_ITEMS.relationshipClaims },
      extensions: boundedList(MAX_ITEMS.relationshipClaims, 'the most claims a relationship has'),
    }),
    basis: t.field({
      type: EdgeBasis,
      description:
        'Why the link is in the graph: STATED when its claims state it, INFERRED (with a note saying from what) when it was read from them or from elsewhere. `where: { basis: { eq: STATED } }` keeps only stated links.',
      select: { columns: { basis: true, basisNote: true }, with: { claims: { orderBy: { id: 'asc' }, limit: MAX_ITEMS.relationshipClaims } } },
      resolve: (r) => ({ kind: r.basis, note: r.basisNote, quote: null, claims: r.claims }),
    }),
  }),
});

export const RelationshipConnection = countedConnection(
  'RelationshipConnection',
  Relationship,
  'A page of relationships.',
  undefined,
  'Relationship',
);

builder.queryFields((t) => ({
  relationships: t.drizzleConnection(
    {
      type: Relationship,
      description: 'All relationships, oldest recorded first; `predicate` keeps only those predicates.',
      args: { predicate: t.arg.stringList({ required: false, description: 'Only these predicates.' }), ...exploreArgs(t.arg, 'Relationship') },
      extensions: { nodeSet: ALL_RELATIONSHIPS },
      totalCount: (_root, args, { db }) => db.$count(relationships, countFilter(relationshipConditions(sql`${relationships}`, args))),
      resolve: (query, _root, args, { db }) =>
        rows(db.query.relationships.findMany(
          query({ where: { RAW: (r) => and(relationshipConditions(sql`${r}`, args)) }, ...(orderQuery('Relationship', args) ?? { orderBy: { id: 'asc' } }) }),
        )),
    },
    RelationshipConnection as never,
  ),
}));

/** The conditions of `relationships`' arguments on a relationships row (`r` is its table or alias). */
function relationshipConditions(r: SQL, args: { predicate?: readonly string[] | null } & ExploreArgs) {
  const conditions = args.predicate ? [inList(sql`${r}.predicate`, args.predicate)] : [];
  const where = whereOn('Relationship', args, r);
  return where ? [...conditions, where] : conditions;
}

const ALL_RELATIONSHIPS: NodeSet = { type: 'Relationship', paged: 'relationships', conditions: (row, args) => relationshipConditions(row, args) };
