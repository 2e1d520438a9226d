import {
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  getArgumentValues,
  getVariableValues,
  type GraphQLError,
  type GraphQLField,
  isNonNullType,
  locatedError,
} from 'graphql';
import { type CacheContext, dependsOnRange } from '../../cache';
import { currentDeadline } from '../../deadline';
import type { Db } from '../../db';
import { decodeGlobalID, ENTITY_TYPE_BY_KIND, encodeGlobalID } from '../../domain/ids';
import { MAX_ITEMS } from '../../model/list-caps';
import { DEFAULT_PAGE_SIZE, MAX_NODE_IDS, MAX_PAGE_SIZE } from '../connection-limits';
import { type FieldPlan, type ObjectPlan, type PagePlan, type Plan, planOf, type Row, SQL_TABLE, TABLE_OF, type TableKey, Unplannable } from './plan';
import { type Reader, readerOf } from './reader';
import { type NodeInput, statementOf } from './statement';

/** Running a compiled read's plan (see ../compiled-reads.ts): one statement per field plan. */

const cursorOf = (value: unknown) => Buffer.from(`DC:N:${value}`).toString('base64');

/**
 * Promise.all, except when the request's deadline has stopped it: every statement of the request is
 * then being cancelled at once, and the failure waits for all of them to settle, so that none still
 * runs on the server once the answer has gone. Any other failure (a lost connection) answers at once.
 */
async function allOrFirstFailure<T extends readonly unknown[]>(work: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  try {
    return await Promise.all(work);
  } catch (error) {
    if (currentDeadline()?.stopped) await Promise.allSettled(work);
    throw error;
  }
}

/** The number in a cursor this API issued for a page by id, or Unplannable for any other (the executor then judges it). */
function cursorValue(cursor: string): number {
  const raw = Buffer.from(cursor, 'base64').toString('utf8');
  const match = /^DC:N:(0|[1-9][0-9]{0,8})$/.exec(raw);
  if (!match || cursorOf(match[1]) !== cursor) throw new Unplannable();
  return Number(match[1]);
}

interface Run {
  reader: Reader;
  variables: Record<string, unknown>;
  context: CacheContext;
  pageArgs: Map<PagePlan, PageArgs>;
}

function argumentsOf(run: Run, field: GraphQLField<unknown, unknown>, node: FieldNode): Record<string, unknown> {
  try {
    return getArgumentValues(field, node, run.variables);
  } catch {
    throw new Unplannable();
  }
}

/** Links to one row are read in their parent's statement (a LEFT JOIN) down to this many levels; deeper ones by a statement of their own. */
const JOIN_DEPTH = 3;

/**
 * The columns a statement reads for `plan`'s rows (from `alias`), with the rows its links to one
 * row name joined in (`joins`), and `decode`, which takes each joined row out of a result row.
 */
interface Selection {
  list: string;
  joins: string;
  /** The names of the columns read, in order (SQLite's per-parent statements name them). */
  names: string[];
  decode(row: Row): void;
  /** Notes the joined rows of `from` (a result row) for `to` (the row read at this level). */
  decodeFrom(from: Row, to: Row): void;
}

/** Where a row keeps the row a link to one row names, when its statement read that too (see Selection). */
const joinKeys = new WeakMap<FieldPlan, symbol>();
function joinKey(link: FieldPlan): symbol {
  let key = joinKeys.get(link);
  if (!key) joinKeys.set(link, (key = Symbol('joined')));
  return key;
}

const selections = new WeakMap<ObjectPlan, Map<string, Selection>>();

/**
 * `plan`'s columns as read from `alias` (unless `own` is false: the statement reads them already),
 * and its links to one row joined in as `${joinAs}_0`, `${joinAs}_1`… (their columns named
 * `${joined}.${column}`), each joining its own in turn. Kept with the plan: the same for every request.
 */
function selection(plan: ObjectPlan, alias: string, joinAs = alias, own = true): Selection {
  let byAlias = selections.get(plan);
  if (!byAlias) selections.set(plan, (byAlias = new Map()));
  const key = `${alias} ${joinAs} ${own}`;
  let found = byAlias.get(key);
  if (!found) byAlias.set(key, (found = select(plan, alias, joinAs, own, 0)));
  return found;
}

function select(plan: ObjectPlan, alias: string, joinAs: string, own: boolean, depth: number): Selection {
  const prefix = depth === 0 ? '' : `${alias}.`;
  const names = own ? [...plan.columns].map((c) => `${prefix}${c}`) : [];
  const list = own ? [...plan.columns].map((c) => `${alias}."${c}" AS "${prefix}${c}"`) : [];
  const joins: string[] = [];
  /** Each link's row out of a result row (`from`), noted for the row read at this level (`to`). */
  const decoders: ((from: Row, to: Row) => void)[] = [];
  if (depth < JOIN_DEPTH) {
    const links = [...new Set([...plan.byType.values()].flat().filter((f): f is Extract<FieldPlan, { kind: 'one' }> => f.kind === 'one'))];
    links.forEach((link, i) => {
      const joined = `${joinAs}_${i}`;
      const inner = select(link.child, joined, joined, true, depth + 1);
      list.push(inner.list);
      names.push(...inner.names);
      joins.push(` LEFT JOIN "${SQL_TABLE[link.child.table]}" ${joined} ON ${joined}.id = ${alias}."${link.column}"${inner.joins}`);
      const columns = [...link.child.columns].map((c) => [c, `${joined}.${c}`] as const);
      const key = joinKey(link);
      const id = `${joined}.id`;
      decoders.push((from, to) => {
        let child: Row | null = null;
        if (from[id] !== null && from[id] !== undefined) {
          child = {};
          for (const [column, name] of columns) child[column] = from[name];
          inner.decodeFrom(from, child);
        }
        (to as Record<symbol, Row | null>)[key] = child;
      });
    });
  }
  const decodeFrom = (from: Row, to: Row) => {
    for (const decode of decoders) decode(from, to);
  };
  return { list: list.join(', '), joins: joins.join(''), names, decode: (row) => decodeFrom(row, row), decodeFrom };
}

async function loadRows(run: Run, plan: ObjectPlan, ids: readonly number[]): Promise<Map<number, Row>> {
  if (ids.length === 0) return new Map();
  const selected = selection(plan, 't');
  const found = await run.reader.byIds(SQL_TABLE[plan.table], selected.list, selected.joins, ids);
  found.forEach(selected.decode);
  return new Map(found.map((row) => [row.id as number, row]));
}

const typeOf = (plan: ObjectPlan, row: Row): string =>
  plan.table === 'entities' ? ENTITY_TYPE_BY_KIND[row.kind as keyof typeof ENTITY_TYPE_BY_KIND] : (plan.byType.keys().next().value as string);

/** The answer's objects for `rows`, with everything under them loaded: one statement per field plan. */
async function materialize(run: Run, plan: ObjectPlan, rows: readonly Row[]): Promise<Record<string, unknown>[]> {
  const users = new Map<FieldPlan, Row[]>();
  for (const row of rows) {
    for (const field of plan.byType.get(typeOf(plan, row)) ?? []) {
      if (field.kind === 'one' || field.kind === 'about' || field.kind === 'aliases' || field.kind === 'page') {
        const list = users.get(field);
        if (list) list.push(row);
        else users.set(field, [row]);
      }
    }
  }
  const loaded = new Map<FieldPlan, Map<number, unknown>>();
  await allOrFirstFailure([...users].map(async ([field, parents]) => loaded.set(field, await loadField(run, field, parents))));
  return rows.map((row) => {
    const type = typeOf(plan, row);
    const object: Record<string, unknown> = {};
    for (const field of plan.byType.get(type) ?? []) {
      switch (field.kind) {
        case 'typename':
          object[field.key] = type;
          break;
        case 'id':
          object[field.key] = encodeGlobalID(type, String(row.id));
          break;
        case 'leaf': {
          const value = row[field.column];
          const shown = value === null ? null : field.type.serialize(value);
          if (shown === undefined || (shown === null && !field.nullable)) throw new Unplannable();
          object[field.key] = shown;
          break;
        }
        case 'one': {
          const value = row[field.column] === null ? null : (loaded.get(field)!.get(row[field.column] as number) ?? null);
          if (value === null && !field.nullable) throw new Unplannable();
          object[field.key] = value;
          break;
        }
        default:
          object[field.key] = loaded.get(field)!.get(row.id as number) ?? [];
      }
    }
    return object;
  });
}

async function loadField(run: Run, field: FieldPlan, parents: readonly Row[]): Promise<Map<number, unknown>> {
  const { reader } = run;
  if (field.kind === 'one') {
    // Read with their parents (see selection): each distinct row once.
    const key = joinKey(field);
    const found = new Map<number, Row>();
    if (parents.every((p) => key in p)) {
      for (const parent of parents) {
        const row = (parent as Record<symbol, Row | null>)[key];
        if (row) found.set(row.id as number, row);
      }
    } else {
      const ids = [...new Set(parents.map((p) => p[field.column]).filter((id): id is number => id !== null))];
      for (const [id, row] of await loadRows(run, field.child, ids)) found.set(id, row);
    }
    const shown = await materialize(run, field.child, [...found.values()]);
    return new Map([...found.keys()].map((id, i) => [id, shown[i]]));
  }
  const parentIds = [...new Set(parents.map((p) => p.id as number))];
  if (field.kind === 'aliases') {
    const found = await reader.perParent(
      parentIds,
      `SELECT a.alias AS alias FROM entity_aliases a WHERE a.entity_id = @parent ORDER BY a.position LIMIT ${MAX_ITEMS.entityAliases}`,
      [],
      null,
      ['alias'],
    );
    return groupBy(found, (row) => row.alias);
  }
  if (field.kind === 'about') {
    const selected = selection(field.child, 't');
    const found = await reader.perParent(
      parentIds,
      `SELECT ${selected.list} FROM claim_subjects s JOIN entities t ON t.id = s.entity_id${selected.joins} WHERE s.claim_id = @parent ORDER BY t.id LIMIT ${MAX_ITEMS.claimAbout}`,
      [],
      'id',
      selected.names,
    );
    found.forEach(selected.decode);
    const shown = await materialize(run, field.child, found);
    return groupBy(found.map((row, i) => ({ __parent: row.__parent, shown: shown[i] })), (row) => row.shown);
  }
  if (field.kind === 'page') return loadPages(run, field.page, parentIds);
  throw new Unplannable();
}

function groupBy(rows: readonly Row[], value: (row: Row) => unknown): Map<number, unknown[]> {
  const groups = new Map<number, unknown[]>();
  for (const row of rows) {
    const parent = row.__parent as number;
    const list = groups.get(parent);
    if (list) list.push(value(row));
    else groups.set(parent, [value(row)]);
  }
  return groups;
}

interface PageArgs {
  first: number;
  after: number | null;
  conditions: string[];
  params: unknown[];
}

/** A page's arguments as its statement takes them; Unplannable for any the plan does not take as they are. */
function pageArgsOf(run: Run, page: PagePlan): PageArgs {
  const args = argumentsOf(run, page.field, page.node);
  const conditions: string[] = [];
  const params: unknown[] = [];
  for (const [name, value] of Object.entries(args)) {
    if (name === 'first' || name === 'after') continue;
    const condition = page.paging.args[name];
    if (!condition) {
      if (value === null || value === undefined) continue;
      throw new Unplannable();
    }
    const made = condition(value);
    if (made) conditions.push(made.sql), params.push(...made.params);
  }
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (typeof first !== 'number' || !Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) throw new Unplannable();
  if (args.after !== undefined && args.after !== null && typeof args.after !== 'string') throw new Unplannable();
  return { first, after: typeof args.after === 'string' ? cursorValue(args.after) : null, conditions, params };
}

/** Pages for each parent (or the one root page, parent 0), as the drizzle plugin's connections answer them. */
async function loadPages(run: Run, page: PagePlan, parentIds: readonly number[]): Promise<Map<number, unknown>> {
  const { paging } = page;
  const { first, after, conditions, params } = run.pageArgs.get(page)!;
  const { reader } = run;
  const root = paging.parent === null;
  const own = [...(root ? [] : [`p.${paging.parent} = @parent`]), ...conditions];
  const pageConditions = [...own, ...(after !== null ? ['p.' + paging.order + ' > ?'] : [])];
  const pageParams = [...params, ...(after !== null ? [after] : []), first + 1];
  const node = paging.through ? 't' : 'p';
  const columns = new Set(page.children.flatMap((child) => [...child.columns]));
  // Each child plan's links to one row, joined under aliases of its own.
  const joined = page.children.map((child, i) => selection(child, node, `${node}${i}`, false));
  const join = paging.through ? ` JOIN "${SQL_TABLE[paging.table]}" t ON t.id = p.${paging.through}` : '';
  const pageColumns = ['__cursor', ...columns, ...joined.flatMap((j) => j.names)];
  const pageSql = `SELECT ${[`p.${paging.order} AS "__cursor"`, ...[...columns].map((c) => `${node}."${c}" AS "${c}"`), ...joined.filter((j) => j.list).map((j) => j.list)].join(', ')} FROM "${paging.paged}" p${join}${joined.map((j) => j.joins).join('')}${
    pageConditions.length ? ` WHERE ${pageConditions.join(' AND ')}` : ''
  } ORDER BY p.${paging.order} LIMIT ?`;
  // An unfiltered table counted as `SELECT count(*) FROM t`, which SQLite answers from its b-tree pages.
  const countSql = own.length ? `SELECT ${reader.count} AS "count" FROM "${paging.paged}" p WHERE ${own.join(' AND ')}` : `SELECT ${reader.count} FROM "${paging.paged}"`;
  const [pageRows, counts] = await allOrFirstFailure([
    !page.rows ? Promise.resolve([]) : root ? reader.rows(pageSql, pageParams) : reader.perParent(parentIds, pageSql, pageParams, '__cursor', pageColumns),
    !page.count ? Promise.resolve([]) : root ? reader.rows(countSql, params) : reader.perParent(parentIds, countSql, params, null, ['count']),
  ]);
  for (const row of pageRows) for (const child of joined) child.decode(row);
  const byParent = root ? new Map([[0, pageRows]]) : (groupBy(pageRows, (row) => row) as Map<number, Row[]>);
  const countOf = root ? new Map([[0, counts[0] && Object.values(counts[0])[0]]]) : new Map(counts.map((row) => [row.__parent as number, row.count]));
  if (paging.declares && page.rows) {
    const found = byParent.get(0) ?? [];
    dependsOnRange(run.context, paging.declares, after, found.length > first ? (found.at(-1)!.__cursor as number) : null);
  }
  if (paging.declares && page.count) dependsOnRange(run.context, paging.declares, null, null);
  // Every child plan materializes every page's rows (all parents at once): one statement per field below.
  const all = [...byParent.values()].flatMap((list) => list.slice(0, first));
  const shownBy = new Map<ObjectPlan, Map<Row, Record<string, unknown>>>();
  await allOrFirstFailure(
    page.children.map(async (child) => {
      const shown = await materialize(run, child, all);
      shownBy.set(child, new Map(all.map((row, i) => [row, shown[i]!])));
    }),
  );
  const answers = new Map<number, unknown>();
  for (const parent of root ? [0] : parentIds) {
    const found = byParent.get(parent) ?? [];
    const nodes = found.length > first ? found.slice(0, first) : found;
    const hasNextPage = found.length > first;
    const connection: Record<string, unknown> = {};
    for (const field of page.fields) {
      switch (field.kind) {
        case 'typename':
          connection[field.key] = field.typename;
          break;
        case 'totalCount': {
          const count = countOf.get(parent);
          connection[field.key] = typeof count === 'number' ? count : 0;
          break;
        }
        case 'nodes':
          connection[field.key] = nodes.map((row) => shownBy.get(field.child)!.get(row));
          break;
        case 'edges':
          connection[field.key] = nodes.map((row) => {
            const edge: Record<string, unknown> = {};
            for (const part of field.fields) {
              if (part.kind === 'typename') edge[part.key] = part.typename;
              else if (part.kind === 'cursor') edge[part.key] = cursorOf(row.__cursor);
              else edge[part.key] = shownBy.get(part.child)!.get(row);
            }
            return edge;
          });
          break;
        case 'pageInfo': {
          const info: Record<string, unknown> = {};
          for (const part of field.fields) {
            if (part.kind === 'typename') info[part.key] = 'PageInfo';
            else if (part.kind === 'hasNextPage') info[part.key] = hasNextPage;
            else if (part.kind === 'hasPreviousPage') info[part.key] = after !== null;
            else if (part.kind === 'startCursor') info[part.key] = nodes.length ? cursorOf(nodes[0]!.__cursor) : null;
            else info[part.key] = nodes.length ? cursorOf(nodes.at(-1)!.__cursor) : null;
          }
          connection[field.key] = info;
          break;
        }
      }
    }
    answers.set(parent, connection);
  }
  return answers;
}

/**
 * The answer of every root field. A root whose statement failed (the database lost, the deadline
 * passed) answers null with its error at its path, as the executor answers a failed root field
 * (whose nested rows the drizzle plugin reads in the root's statement); a non-null root failing
 * nulls the whole data. It is not run again through the executor: that would run the statement
 * that failed a second time.
 */
async function runPlan(plan: Plan, run: Run): Promise<ExecutionResult> {
  const settled = await Promise.allSettled(
    plan.roots.map(async (root) => {
      if (root.kind === 'typename') return 'Query';
      if (root.kind === 'page') return (await loadPages(run, root.page, [0])).get(0);
      const wanted = wantedOf(run, root);
      // One load per table, whatever the types asked: entities of every kind are materialized
      // together, so each field under them is one statement for all of them.
      const byTable = new Map<TableKey, number[]>();
      for (const { type, id } of wanted) byTable.set(TABLE_OF[type]!, [...(byTable.get(TABLE_OF[type]!) ?? []), id]);
      const shown = new Map<TableKey, Map<number, { type: string; object: unknown }>>();
      await allOrFirstFailure(
        [...byTable].map(async ([table, ids]) => {
          const child = root.children.get(table)!;
          const found = await loadRows(run, child, [...new Set(ids)]);
          const objects = await materialize(run, child, [...found.values()]);
          shown.set(table, new Map([...found.values()].map((row, i) => [row.id as number, { type: typeOf(child, row), object: objects[i] }])));
        }),
      );
      // An entity's id names its kind: an entity of another kind is not the one asked for.
      const answer = wanted.map(({ type, id }) => {
        const found = shown.get(TABLE_OF[type]!)!.get(id);
        return found && found.type === type ? found.object : null;
      });
      return root.many ? answer : answer[0];
    }),
  );
  if (settled.some((outcome) => outcome.status === 'rejected' && outcome.reason instanceof Unplannable)) throw new Unplannable();
  return answerOf(plan, settled);
}

type NodeRoot = Extract<Plan['roots'][number], { kind: 'node' }>;

/** The ids a node root asks for, each with its type; Unplannable for any the plan does not read. */
function wantedOf(run: Run, root: NodeRoot): NodeInput {
  const args = argumentsOf(run, root.field, root.node);
  const given = (root.many ? args.ids : [args.id]) as unknown[];
  if (!Array.isArray(given) || given.length > MAX_NODE_IDS) throw new Unplannable();
  return given.map((id) => {
    const decoded = safeDecode(id);
    if (!TABLE_OF[decoded.typename]) throw new Unplannable();
    return { type: decoded.typename, id: Number(decoded.id) };
  });
}

/** The answer of the roots as settled, as the executor answers failed root fields. */
function answerOf(plan: Plan, settled: readonly PromiseSettledResult<unknown>[]): ExecutionResult {
  const data: Record<string, unknown> = {};
  const errors: GraphQLError[] = [];
  let nulled = false;
  plan.roots.forEach((root, i) => {
    const outcome = settled[i]!;
    if (outcome.status === 'fulfilled') data[root.key] = outcome.value;
    else {
      errors.push(locatedError(outcome.reason, root.kind === 'typename' ? [] : [root.kind === 'node' ? root.node : root.page.node], [root.key]));
      data[root.key] = null;
      if (root.kind !== 'typename' && isNonNullType(root.kind === 'node' ? root.field.type : root.page.field.type)) nulled = true;
    }
  });
  return errors.length === 0 ? { data } : { data: nulled ? null : data, errors };
}

const isInt32 = (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647;

/** A compiled read's answer whose data is JSON text, as PostgreSQL's one statement wrote it (./statement.ts). */
export interface TextAnswer {
  dataText: string;
}

/**
 * The plan's answer from one statement that writes its JSON (PostgreSQL, see ./statement.ts): as
 * text when `asText`, or parsed; undefined when it has none for this plan or these arguments. The
 * statement failing fails every root, as each root's own statement would have failed.
 */
async function statementAnswer(plan: Plan, run: Run, statement: NonNullable<Reader['statement']>, asText: boolean): Promise<ExecutionResult | TextAnswer | undefined> {
  const nodes = new Map<object, NodeInput>();
  for (const root of plan.roots) {
    if (root.kind !== 'node') continue;
    const wanted = wantedOf(run, root);
    if (!wanted.every(({ id }) => isInt32(id))) return undefined;
    nodes.set(root, wanted);
  }
  const built = statementOf(plan, run.pageArgs, nodes);
  if (!built) return undefined;
  let row: Row;
  try {
    [row] = (await statement(built.text, built.params)) as [Row];
  } catch (error) {
    return answerOf(
      plan,
      plan.roots.map((root) => (root.kind === 'typename' ? { status: 'fulfilled', value: 'Query' } : { status: 'rejected', reason: error })),
    );
  }
  const texts = plan.roots.map((root, i) => (root.kind === 'typename' ? '"Query"' : (row[built.columns[i]!] as string)));
  plan.roots.forEach((root, i) => {
    if (root.kind !== 'page' || !root.page.paging.declares) return;
    const { page } = root;
    if (built.declaring.has(page)) {
      // The bound of the range it read (none when it read to the end), a comma, its answer.
      const comma = texts[i]!.indexOf(',');
      const bound = comma === 0 ? null : Number(texts[i]!.slice(0, comma));
      texts[i] = texts[i]!.slice(comma + 1);
      dependsOnRange(run.context, page.paging.declares!, run.pageArgs.get(page)!.after, bound);
    }
    if (page.count) dependsOnRange(run.context, page.paging.declares!, null, null);
  });
  if (asText) return { dataText: `{${plan.roots.map((root, i) => `${JSON.stringify(root.key)}:${texts[i]}`).join(',')}}` };
  return answerOf(
    plan,
    texts.map((text) => ({ status: 'fulfilled', value: JSON.parse(text) as unknown })),
  );
}

function safeDecode(id: unknown): { typename: string; id: string } {
  if (typeof id !== 'string') throw new Unplannable();
  try {
    return decodeGlobalID(id);
  } catch {
    throw new Unplannable();
  }
}

/**
 * The answer of a planned operation, or undefined when the executor must give it: the operation
 * is not planned, its variables do not coerce, or an argument is out of what the plan takes (the
 * executor then refuses it with its own error). A failed statement is the answer's error (runPlan).
 */
export async function compiledAnswer(args: ExecutionArgs, db: Db): Promise<ExecutionResult | undefined> {
  return (await compiled(args, db, false)) as ExecutionResult | undefined;
}

/**
 * compiledAnswer, except that an answer PostgreSQL's one statement wrote without errors comes as
 * its data's JSON text (exactly what JSON.stringify would write of the parsed data), for the fast
 * path of repeated reads to send without parsing it and writing it out again.
 */
export function compiledText(args: ExecutionArgs, db: Db): Promise<ExecutionResult | TextAnswer | undefined> {
  return compiled(args, db, true);
}

async function compiled(args: ExecutionArgs, db: Db, asText: boolean): Promise<ExecutionResult | TextAnswer | undefined> {
  const plan = planOf(args.schema, args.document, args.operationName);
  if (!plan) return undefined;
  const coerced = getVariableValues(args.schema, plan.operation.variableDefinitions ?? [], (args.variableValues ?? {}) as Record<string, unknown>);
  if (coerced.errors) return undefined;
  try {
    const run: Run = { reader: readerOf(db), variables: coerced.coerced, context: args.contextValue as CacheContext, pageArgs: new Map() };
    for (const page of plan.pages) run.pageArgs.set(page, pageArgsOf(run, page));
    const answered = run.reader.statement && (await statementAnswer(plan, run, run.reader.statement, asText));
    return answered ?? (await runPlan(plan, run));
  } catch (error) {
    if (error instanceof Unplannable) return undefined;
    throw error;
  }
}
