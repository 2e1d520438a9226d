import { sql } from 'drizzle-orm';
import type { claims, entities, relationships, sources } from '../../../schema/tables';
import type { Db } from '../../db';
import { conflict } from '../../domain/errors';

/**
 * A slug from free text: "Minh's employer (unnamed tech firm)" → "minhs-employer-unnamed-tech-firm".
 * Accents are dropped, apostrophes vanish, anything else that is not a letter or digit becomes a
 * hyphen; a long result is cut at a word boundary.
 */
export function slugify(text: string, maxLength = 80): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’`]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug.length <= maxLength) return slug;
  const cut = slug.slice(0, maxLength + 1);
  const boundary = cut.lastIndexOf('-');
  return (boundary >= maxLength / 2 ? cut.slice(0, boundary) : slug.slice(0, maxLength)).replace(/-+$/, '');
}

/** A table whose rows have a unique slug. */
type SluggedTable = typeof entities | typeof sources | typeof claims | typeof relationships;

/**
 * The first of `base`, `base-2`, `base-3`, … that no row of `table` has. `fallback` stands in
 * for a base that slugifies to nothing (a name in a script without Latin letters).
 */
export async function freeSlug(tx: Db, table: SluggedTable, base: string, fallback: string): Promise<string> {
  const root = base || fallback;
  // One query for the root and every numbered variant: the slugs from "root-0" up to, not
  // including, "root-:" (':' follows '9') are those starting "root-" and a digit, in the byte
  // order both engines compare slugs in (SQLite's BINARY, PostgreSQL's COLLATE "C").
  const rows: { slug: string }[] = await tx
    .select({ slug: sql<string>`slug` })
    .from(table)
    .where(sql`slug = ${root} OR (slug >= ${`${root}-0`} AND slug < ${`${root}-:`})`);
  const taken = new Set(rows.map((r) => r.slug));
  if (!taken.has(root)) return root;
  for (let n = 2; ; n++) if (!taken.has(`${root}-${n}`)) return `${root}-${n}`;
}

async function slugTaken(tx: Db, table: SluggedTable, slug: string): Promise<boolean> {
  const rows: unknown[] = await tx.select({ one: sql`1` }).from(table).where(sql`slug = ${slug}`).limit(1);
  return rows.length > 0;
}

/**
 * The slug of a new row of `table`: the one the input gives (CONFLICT when taken; `what` names
 * the row, "an entity"), or else the first free one from `base` (see freeSlug).
 */
export async function newSlug(tx: Db, table: SluggedTable, given: string | null | undefined, what: string, base: () => string, fallback: string): Promise<string> {
  if (given == null) return freeSlug(tx, table, base(), fallback);
  if (await slugTaken(tx, table, given)) throw conflict(`input.slug: ${what} with the slug "${given}" already exists`, 'input.slug');
  return given;
}
