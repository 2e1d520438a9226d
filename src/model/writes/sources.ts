import { z } from 'zod';
import { sources, type SourceRow } from '../../../schema/tables';
import type { Db } from '../../db';
import { apiShape, slugInput, SOURCE_FIELDS } from '../fields';
import { findEntity, orNull, parseInput, stamps } from './common';
import { newSlug, slugify } from './slugs';

export const CreateSourceInput = z
  .object({ slug: slugInput('the title'), ...apiShape(SOURCE_FIELDS) })
  .meta({ description: 'A new source: a document claims appear in or are cited to.' });

/** Runs inside the caller's transaction (src/db/engine.ts `transaction`), as every write here does. */
export async function createSource(tx: Db, raw: z.input<typeof CreateSourceInput>): Promise<SourceRow> {
  const input = parseInput(CreateSourceInput, raw);
  const publisher = input.publisherId ? await findEntity(tx, input.publisherId, 'input.publisherId') : null;
  const slug = await newSlug(tx, sources, input.slug, 'a source', () => slugify(input.title), 'source');
  const [row] = await tx
    .insert(sources)
    .values({
      slug,
      kind: input.kind,
      title: input.title,
      url: orNull(input.url),
      publisherId: publisher?.id ?? null,
      publishedOn: orNull(input.publishedOn),
      retrievedOn: orNull(input.retrievedOn),
      label: orNull(input.label),
      ...stamps(),
    })
    .returning();
  return row!;
}
