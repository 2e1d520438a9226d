import { z } from 'zod';
import { sources, type SourceRow } from '../../../schema/tables';
import type { Db } from '../../db';
import { apiShape, slugInput, SOURCE_FIELDS } from '../fields';
import { findEntity, inTransaction, orNull, parseInput } from './common';
import { newSlug, slugify } from './slugs';

export const CreateSourceInput = z
  .object({ slug: slugInput('the title'), ...apiShape(SOURCE_FIELDS) })
  .meta({ description: 'A new source: a document claims appear in or are cited to.' });

export function createSource(db: Db, raw: z.input<typeof CreateSourceInput>): SourceRow {
  const input = parseInput(CreateSourceInput, raw);
  return inTransaction(db, () => {
    const publisher = input.publisherId ? findEntity(db, input.publisherId, 'input.publisherId') : null;
    const slug = newSlug(db, sources, input.slug, 'a source', () => slugify(input.title), 'source');
    return db
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
      })
      .returning()
      .get();
  });
}
