import { z } from 'zod';
import { sources, type SourceRow } from '../../../schema/tables';
import type { Db } from '../../db';
import { conflict } from '../../errors';
import { apiShape, slugInput, SOURCE_FIELDS } from '../fields';
import { findEntity, inTransaction, orNull, parseInput } from './common';
import { freeSlug, slugify, slugTaken } from './slugs';

export const CreateSourceInput = z
  .object({ slug: slugInput('the title'), ...apiShape(SOURCE_FIELDS) })
  .meta({ description: 'A new source: a document claims appear in or are cited to.' });

export function createSource(db: Db, raw: z.input<typeof CreateSourceInput>): SourceRow {
  const input = parseInput(CreateSourceInput, raw);
  return inTransaction(db, () => {
    const publisher = input.publisherId ? findEntity(db, input.publisherId, 'input.publisherId') : null;
    if (input.slug && slugTaken(db, sources, input.slug)) {
      throw conflict(`input.slug: a source with the slug "${input.slug}" already exists`, 'input.slug');
    }
    return db
      .insert(sources)
      .values({
        slug: input.slug ?? freeSlug(db, sources, slugify(input.title), 'source'),
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
