import { HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN, type IndexedHit, refIdOf, SEARCH_COLUMNS, type SearchColumn, type SearchIndex, SNIPPET_CLOSE, SNIPPET_ELLIPSIS, SNIPPET_OPEN } from '../db/search';

/** A matched word in a field of a search result: `field`'s full value, sliced [start, end) in UTF-16 code units. */
export interface TextRange {
  field: string;
  start: number;
  end: number;
}

/** A result lists at most this many ranges, the first in its field. */
export const MAX_HIGHLIGHTS = 32;

/**
 * What each indexed column holds for a kind of document (migrations/sqlite/*_search). A text that holds
 * HIGHLIGHT_OPEN or HIGHLIGHT_CLOSE itself is not parsed (its highlight could not be told from its
 * own characters): its result lists no ranges.
 */
const FIELD_OF: Record<'ENTITY' | 'CLAIM' | 'SOURCE', Record<SearchColumn, string>> = {
  ENTITY: { name: 'name', aliases: 'aliases', body: 'description' },
  CLAIM: { name: 'name', aliases: 'aliases', body: 'text' },
  SOURCE: { name: 'title', aliases: 'aliases', body: 'label' },
};
/** The separator migrations/sqlite/*_search joins an entity's aliases with in its index row. */
const ALIAS_SEPARATOR = ' | ';

interface Marked {
  plain: string;
  ranges: { start: number; end: number }[];
}

/** The text highlight() returned, without its marks, and where they were; null when `text` is not what was marked. */
function unmark(marked: string, text: string): Marked | null {
  if (text.includes(HIGHLIGHT_OPEN) || text.includes(HIGHLIGHT_CLOSE)) return null;
  const ranges: Marked['ranges'] = [];
  let plain = '';
  let start = -1;
  for (const char of marked) {
    if (char === HIGHLIGHT_OPEN) start = plain.length;
    else if (char === HIGHLIGHT_CLOSE && start >= 0) {
      ranges.push({ start, end: plain.length });
      start = -1;
    } else plain += char;
  }
  return plain === text ? { plain, ranges } : null;
}

/** The text with the snippet's marks around the ranges, to find the snippet in. */
function withSnippetMarks({ plain, ranges }: Marked): string {
  let out = '';
  let at = 0;
  for (const { start, end } of ranges) {
    out += plain.slice(at, start) + SNIPPET_OPEN + plain.slice(start, end) + SNIPPET_CLOSE;
    at = end;
  }
  return out + plain.slice(at);
}

/**
 * The matched ranges of each hit, in the field its snippet was taken from: snippet() picks the
 * column itself and does not say which, so it is the column whose text, marked the same way, holds
 * the snippet (without the ellipses it adds where it cuts); failing that, the first column with a
 * match. The index marks the columns (IndexedHit.marked); an entity whose match is in its aliases
 * reads them in order, to say which alias (`aliases.N`).
 */
export async function highlightsOf(index: SearchIndex, hits: IndexedHit[]): Promise<Map<number, TextRange[]>> {
  const result = new Map<number, TextRange[]>();
  const chosen: { rowid: number; class: keyof typeof FIELD_OF; column: SearchColumn; marked: Marked }[] = [];
  for (const hit of hits) {
    const found = hit.marked;
    if (!found) continue;
    const columns = SEARCH_COLUMNS.flatMap((column) => {
      const m = unmark(found[`h_${column}`] ?? '', found[column] ?? '');
      return m && m.ranges.length > 0 ? [{ column, marked: m }] : [];
    });
    let core = hit.snippet;
    if (core.startsWith(SNIPPET_ELLIPSIS)) core = core.slice(SNIPPET_ELLIPSIS.length);
    if (core.endsWith(SNIPPET_ELLIPSIS)) core = core.slice(0, -SNIPPET_ELLIPSIS.length);
    const pick = columns.find((c) => core.length > 0 && withSnippetMarks(c.marked).includes(core)) ?? columns[0];
    if (!pick) continue;
    const rowClass = hit.kind === 'CLAIM' ? 'CLAIM' : hit.kind === 'SOURCE' ? 'SOURCE' : 'ENTITY';
    chosen.push({ rowid: hit.rowid, class: rowClass, ...pick });
  }
  const aliasEntities = chosen.filter((c) => c.column === 'aliases' && c.class === 'ENTITY').map((c) => refIdOf(c.rowid));
  const aliasesOf = aliasEntities.length > 0 ? await index.aliases(aliasEntities) : new Map<number, string[]>();
  for (const c of chosen) {
    const ranges =
      c.column === 'aliases'
        ? aliasRanges(c.marked, aliasesOf.get(refIdOf(c.rowid)) ?? [])
        : c.marked.ranges.map((r) => ({ field: FIELD_OF[c.class][c.column], ...r }));
    result.set(c.rowid, ranges.slice(0, MAX_HIGHLIGHTS));
  }
  return result;
}

/**
 * The ranges of the aliases column, which joins the aliases in no set order, as ranges in the
 * aliases they fall in (`aliases.N`, N their place in Entity.aliases). A range in an alias that
 * cannot be told apart (one holding the separator) is left out.
 */
function aliasRanges({ plain, ranges }: Marked, aliases: string[]): TextRange[] {
  const used = new Set<number>();
  const segments: { start: number; index: number }[] = [];
  let at = 0;
  for (const part of plain.split(ALIAS_SEPARATOR)) {
    const index = aliases.findIndex((a, i) => a === part && !used.has(i));
    if (index >= 0) {
      used.add(index);
      segments.push({ start: at, index });
    } else segments.push({ start: at, index: -1 });
    at += part.length + ALIAS_SEPARATOR.length;
  }
  return ranges.flatMap(({ start, end }) => {
    const segment = segments.findLast((s) => s.start <= start);
    if (!segment || segment.index < 0) return [];
    const length = aliases[segment.index]!.length;
    const from = start - segment.start;
    const to = end - segment.start;
    return to <= length ? [{ field: `aliases.${segment.index}`, start: from, end: to }] : [];
  });
}
