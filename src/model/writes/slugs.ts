import { sql } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
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

/**
 * The first of `base`, `base-2`, `base-3`, … that no row of `table` has. `fallback` stands in
 * for a base that slugifies to nothing (a name in a script without Latin letters).
 */
export function freeSlug(db: Db, table: SQLiteTable, base: string, fallback: string): string {
  const root = base || fallback;
  // One query for the root and every numbered variant (slugs hold no GLOB metacharacters).
  const rows = db.all<{ slug: string }>(sql`SELECT slug FROM ${table} WHERE slug = ${root} OR slug GLOB ${`${root}-[0-9]*`}`);
  const taken = new Set(rows.map((r) => r.slug));
  if (!taken.has(root)) return root;
  for (let n = 2; ; n++) if (!taken.has(`${root}-${n}`)) return `${root}-${n}`;
}

function slugTaken(db: Db, table: SQLiteTable, slug: string): boolean {
  return db.get<{ n: number }>(sql`SELECT count(*) AS n FROM ${table} WHERE slug = ${slug}`)!.n > 0;
}

/**
 * The slug of a new row of `table`: the one the input gives (CONFLICT when taken; `what` names
 * the row, "an entity"), or else the first free one from `base` (see freeSlug).
 */
export function newSlug(db: Db, table: SQLiteTable, given: string | null | undefined, what: string, base: () => string, fallback: string): string {
  if (given == null) return freeSlug(db, table, base(), fallback);
  if (slugTaken(db, table, given)) throw conflict(`input.slug: ${what} with the slug "${given}" already exists`, 'input.slug');
  return given;
}
