import { type SQL, sql } from 'drizzle-orm';
import { claims, claimSubjects } from '../../../schema/tables';
import { and, countFilter, inList } from '../../model/filters';
import { dependsOnRange } from '../../cache';
import { MAX_ITEMS } from '../../model/list-caps';
import { builder } from '../builder';
import { declareReads, exploreArgs, type ExploreArgs, explores, type NodeSet, orderQuery, whereOn } from '../filters';
import { boundedList } from '../connection-limits';
import { DEFAULT_PAGE_SIZE } from '../connection-limits';
import { countedConnection, cursorId, rows } from '../connections';
import { ENTITY_TYPE_NAMES, rowIdOf } from '../../domain/ids';
import { Contradiction, EdgeBasis } from './basis';
import { Entity } from './entity';
import { AttributionEnum, ClaimKindEnum, PartialDate, StanceEnum, SupportStatusEnum } from './scalars';

export const Claim = builder.drizzleNode('claims', {
  name: 'Claim',
  // Only the columns the query asks for: a nested page of rows then carries no unread text.
  select: {},
  description: 'Something asserted: by a claimant, in a source, about entities, backed (or not) by citations.',
  id: { column: (c) => c.id },
  fields: (t) => ({
    slug: t.exposeString('slug', { description: 'Stable natural key, used by the import format.' }),
    text: t.exposeString('text', { description: 'The assertion, in our own words.' }),
    kind: t.expose('kind', { type: ClaimKindEnum, description: 'Fact, position, opinion or anecdote.' }),
    claimant: t.relation('claimant', {
      type: Entity,
      nullable: true,
      description: 'Who asserts it; null when the source asserts it in its own voice.',
    }),
    attribution: t.expose('attribution', {
      type: AttributionEnum,
      description: 'DIRECT: in the claimant’s own words; REPORTED: the source says the claimant holds it.',
    }),
    appearsIn: t.relation('appearsIn', { description: 'The document the claim was taken from.' }),
    about: t.relation('about', {
      type: Entity,
      description: `The entities (events included) the claim is about, at most ${MAX_ITEMS.claimAbout}.`,
      query: { orderBy: { id: 'asc' }, limit: MAX_ITEMS.claimAbout },
      extensions: boundedList(MAX_ITEMS.claimAbout, 'the most entities a claim is about'),
    }),
    citations: t.relation('citations', {
      description: `Sources cited for this claim, at most ${MAX_ITEMS.claimCitations}; \`stance\` keeps only those stances.`,
      args: { stance: t.arg({ type: [StanceEnum], required: false, description: 'Only these stances.' }) },
      query: (args) => ({
        where: args.stance ? { stance: { in: args.stance } } : {},
        orderBy: { id: 'asc' },
        limit: MAX_ITEMS.claimCitations,
      }),
      extensions: boundedList(MAX_ITEMS.claimCitations, 'the most citations a claim has'),
    }),
    support: t.expose('support', {
      type: SupportStatusEnum,
      description:
        'Derived from citations: SUPPORTED when one SUPPORTS and none REFUTES, CONTESTED when both, REFUTED when only REFUTES, UNSUPPORTED otherwise (MENTIONS is not support).',
    }),
    contradicts: t.relation('contradicts', {
      description: `Claims that contradict this one (the link goes both ways), at most ${MAX_ITEMS.claimContradicts}.`,
      query: { orderBy: { id: 'asc' }, limit: MAX_ITEMS.claimContradicts },
      extensions: boundedList(MAX_ITEMS.claimContradicts, 'the most contradictions a claim has'),
    }),
    contradictions: t.relation('contradictionLinks', {
      type: Contradiction,
      description: `The claims that contradict this one, each with the basis of the opposition (STATED by the source, or INFERRED), at most ${MAX_ITEMS.claimContradicts}. \`contradicts\` lists the same claims without their bases.`,
      query: { orderBy: { contradictsId: 'asc' }, limit: MAX_ITEMS.claimContradicts },
      extensions: boundedList(MAX_ITEMS.claimContradicts, 'the most contradictions a claim has'),
    }),
    validFrom: t.expose('validFrom', { type: PartialDate, nullable: true, description: 'From when the claim holds, if it is time-bound.' }),
    validTo: t.expose('validTo', { type: PartialDate, nullable: true, description: 'Until when the claim holds, if it is time-bound.' }),
  }),
});

export const ClaimConnection = countedConnection('ClaimConnection', Claim, 'A page of claims.', undefined, 'Claim');

interface ClaimArgs {
  about?: { typename: string; id: string } | null;
  claimant?: { typename: string; id: string } | null;
  support?: readonly string[] | null;
}

/** The conditions of `claims`' arguments on a claims row (`row` is its table or alias). */
function claimConditions(row: SQL, args: ClaimArgs & ExploreArgs) {
  const conditions = [];
  if (args.about) {
    const id = rowIdOf(args.about, ENTITY_TYPE_NAMES, 'about');
    conditions.push(sql`${row}.id IN (SELECT ${claimSubjects.claimId} FROM ${claimSubjects} WHERE ${claimSubjects.entityId} = ${id})`);
  }
  if (args.claimant) conditions.push(sql`${row}.claimant_id = ${rowIdOf(args.claimant, ENTITY_TYPE_NAMES, 'claimant')}`);
  if (args.support) conditions.push(inList(sql`${row}.support`, args.support));
  const where = whereOn('Claim', args, row);
  if (where) conditions.push(where);
  return conditions;
}

const ALL_CLAIMS: NodeSet = { type: 'Claim', paged: 'claims', conditions: (row, args) => claimConditions(row, args) };

builder.queryFields((t) => ({
  claims: t.drizzleConnection(
    {
      type: Claim,
      description:
        'Claims in the order they were recorded. `about`: only claims about that entity; `claimant`: only claims it makes; `support`: only these standings (e.g. [UNSUPPORTED] for claims no citation backs).',
      args: {
        about: t.arg.globalID({ required: false, description: 'An entity id.' }),
        claimant: t.arg.globalID({ required: false, description: 'An entity id.' }),
        support: t.arg({ type: [SupportStatusEnum], required: false, description: 'Only these standings.' }),
        ...exploreArgs(t.arg, 'Claim'),
      },
      extensions: { nodeSet: ALL_CLAIMS },
      totalCount: (_root, args, context) => {
        dependsOnRange(context, 'Claim', null, null);
        declareReads(context, 'Claim', args);
        return context.db.$count(claims, countFilter(claimConditions(sql`${claims}`, args)));
      },
      resolve: async (query, _root, args, context) => {
        const found = await context.db.query.claims.findMany(
          query({ where: { RAW: (c) => and(claimConditions(sql`${c}`, args)) }, ...(orderQuery('Claim', args) ?? { orderBy: { id: 'asc' } }) }),
        );
        // A forward page depends on the claims from its cursor to the row past it (which says that
        // there is a next page), or to the end: later claims cannot enter it. Backward, or under
        // a filter or an ordering of its own, on all the rows it reads.
        if (explores(args)) declareReads(context, 'Claim', args);
        else if (args.last != null || args.before != null) dependsOnRange(context, 'Claim', null, null);
        else {
          const next = found.length > (args.first ?? DEFAULT_PAGE_SIZE) ? (found.at(-1) as unknown as { id: number }).id : null;
          dependsOnRange(context, 'Claim', args.after ? cursorId(args.after) : null, next);
        }
        return rows(Promise.resolve(found));
      },
    },
    ClaimConnection as never,
  ),
}));

/** The most claims a basis lists: a relationship's claims, or a contradiction's two. */
const MAX_BASIS_CLAIMS = Math.max(MAX_ITEMS.relationshipClaims, 2);

// Declared here rather than in basis.ts: Claim lists its contradictions, and these list claims.
builder.objectFields(EdgeBasis, (t) => ({
    claims: t.field({
      type: [Claim],
      description: `The claims the edge rests on, at most ${MAX_BASIS_CLAIMS}: for a relationship its claims (those that state it, or it was inferred from); for a contradiction the two opposed claims.`,
      extensions: boundedList(MAX_BASIS_CLAIMS, 'the most claims an edge rests on'),
      resolve: (b) => b.claims,
    }),
}));

builder.drizzleObjectFields(Contradiction, (t) => ({
  claim: t.relation('other', { type: Claim, description: 'The other claim: the one that contradicts this one.' }),
  basis: t.field({
    type: EdgeBasis,
    description: 'Whether the source sets the two claims against each other (STATED, with the passage) or the opposition was inferred (with a note).',
    select: { columns: { basis: true, basisNote: true, basisQuote: true }, with: { claim: true, other: true } },
    resolve: (c) => ({ kind: c.basis, note: c.basisNote, quote: c.basisQuote, claims: [c.claim, c.other] }),
  }),
}));
