import { allRows, type Db } from '../db';

import type { SearchKind } from '../../schema/enums';

/** A matched word in a field of a search result: `field`'s full value, sliced [start, end) in UTF-16 code units. */
export interface TextRange {
  field: string;
  start: number;
  end: number;
}

/** A result lists at most this many ranges, the first in its field. */
export const MAX_HIGHLIGHTS = 32;

/**
 * What FTS5's highlight() wraps each match in: control characters a text hardly holds. A text that
 * does hold one is not parsed (its highlight could not be told from its own characters): its
 * result lists no ranges.
 */
const OPEN = '\u0002';
const CLOSE = '\u0003';

/** The index's columns (migrations/sqlite/*_search), in the order snippet() weighs a tie, by what each holds for a kind. */
const COLUMNS = ['name', 'aliases', 'body'] as const;
type Column = (typeof COLUMNS)[number];
const FIELD_OF: Record<'ENTITY' | 'CLAIM' | 'SOURCE', Record<Column, string>> = {
  ENTITY: { name: 'name', aliases: 'aliases', body: 'description' },
  CLAIM: { name: 'name', aliases: 'aliases', body: 'text' },
  SOURCE: { name: 'title', aliases: 'aliases', body: 'label' },
};
/** The separator migrations/sqlite/*_search joins an entity's aliases with in its index row. */
const ALIAS_SEPARATOR = ' | ';
const ELLIPSIS = '…';

interface Marked {
  plain: string;
  ranges: { start: number; end: number }[];
}

/** The text highlight() returned, without its marks, and where they were; null when `text` is not what was marked. */
function unmark(marked: string, text: string): Marked | null {
  if (text.includes(OPEN) || text.includes(CLOSE)) return null;
  const ranges: Marked['ranges'] = [];
  let plain = '';
  let start = -1;
  for (const char of marked) {
    if (char === OPEN) start = plain.length;
    else if (char === CLOSE && start >= 0) {
      ranges.push({ start, end: plain.length });
      start = -1;
    } else plain += char;
  }
  return plain === text ? { plain, ranges } : null;
}

/** The text with the snippet's marks around the ranges, to find the snippet in. */
function withSnippetMarks({ plain, ranges }: Marked, open: string, close: string): string {
  let out = '';
  let at = 0;
  for (const { start, end } of ranges) {
    out += plain.slice(at, start) + open + plain.slice(start, end) + close;
    at = end;
  }
  return out + plain.slice(at);
}

/**
 * The matched ranges of each row, in the field its snippet was taken from: snippet() picks the
 * column itself and does not say which, so it is the column whose text, marked the same way, holds
 * the snippet (without the ellipses it adds where it cuts); failing that, the first column with a
 * match. One FTS5 query for the page, with `match` (the query the snippets were made with); an
 * entity whose match is in its aliases reads them in order, to say which alias (`aliases.N`).
 */
export function highlightsOf(
  db: Db,
  match: string,
  rows: { rowid: number; kind: SearchKind; snippet: string }[],
  snippetMarks: { open: string; close: string },
): Map<number, TextRange[]> {
  const result = new Map<number, TextRange[]>();
  if (rows.length === 0) return result;
  const rowids = rows.map((r) => String(Math.trunc(r.rowid))).join(', ');
  const marked = allRows<{ rowid: number } & Record<Column | `h_${Column}`, string>>(
    db,
    `SELECT rowid AS rowid, name, aliases, body,
       highlight(search_index, 2, ?, ?) AS h_name, highlight(search_index, 3, ?, ?) AS h_aliases, highlight(search_index, 4, ?, ?) AS h_body
     FROM search_index WHERE search_index MATCH ? AND rowid IN (${rowids})`,
    [OPEN, CLOSE, OPEN, CLOSE, OPEN, CLOSE, match],
  );
  const byRowid = new Map(marked.map((m) => [m.rowid, m]));
  const chosen: { rowid: number; class: keyof typeof FIELD_OF; column: Column; marked: Marked }[] = [];
  for (const row of rows) {
    const found = byRowid.get(row.rowid);
    if (!found) continue;
    const columns = COLUMNS.flatMap((column) => {
      const m = unmark(found[`h_${column}`] ?? '', found[column] ?? '');
      return m && m.ranges.length > 0 ? [{ column, marked: m }] : [];
    });
    let core = row.snippet;
    if (core.startsWith(ELLIPSIS)) core = core.slice(ELLIPSIS.length);
    if (core.endsWith(ELLIPSIS)) core = core.slice(0, -ELLIPSIS.length);
    const pick = columns.find((c) => core.length > 0 && withSnippetMarks(c.marked, snippetMarks.open, snippetMarks.close).includes(core)) ?? columns[0];
    if (!pick) continue;
    const rowClass = row.kind === 'CLAIM' ? 'CLAIM' : row.kind === 'SOURCE' ? 'SOURCE' : 'ENTITY';
    chosen.push({ rowid: row.rowid, class: rowClass, ...pick });
  }
  const aliasesOf = aliasLists(
    db,
    chosen.filter((c) => c.column === 'aliases' && c.class === 'ENTITY').map((c) => Math.floor(c.rowid / 4)),
  );
  for (const c of chosen) {
    const ranges =
      c.column === 'aliases'
        ? aliasRanges(c.marked, aliasesOf.get(Math.floor(c.rowid / 4)) ?? [])
        : c.marked.ranges.map((r) => ({ field: FIELD_OF[c.class][c.column], ...r }));
    result.set(c.rowid, ranges.slice(0, MAX_HIGHLIGHTS));
  }
  return result;
}

/** Each entity's aliases, in their order (Entity.aliases'). */
function aliasLists(db: Db, entityIds: number[]): Map<number, string[]> {
  const lists = new Map<number, string[]>();
  if (entityIds.length === 0) return lists;
  const rows = allRows<{ entityId: number; alias: string }>(
    db,
    'SELECT entity_id AS entityId, alias FROM entity_aliases WHERE entity_id IN (SELECT value FROM json_each(?)) ORDER BY entity_id, position',
    [JSON.stringify(entityIds)],
  );
  for (const { entityId, alias } of rows) {
    const list = lists.get(entityId);
    if (list) list.push(alias);
    else lists.set(entityId, [alias]);
  }
  return lists;
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
