import { type SQL, sql } from 'drizzle-orm';
import { WITHIN_DEADLINE } from '../db';
import { badInput } from '../domain/errors';
import { decodeGlobalID, rowIdOf } from '../domain/ids';
import { intervalEnd, isPartialDate } from '../domain/partial-date';
import { foldCase } from '../domain/text';
import { col, FILTER_TYPES, type FilterType, type ManyRelation, type OneRelation, type TypeSpec } from './filter-types';

/**
 * The filter, order and group language of every connection (`where`, `orderBy`, `groupBy`),
 * compiled to SQL: a filter becomes one condition on the row the connection pages, relation
 * filters become EXISTS and COUNT subqueries, so nothing is ever filtered in JavaScript.
 *
 * Logic is two-valued: a missing value (NULL) matches no comparison, `ne`/`notIn` keep rows whose
 * value is missing, and `not` turns every no into a yes.
 */

/** How big a filter may be. Each limit is named in the refusal with what to change. */
export const FILTER_LIMITS = {
  /** Operators in one filter, over every level (`{ kind: { in: [..] }, text: { contains } }` is 2). */
  conditions: 50,
  /** Levels of and/or/not and relation filters inside one another. */
  depth: 6,
  /** Relations followed inside one another (`citations.some.source.publisher` is 3). */
  hops: 3,
  /** Values in one `in`/`notIn` list. */
  inValues: 100,
  /** The longest text compared against. */
  textLength: 500,
} as const;

/** The most groups `groupBy` returns: the largest first. */
export const MAX_GROUPS = 100;

type Row = SQL;
type Filter = Record<string, unknown>;

interface Compile {
  conditions: number;
  aliases: number;
}


/**
 * Called for every row a filtered statement looks at, in the statement and in each of its
 * relation subqueries: it stops a statement whose request has run past its deadline (src/db).
 */
const WATCHED = sql.raw(`${WITHIN_DEADLINE}()`);

/**
 * Above every character a text can hold: `lower(x) < prefix || LAST_CODE_POINT` ends a prefix's
 * range. A parameter rather than SQLite's char(1114111), which PostgreSQL spells chr(); truth is
 * written TRUE/FALSE (not 1/0) for the same reason: the SQL is one text for both engines.
 */
const LAST_CODE_POINT = String.fromCodePoint(0x10ffff);

function alias(state: Compile): Row {
  return sql`${sql.identifier(`f${++state.aliases}`)}`;
}

const all = (parts: SQL[]): SQL | null =>
  parts.length === 0 ? null : parts.length === 1 ? parts[0]! : sql`(${sql.join(parts.map((p) => sql`(${p})`), sql` AND `)})`;

const list = (values: readonly unknown[]) => sql.join(values.map((v) => sql`${v}`), sql`, `);

function operatorEntries(value: unknown, path: string): [string, unknown][] {
  if (value === null || value === undefined) return [];
  if (typeof value !== 'object') throw badInput(`${path} takes an object of operators, e.g. { eq: … }`, path);
  return Object.entries(value as Filter).filter(([, v]) => v !== undefined && v !== null);
}

function countCondition(state: Compile, path: string) {
  if (++state.conditions > FILTER_LIMITS.conditions) {
    throw badInput(
      `${path}: a filter holds at most ${FILTER_LIMITS.conditions} conditions; split the question into several queries or use \`in\` instead of many \`or\`s`,
      path,
    );
  }
}

function checkList(values: unknown, path: string): unknown[] {
  const items = values as unknown[];
  if (items.length > FILTER_LIMITS.inValues) {
    throw badInput(`${path} lists ${items.length} values; it takes at most ${FILTER_LIMITS.inValues}: split the query`, path);
  }
  return items;
}

function checkText(value: unknown, path: string): string {
  const text = String(value);
  if (text.length > FILTER_LIMITS.textLength) {
    throw badInput(`${path} is ${text.length} characters long; compare against at most ${FILTER_LIMITS.textLength}`, path);
  }
  if (text.includes('\u0000')) throw badInput(`${path} contains a NUL character, which no stored text holds`, path);
  return text;
}

function checkDate(value: unknown, path: string): string {
  const text = String(value);
  if (!isPartialDate(text)) throw badInput(`${path}: "${text.slice(0, 40)}" is not a PartialDate: write "YYYY", "YYYY-MM" or "YYYY-MM-DD"`, path);
  return text;
}

const TIMESTAMP = /^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d{1,3})?)?)?Z?)?)?)?$/;
function checkTimestamp(value: unknown, path: string): string {
  const text = String(value);
  if (!TIMESTAMP.test(text)) throw badInput(`${path}: "${text.slice(0, 40)}" is not an ISO 8601 UTC timestamp such as "2026-11-28T14:21:08Z" (or a prefix of one, e.g. "2026-11")`, path);
  return text;
}

function rowIdOfValue(value: unknown, types: readonly string[], path: string): number {
  return rowIdOf(decodeGlobalID(String(value)), types, path);
}

/** `eq ne in notIn isNull` on one value, converted by `convert`; `isNull` only where a value can be missing. */
function equality(target: SQL, op: string, value: unknown, path: string, convert: (v: unknown, p: string) => unknown): SQL | null {
  switch (op) {
    case 'eq':
      return sql`${target} = ${convert(value, path)}`;
    case 'ne':
      // SQLite's `IS NOT value`, spelt as PostgreSQL reads it too (SQLite 3.39+ knows the words).
      return sql`${target} IS DISTINCT FROM ${convert(value, path)}`;
    case 'in': {
      const values = checkList(value, path).map((v, i) => convert(v, `${path}[${i}]`));
      return values.length ? sql`${target} IN (${list(values)})` : sql`FALSE`;
    }
    case 'notIn': {
      const values = checkList(value, path).map((v, i) => convert(v, `${path}[${i}]`));
      return values.length ? sql`(${target} IS NULL OR ${target} NOT IN (${list(values)}))` : sql`TRUE`;
    }
    case 'isNull':
      return value ? sql`${target} IS NULL` : sql`${target} IS NOT NULL`;
    default:
      return null;
  }
}

/**
 * A partial date names an interval ("2018" is all of 2018), and so does the value compared with:
 * `gte` starts within or after the value, `gt` starts after it ends, `lte` ends within or before
 * it, `lt` ends before it starts. In text: an interval runs from the date to the date + "~".
 */
function dateComparison(target: SQL, op: string, value: string): SQL | null {
  switch (op) {
    case 'gte':
      return sql`${target} >= ${value}`;
    case 'gt':
      return sql`${target} > ${intervalEnd(value)}`;
    case 'lte':
      return sql`${target} || '~' <= ${intervalEnd(value)}`;
    case 'lt':
      return sql`${target} || '~' < ${value}`;
    default:
      return null;
  }
}

const ORDERING: Record<string, string> = { lt: '<', lte: '<=', gt: '>', gte: '>=' };

/** The conditions of one scalar field's operators; `as` compares this expression instead of the row's column. */
function scalarCondition(spec: TypeSpec, name: string, row: Row, value: unknown, path: string, state: Compile, as?: 'id'): SQL[] {
  const field = spec.fields[name]!;
  if (field.kind === 'one' || field.kind === 'many' || field.kind === 'exists') throw new Error('not a scalar');
  const target = as ? row : col(row, field.column);
  const out: SQL[] = [];
  for (const [op, operand] of operatorEntries(value, path)) {
    const at = `${path}.${op}`;
    countCondition(state, at);
    let condition: SQL | null = null;
    switch (field.kind) {
      case 'id':
        condition = equality(target, op, operand, at, (v, p) => rowIdOfValue(v, field.types, p));
        break;
      case 'enum':
        condition = equality(target, op, operand, at, (v) => String(v));
        break;
      case 'text':
        condition = equality(target, op, operand, at, checkText);
        // The operand is folded here (foldCase), not by lower() in SQL: PostgreSQL's lower() of a
        // parameter folds all of Unicode, of a COLLATE "C" column ASCII only, as SQLite's does.
        if (op === 'contains') condition = sql`instr(lower(${target}), ${foldCase(checkText(operand, at))}) > 0`;
        // A range on lower(...) rather than LIKE, which an index on lower(name) serves. Its end is
        // joined in SQL, not in JS: given both ends as plain values, SQLite's planner (after ANALYZE)
        // takes that range for a kind's prefix and sorts every match, where it now reads the kind's
        // names in order (test/query-plans.test.ts).
        if (op === 'startsWith') {
          const prefix = foldCase(checkText(operand, at));
          condition = sql`lower(${target}) >= ${prefix} AND lower(${target}) < ${prefix} || ${LAST_CODE_POINT}`;
        }
        break;
      case 'date':
        condition = equality(target, op, operand, at, checkDate) ?? dateComparison(target, op, checkDate(operand, at));
        break;
      case 'timestamp':
        condition =
          op in ORDERING
            ? sql`${target} ${sql.raw(ORDERING[op]!)} ${checkTimestamp(operand, at)}`
            : equality(target, op, operand, at, checkTimestamp);
        break;
    }
    if (!condition) throw badInput(`${at}: ${field.kind} fields take no "${op}"`, at);
    out.push(condition);
  }
  return out;
}

interface Level {
  depth: number;
  hops: number;
}

function deeper(level: Level, path: string, hop = false): Level {
  const next = { depth: level.depth + 1, hops: level.hops + (hop ? 1 : 0) };
  if (next.depth > FILTER_LIMITS.depth) {
    throw badInput(`${path}: filters nest at most ${FILTER_LIMITS.depth} levels deep (and/or/not and relations); flatten the filter`, path);
  }
  if (next.hops > FILTER_LIMITS.hops) {
    throw badInput(`${path}: a filter follows at most ${FILTER_LIMITS.hops} relations inside one another; ask in two steps`, path);
  }
  return next;
}

function relatedRows(relation: ManyRelation, row: Row, state: Compile) {
  const target = alias(state);
  const link = alias(state);
  return { target, ...relation.join(row, target, link) };
}

function manyCondition(relation: ManyRelation, row: Row, value: unknown, path: string, state: Compile, level: Level): SQL[] {
  const out: SQL[] = [];
  for (const [op, operand] of operatorEntries(value, path)) {
    const at = `${path}.${op}`;
    const next = deeper(level, at, true);
    if (op === 'count') {
      out.push(countRelation(relation, row, operand as Filter, at, state, next));
      continue;
    }
    const { target, from, where } = relatedRows(relation, row, state);
    countCondition(state, at);
    const inner = compileLevel(relation.target, operand as Filter, target, at, state, next);
    if (op === 'some') out.push(sql`EXISTS (SELECT 1 FROM ${from} WHERE ${WATCHED} AND ${where}${inner ? sql` AND ${inner}` : sql``})`);
    else if (op === 'none') out.push(sql`NOT EXISTS (SELECT 1 FROM ${from} WHERE ${WATCHED} AND ${where}${inner ? sql` AND ${inner}` : sql``})`);
    else if (op === 'every') out.push(inner ? sql`NOT EXISTS (SELECT 1 FROM ${from} WHERE ${WATCHED} AND ${where} AND NOT coalesce(${inner}, FALSE))` : sql`TRUE`);
    else throw badInput(`${at}: a list relation takes some, none, every or count`, at);
  }
  return out;
}

/** `count: { where, distinct, gte: 2 }`: how many related rows (or distinct values of a group field) match. */
function countRelation(relation: ManyRelation, row: Row, count: Filter, path: string, state: Compile, level: Level): SQL {
  const { target, from, where } = relatedRows(relation, row, state);
  const inner = compileLevel(relation.target, (count.where ?? null) as Filter | null, target, `${path}.where`, state, level);
  const distinct = count.distinct ? FILTER_TYPES[relation.target].group[String(count.distinct)] : undefined;
  if (count.distinct && !distinct) throw badInput(`${path}.distinct: ${String(count.distinct)} is not a group field of ${relation.target}`, path);
  const counted = distinct ? sql`count(DISTINCT ${distinct.key(target)})` : sql`count(*)`;
  const subquery = sql`(SELECT ${counted} FROM ${from} WHERE ${WATCHED} AND ${where}${inner ? sql` AND ${inner}` : sql``})`;
  const comparisons: SQL[] = [];
  for (const op of ['eq', 'ne', 'lt', 'lte', 'gt', 'gte'] as const) {
    const n = count[op];
    if (n === undefined || n === null) continue;
    countCondition(state, `${path}.${op}`);
    if (!Number.isInteger(n) || (n as number) < 0) throw badInput(`${path}.${op} must be a whole number, 0 or more`, path);
    const operator = { eq: '=', ne: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' }[op];
    comparisons.push(sql`${subquery} ${sql.raw(operator)} ${n}`);
  }
  if (comparisons.length === 0) throw badInput(`${path} needs a comparison: eq, ne, lt, lte, gt or gte`, path);
  return all(comparisons)!;
}

/**
 * A to-one relation: the target row, found by its primary key from the row's column, matches. A
 * filter on the target's id alone compares the column itself, which its index serves.
 */
function oneCondition(field: OneRelation, row: Row, value: Filter, path: string, state: Compile, level: Level): SQL {
  const target = FILTER_TYPES[field.target];
  const own = col(row, field.column);
  const given = Object.entries(value).filter(([, v]) => v !== null && v !== undefined);
  if (given.length === 1 && given[0]![0] === 'id' && !target.only) {
    return all(scalarCondition(target, 'id', own, given[0]![1], `${path}.id`, state, 'id')) ?? sql`${own} IS NOT NULL`;
  }
  const other = alias(state);
  const inner = compileLevel(field.target, value, other, path, state, deeper(level, path, true));
  const conditions = all([...(inner ? [inner] : []), ...(target.only ? [target.only(other)] : [])]);
  if (!conditions) return sql`${own} IS NOT NULL`;
  return sql`EXISTS (SELECT 1 FROM ${sql.identifier(target.table)} ${other} WHERE ${other}.id = ${own} AND ${WATCHED} AND ${conditions})`;
}

function compileLevel(type: FilterType, filter: Filter | null | undefined, row: Row, path: string, state: Compile, level: Level): SQL | null {
  if (filter === null || filter === undefined) return null;
  const spec = FILTER_TYPES[type];
  const parts: SQL[] = [];
  for (const [name, value] of Object.entries(filter)) {
    if (value === undefined || value === null) continue;
    const at = `${path}.${name}`;
    if (name === 'and' || name === 'or') {
      const next = deeper(level, at);
      const items = (value as Filter[]).map((f, i) => compileLevel(type, f, row, `${at}[${i}]`, state, next));
      if (name === 'and') {
        const joined = all(items.filter((c): c is SQL => c !== null));
        if (joined) parts.push(joined);
      } else if (items.length === 0) parts.push(sql`FALSE`);
      else if (!items.includes(null)) parts.push(sql`(${sql.join(items.map((c) => sql`(${c})`), sql` OR `)})`);
      continue;
    }
    if (name === 'not') {
      const inner = compileLevel(type, value as Filter, row, at, state, deeper(level, at));
      parts.push(inner ? sql`NOT coalesce(${inner}, FALSE)` : sql`FALSE`);
      continue;
    }
    const field = spec.fields[name];
    if (!field) throw badInput(`${at}: ${type} has no field "${name}" to filter on`, at);
    if (field.kind === 'many') parts.push(...manyCondition(field, row, value, at, state, level));
    else if (field.kind === 'one') {
      countCondition(state, at);
      parts.push(oneCondition(field, row, value as Filter, at, state, level));
    } else if (field.kind === 'exists') {
      countCondition(state, at);
      parts.push(value ? sql`${col(row, field.column)} IS NOT NULL` : sql`${col(row, field.column)} IS NULL`);
    } else parts.push(...scalarCondition(spec, name, row, value, at, state));
  }
  return all(parts);
}

/**
 * The SQL condition a `where` of `type` puts on `row` (the alias of the row being paged), or null
 * for no condition. Refuses, with BAD_USER_INPUT naming the place, a filter over its limits.
 */
export function compileWhere(type: FilterType, where: Filter | null | undefined, row: Row): SQL | null {
  const condition = compileLevel(type, where, row, 'where', { conditions: 0, aliases: 0 }, { depth: 0, hops: 0 });
  return condition ? sql`(${WATCHED} AND ${condition})` : null;
}

/**
 * The types a `where` reads besides the paged one: a cached answer filtered by it depends on all
 * their rows (see src/cache). Returned as FILTER_TYPES names.
 */
export function typesRead(type: FilterType, where: Filter | null | undefined, found = new Set<FilterType>()): Set<FilterType> {
  found.add(FILTER_TYPES[type].tag === 'Entity' ? 'Entity' : type);
  if (!where || typeof where !== 'object') return found;
  for (const [name, value] of Object.entries(where)) {
    if (value === null || value === undefined) continue;
    if (name === 'and' || name === 'or') for (const f of value as Filter[]) typesRead(type, f, found);
    else if (name === 'not') typesRead(type, value as Filter, found);
    else {
      const field = FILTER_TYPES[type].fields[name];
      if (field?.kind === 'one') typesRead(field.target, value as Filter, found);
      if (field?.kind === 'many') {
        for (const [op, operand] of Object.entries(value as Filter)) {
          if (operand === null || operand === undefined) continue;
          typesRead(field.target, (op === 'count' ? (operand as Filter).where : operand) as Filter, found);
          // A list relation reads its link rows, which its target's tags cover.
          for (const linked of field.linkTags ?? []) found.add(linked);
        }
      }
    }
  }
  return found;
}

/** One ordering term: an expression on the row and a direction. */
export interface OrderTerm {
  key: string;
  expression: (row: Row) => SQL;
  direction: 'asc' | 'desc';
  /** Whether its values are text ("S:" in a cursor) or whole numbers ("N:"). */
  text: boolean;
}

/**
 * The terms of an `orderBy` list (values like VALID_FROM_ASC) on `type`. A missing value sorts
 * last in either direction; the caller adds the row id as the final tie-breaker.
 */
export function orderTerms(type: FilterType, orderBy: readonly string[]): OrderTerm[] {
  const spec = FILTER_TYPES[type];
  const seen = new Set<string>();
  return orderBy.map((value, i) => {
    const match = /^(.*)_(ASC|DESC)$/.exec(value);
    const order = match ? spec.order[match[1]!] : undefined;
    if (!match || !order) throw badInput(`orderBy[${i}]: ${type} cannot be ordered by ${value}`, 'orderBy');
    if (seen.has(match[1]!)) throw badInput(`orderBy[${i}]: ${match[1]} is already in the ordering`, 'orderBy');
    seen.add(match[1]!);
    const direction = match[2] === 'ASC' ? 'asc' : 'desc';
    const missing = direction === 'asc' ? '~' : '';
    return {
      key: `order${i}`,
      direction,
      text: order.text,
      expression: (row: Row) => (order.nullable ? sql`coalesce(${order.expression(row)}, ${missing})` : order.expression(row)),
    } satisfies OrderTerm;
  });
}

/**
 * What the cursors of a connection ordered by `orderBy` hold: a text ("S") or a whole number ("N")
 * per term, then the row id.
 */
export const cursorKinds = (type: FilterType, orderBy: readonly string[]): ('S' | 'N')[] => [
  ...orderTerms(type, orderBy).map((term) => (term.text ? 'S' : 'N') as 'S' | 'N'),
  'N',
];

/** The SQL of a group field's key on `row`: a value, or "Type:id" for a field naming an object. */
export function groupKey(type: FilterType, field: string, row: Row): SQL {
  const group = FILTER_TYPES[type].group[field];
  if (!group) throw badInput(`groupBy: ${type} has no group field ${field}`, 'field');
  return group.key(row);
}

export { FILTER_TYPES, type FilterType, readsColumns, rowKnownById } from './filter-types';
