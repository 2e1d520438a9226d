import { and, count, eq, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { z } from 'zod';
import { citations, claimContradictions, claims, claimSubjects, type CitationRow, type ClaimRow } from '../../../schema/tables';
import type { Db } from '../../db';
import { conflict, notFound } from '../../domain/errors';
import { encodeGlobalID } from '../../domain/ids';
import { apiShape, CITATION_FIELDS, CLAIM_FIELDS, contradictionIssues, inOrder, NO_BASIS_NOTE, slugInput } from '../fields';
import {
  citationRef,
  claimRef,
  findClaim,
  findEntity,
  findSource,
  inTransaction,
  orNull,
  parseInput,
  touch,
} from './common';
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
function refuseWhenFull(db: Db, table: typeof citations | typeof claimContradictions, column: SQLiteColumn, claimId: number, max: number, field: string, what: string) {
  if (db.select({ n: count() }).from(table).where(eq(column, claimId)).get()!.n >= max) {
    throw conflict(`${field}: the claim already has ${max} ${what}, the most a claim can have`, field);
  }
}

function insertCitation(db: Db, claimId: number, c: CitationInput, field: string): CitationRow {
  const locator = orNull(c.locator);
  const existing = db
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
    .get();
  if (existing) {
    const where = locator ? ` at "${locator}"` : '';
    throw conflict(`${field}: the claim already cites this source with stance ${c.stance}${where}`, field);
  }
  return db
    .insert(citations)
    .values({ claimId, sourceId: c.sourceId.id, stance: c.stance, locator, quote: orNull(c.quote) })
    .returning()
    .get();
}

/**
 * Records a claim with its about-links, citations and contradictions, all in one transaction.
 * `contradicts` is stored both ways, and each contradicted claim records the change.
 */
export function createClaim(db: Db, raw: z.input<typeof CreateClaimInput>): ClaimRow {
  const input = parseInput(CreateClaimInput, raw);
  return inTransaction(db, () => {
    const claimant = input.claimantId ? findEntity(db, input.claimantId, 'input.claimantId') : null;
    findSource(db, input.appearsInId, 'input.appearsInId');
    const about = input.aboutIds.map((ref, i) => findEntity(db, ref, `input.aboutIds[${i}]`));
    input.citations?.forEach((c, i) => findSource(db, c.sourceId, `input.citations[${i}].sourceId`));
    const contradiction = (ref: Parameters<typeof findClaim>[1], field: string, basis: { basis: 'STATED' | 'INFERRED'; basisNote: string | null; basisQuote: string | null }) => {
      const other = findClaim(db, ref, field);
      refuseWhenFull(db, claimContradictions, claimContradictions.claimId, other.id, MAX_ITEMS.claimContradicts, field, 'contradictions');
      return { other, basis };
    };
    const contradicted = [
      ...(input.contradictions ?? []).map((c, i) =>
        contradiction(c.claimId, `input.contradictions[${i}].claimId`, { basis: c.basis, basisNote: orNull(c.note), basisQuote: orNull(c.quote) }),
      ),
      ...(input.contradictsIds ?? []).map((ref, i) =>
        contradiction(ref, `input.contradictsIds[${i}]`, { basis: 'INFERRED', basisNote: NO_BASIS_NOTE, basisQuote: null }),
      ),
    ];
    const slug = newSlug(db, claims, input.slug, 'a claim', () => slugify(input.text, 60), 'claim');

    const claim = db
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
      })
      .returning()
      .get();
    for (const entity of about) db.insert(claimSubjects).values({ claimId: claim.id, entityId: entity.id }).run();
    input.citations?.forEach((c, i) => insertCitation(db, claim.id, c, `input.citations[${i}]`));
    for (const { other, basis } of contradicted) {
      db.insert(claimContradictions)
        .values([
          { claimId: claim.id, contradictsId: other.id, ...basis },
          { claimId: other.id, contradictsId: claim.id, ...basis },
        ])
        .run();
      touch(db, claims, other.id);
    }
    // Read back: the citations' triggers have set `support`.
    return db.select().from(claims).where(eq(claims.id, claim.id)).get()!;
  });
}

/** Cites a source for a claim; the claim's `support` follows (a trigger derives it). */
export function addCitation(db: Db, raw: z.input<typeof AddCitationInput>): CitationRow {
  const input = parseInput(AddCitationInput, raw);
  return inTransaction(db, () => {
    const claim = findClaim(db, input.claimId, 'input.claimId');
    findSource(db, input.sourceId, 'input.sourceId');
    refuseWhenFull(db, citations, citations.claimId, claim.id, MAX_ITEMS.claimCitations, 'input.claimId', 'citations');
    const citation = insertCitation(db, claim.id, input, 'input.sourceId');
    touch(db, claims, claim.id);
    return citation;
  });
}

export function removeCitation(db: Db, raw: z.input<typeof RemoveCitationInput>): { deletedId: string; claimId: number } {
  const input = parseInput(RemoveCitationInput, raw);
  return inTransaction(db, () => {
    const citation = db.select({ id: citations.id, claimId: citations.claimId }).from(citations).where(eq(citations.id, input.id.id)).get();
    if (!citation) throw notFound(`input.id: no Citation has the id "${input.id.globalId}"`, 'input.id');
    db.delete(citations).where(eq(citations.id, citation.id)).run();
    touch(db, claims, citation.claimId);
    return { deletedId: encodeGlobalID('Citation', citation.id), claimId: citation.claimId };
  });
}
