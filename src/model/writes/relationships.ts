import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { relationshipClaims, relationships, type RelationshipRow } from '../../../schema/tables';
import type { Db } from '../../db';
import { conflict } from '../../domain/errors';
import { apiShape, basisIssues, inOrder, RELATIONSHIP_FIELDS, relationshipBasis, slugInput } from '../fields';
import { badField, findClaim, findEach, findEntity, orNull, parseInput, stamps } from './common';
import { newSlug, slugify } from './slugs';

export const CreateRelationshipInput = z
  .object({ slug: slugInput("the subject's slug, the predicate and the object's slug"), ...apiShape(RELATIONSHIP_FIELDS) })
  .superRefine((input, ctx) => {
    inOrder('validFrom', 'validTo')(input, ctx);
    basisIssues(input.basis, input.basisNote, input.claimIds?.length ?? 0, { note: 'basisNote', claims: 'claimIds' }, ctx);
  })
  .meta({ description: 'A new link between two different entities: subject -predicate-> object.' });

/** "co_founded" → "co founded": the wording when none is given. */
export const labelOf = (key: string) => key.replaceAll('_', ' ');

/** `column` equals `value`, NULL equal to NULL (SQLite's `IS`, PostgreSQL's `IS NOT DISTINCT FROM`: both read this). */
const same = (column: typeof relationships.validFrom, value: string | null) =>
  value === null ? sql`${column} IS NULL` : eq(column, value);

/**
 * Links two different entities. The same link (subject, predicate, object and validity) may be
 * recorded once; a second is a CONFLICT. The adjacency list follows by trigger.
 */
export async function createRelationship(tx: Db, raw: z.input<typeof CreateRelationshipInput>): Promise<RelationshipRow> {
  const input = parseInput(CreateRelationshipInput, raw);
  const subject = await findEntity(tx, input.subjectId, 'input.subjectId');
  const object = await findEntity(tx, input.objectId, 'input.objectId');
  if (subject.id === object.id) throw badField('input.objectId', 'a relationship links two different entities');
  const claimsOf = await findEach(input.claimIds, (ref, i) => findClaim(tx, ref, `input.claimIds[${i}]`));
  const validFrom = orNull(input.validFrom);
  const validTo = orNull(input.validTo);
  const [existing] = await tx
    .select({ slug: relationships.slug })
    .from(relationships)
    .where(
      and(
        eq(relationships.subjectId, subject.id),
        eq(relationships.predicate, input.predicate),
        eq(relationships.objectId, object.id),
        same(relationships.validFrom, validFrom),
        same(relationships.validTo, validTo),
      ),
    )
    .limit(1);
  if (existing) {
    throw conflict(
      `input: "${subject.name}" ${input.predicate} "${object.name}" is already recorded with the same validity (relationship "${existing.slug}")`,
      'input',
    );
  }
  const base = () => slugify(`${subject.slug}-${input.predicate}-${object.slug}`, 180);
  const slug = await newSlug(tx, relationships, input.slug, 'a relationship', base, 'relationship');
  const [relationship] = await tx
    .insert(relationships)
    .values({
      slug,
      subjectId: subject.id,
      predicate: input.predicate,
      label: input.label ?? labelOf(input.predicate),
      objectId: object.id,
      validFrom,
      validTo,
      ...relationshipBasis(input.basis, input.basisNote, claimsOf.length),
      ...stamps(),
    })
    .returning();
  for (const claim of claimsOf) await tx.insert(relationshipClaims).values({ relationshipId: relationship!.id, claimId: claim.id });
  return relationship!;
}
