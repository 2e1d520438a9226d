import { z } from 'zod';
import { SOURCE_KINDS } from '../../../schema/enums';
import { sources, type SourceRow } from '../../../schema/tables';
import type { Db } from '../../db';
import { conflict } from '../../domain/errors';
import { MAX_LENGTH, partialDate, slug, text, url } from '../import-format';
import { entityRef, findEntity, inTransaction, orNull, parseInput } from './common';
import { freeSlug, slugify, slugTaken } from './slugs';

export const CreateSourceInput = z.object({
  kind: z.enum(SOURCE_KINDS),
  slug: slug.nullish(),
  title: text(MAX_LENGTH.title),
  url: url.nullish(),
  publisherId: entityRef.nullish(),
  publishedOn: partialDate.nullish(),
  retrievedOn: partialDate.nullish(),
  label: text(MAX_LENGTH.label).nullish(),
});

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
