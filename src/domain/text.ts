/**
 * How names and texts compare "ignoring case" (`entity(name:)`, `entities(nameContains:)`,
 * StringFilter's `contains` and `startsWith`, repeated aliases), on either engine: only the ASCII letters
 * A–Z fold to a–z; every other character, É and ß included, must be written as stored. It is what
 * SQLite's built-in lower() does, and so what its indexes on lower(name) and lower(alias) hold,
 * which PostgreSQL's lower() of a `COLLATE "C"` column holds too. Folding more would need another
 * lower() on SQLite, and its indexes rebuilt with it, in every process that ever writes the file.
 * `search` folds case and accents for a person who does not know the spelling.
 */
/** The case foldCase ignores, in the words every description of such a comparison uses. */
export const FOLDED_CASE = 'the case of ASCII letters (A-Z)';

export function foldCase(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}
