import { and, count, eq, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { z } from 'zod';
import { citations, claimContradictions, claims, claimSubjects, type CitationRow, type ClaimRow } from '../../../schema/tables';
import type { Db } from '../../db';
import { conflict, notFound } from '../../domain/errors';
import { encodeGlobalID } from '../../domain/ids';
import { apiShape, CITATION_FIELDS, CLAIM_FIELDS, contradictionIssues, inOrder, NO_BASIS_NOTE, slugInput } from '../fields';
import { citationRef, claimRef, findClaim, findEach, findEntity, findSource, orNull, parseInput, stamps, touch } from './common';
import { MAX_ITEMS } from '../list-caps';
import { newSlug, slugify } from './slugs';

export const CreateClaimInput = z
  .object({ slug: slugInput('the first words of the text'), ...apiShape(CLAIM_FIELDS) })
  .superRefine((input, ctx) => {
    inOrder('validFrom', 'validTo')(input, ctx);
    contradictionIssues(input.contradictsIds, input.contradictions, { contradicts: 'contradictsIds', contradictions: 'contradictions', claim: 'claimId' }, ctx);
  })
  .meta({
    description:
      'A new claim, with the entities it is about and, optionally, its citations and the claims it contradicts. All of it is written in one transaction, or none of it.',
  });

/** One citation, as createClaim's list holds them. */
type CitationInput = NonNullable<z.output<typeof CreateClaimInput>['citations']>[number];

export const AddCitationInput = z
  .object({ claimId: claimRef.meta({ description: 'The id of the Claim.' }), ...apiShape(CITATION_FIELDS) })
  .meta({ description: 'A source cited for an existing claim.' });
export const RemoveCitationInput = z
  .object({ id: citationRef.meta({ description: 'The id of the Citation.' }) })
  .meta({ description: 'The citation to remove.' });

/** A claim's lists stop at MAX_ITEMS (the query budget counts on it): one more is a CONFLICT. */
async function refuseWhenFull(
  tx: Db,
  table: typeof citations | typeof claimContradictions,
  column: SQLiteColumn,
  claimId: number,
  max: number,
  field: string,
  what: string,
): Promise<void> {
  const [row] = await tx.select({ n: count() }).from(table).where(eq(column, claimId));
  if (row!.n >= max) throw conflict(`${field}: the claim already has ${max} ${what}, the most a claim can have`, field);
}

async function insertCitation(tx: Db, claimId: number, c: CitationInput, field: string): Promise<CitationRow> {
  const locator = orNull(c.locator);
  const [existing] = await tx
    .select({ id: citations.id })
    .from(citations)
    .where(
      and(
        eq(citations.claimId, claimId),
        eq(citations.sourceId, c.sourceId.id),
        eq(citations.stance, c.stance),
        sql`coalesce(${citations.locator}, '') = ${locator ?? ''}`,
      ),
    )
    .limit(1);
  if (existing) {
    const where = locator ? ` at "${locator}"` : '';
    throw conflict(`${field}: the claim already cites this source with stance ${c.stance}${where}`, field);
  }
  const [row] = await tx
    .insert(citations)
    .values({ claimId, sourceId: c.sourceId.id, stance: c.stance, locator, quote: orNull(c.quote), ...stamps() })
    .returning();
  return row!;
}

type Basis = { basis: 'STATED' | 'INFERRED'; basisNote: string | null; basisQuote: string | null };

/**
 * Records a claim with its about-links, citations and contradictions, all in the caller's
 * transaction. `contradicts` is stored both ways, and each contradicted claim records the change.
 */
export async function createClaim(tx: Db, raw: z.input<typeof CreateClaimInput>): Promise<ClaimRow> {
  const input = parseInput(CreateClaimInput, raw);
  const claimant = input.claimantId ? await findEntity(tx, input.claimantId, 'input.claimantId') : null;
  await findSource(tx, input.appearsInId, 'input.appearsInId');
  const about = await findEach(input.aboutIds, (ref, i) => findEntity(tx, ref, `input.aboutIds[${i}]`));
  await findEach(input.citations, (c, i) => findSource(tx, c.sourceId, `input.citations[${i}].sourceId`));
  const contradiction = async (ref: Parameters<typeof findClaim>[1], field: string, basis: Basis) => {
    const other = await findClaim(tx, ref, field);
    // Recorded before the cap is checked: on PostgreSQL the row's update holds back every other
    // write to that claim until this transaction ends, so no two writes both find room for one more.
    await touch(tx, claims, other.id);
    await refuseWhenFull(tx, claimContradictions, claimContradictions.claimId, other.id, MAX_ITEMS.claimContradicts, field, 'contradictions');
    return { other, basis };
  };
  const contradicted = [
    ...(await findEach(input.contradictions, (c, i) =>
      contradiction(c.claimId, `input.contradictions[${i}].claimId`, { basis: c.basis, basisNote: orNull(c.note), basisQuote: orNull(c.quote) }),
    )),
    ...(await findEach(input.contradictsIds, (ref, i) =>
      contradiction(ref, `input.contradictsIds[${i}]`, { basis: 'INFERRED', basisNote: NO_BASIS_NOTE, basisQuote: null }),
    )),
  ];
  const slug = await newSlug(tx, claims, input.slug, 'a claim', () => slugify(input.text, 60), 'claim');

  const [claim] = await tx
    .insert(claims)
    .values({
      slug,
      text: input.text,
      kind: input.kind,
      claimantId: claimant?.id ?? null,
      attribution: input.attribution ?? 'DIRECT',
      appearsInId: input.appearsInId.id,
      validFrom: orNull(input.validFrom),
      validTo: orNull(input.validTo),
      ...stamps(),
    })
    .returning();
  const id = claim!.id;
  await tx.insert(claimSubjects).values(about.map((entity) => ({ claimId: id, entityId: entity.id })));
  await findEach(input.citations, (c, i) => insertCitation(tx, id, c, `input.citations[${i}]`));
  for (const { other, basis } of contradicted) {
    await tx.insert(claimContradictions).values([
      { claimId: id, contradictsId: other.id, ...basis },
      { claimId: other.id, contradictsId: id, ...basis },
    ]);
  }
  // Read back only when citations were written: their triggers have set `support`.
  if (!input.citations?.length) return claim!;
  const [row] = await tx.select().from(claims).where(eq(claims.id, id)).limit(1);
  return row!;
}

/** Cites a source for a claim; the claim's `support` follows (a trigger derives it). */
export async function addCitation(tx: Db, raw: z.input<typeof AddCitationInput>): Promise<CitationRow> {
  const input = parseInput(AddCitationInput, raw);
  const claim = await findClaim(tx, input.claimId, 'input.claimId');
  await findSource(tx, input.sourceId, 'input.sourceId');
  // First, as in createClaim: the claim's row, updated, holds back concurrent writes to it until this one ends.
  await touch(tx, claims, claim.id);
  await refuseWhenFull(tx, citations, citations.claimId, claim.id, MAX_ITEMS.claimCitations, 'input.claimId', 'citations');
  return insertCitation(tx, claim.id, input, 'input.sourceId');
}

export async function removeCitation(tx: Db, raw: z.input<typeof RemoveCitationInput>): Promise<{ deletedId: string; claimId: number }> {
  const input = parseInput(RemoveCitationInput, raw);
  // Deleted and read in one statement: a concurrent removal of the same citation leaves nothing to return here.
  const [citation] = await tx.delete(citations).where(eq(citations.id, input.id.id)).returning({ id: citations.id, claimId: citations.claimId });
  if (!citation) throw notFound(`input.id: no Citation has the id "${input.id.globalId}"`, 'input.id');
  await touch(tx, claims, citation.claimId);
  return { deletedId: encodeGlobalID('Citation', citation.id), claimId: citation.claimId };
}
