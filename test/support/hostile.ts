import {
  getNamedType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  isScalarType,
} from 'graphql';
import { random as seeded } from '../../src/model/generate';

/** The generator's seeded random numbers, with the draws a run needs: every run of a seed sends the same requests. */
export function random(seed: number) {
  const { next, int, pick } = seeded(seed);
  return {
    next,
    pick,
    chance: (p: number) => next() < p,
    int: (min: number, max: number) => min + int(max - min + 1),
  };
}
export type Random = ReturnType<typeof random>;

/** Strings people and attackers send: ordinary words, syntax of every layer below us, broken text. */
export const HOSTILE_STRINGS = [
  'Musk',
  'OpenAI',
  'open source',
  'M',
  '',
  ' ',
  '\u0000',
  '\u0000Musk',
  'a\u0007b',
  '\ud800',
  'x\udc00y',
  '🧠 émoji ünïcode',
  '\u202eevil',
  "'; DROP TABLE claims; --",
  '" OR 1=1 --',
  '"unterminated',
  'NEAR(open ai)',
  'open* AND NOT ai',
  '^Musk',
  '{col}: x',
  '%_%',
  '\\',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '$(id)',
  '__proto__',
  'constructor',
  'a'.repeat(600),
  'b '.repeat(3000),
];

export const HOSTILE_DATES = ['2015', '2018-02', '2015-12-11', '2015-13', '2015-02-30', '', 'yesterday', '0000', '9999-12-31', '2015-1-1', '-2015', '2015-12-11T00:00:00Z'];

const HOSTILE_INTS = [0, 1, 2, 5, 20, 50, 100, 101, -1, -100, 2 ** 31 - 1, 1000];

const base64 = (text: string) => Buffer.from(text).toString('base64');

/** Ids that are not ours: malformed, of unknown types, of rows that do not exist, far too long. */
export const HOSTILE_IDS = [
  '',
  'x',
  '===',
  ...['Claim:-1', 'Claim:99999999999999999999', 'Claim:1.5', 'Nope:1', 'Organization:999999', 'Claim:\u00001', '__proto__:1'].map(base64),
  'Q2xhaW06MQ'.repeat(500),
];

/** Cursors that this API never issued. */
export const HOSTILE_CURSORS = [
  '',
  'nope',
  ...['DC:T:[]', 'DC:T:["N:1","S:x","Z:q"]', 'DC:N:-1', 'DC:N:99999999999999999999', 'DC:S:x', 'DC:J:{"a":1}', 'arrayconnection:5'].map(base64),
  'A'.repeat(20000),
];

const ENTITY_TYPES = ['Organization', 'Person', 'Event', 'Product', 'Place'];
/** Which types an id argument takes, by its name. */
const ID_TYPES: [RegExp, string[]][] = [
  [/^(eventId)$/, ['Event']],
  [/^(claimId|contradictsIds)$/, ['Claim']],
  [/^(sourceId|appearsInId)$/, ['Source']],
  [/^(of|from|to|involving|about|claimant|subjectId|objectId|entityId|developerId|publisherId|claimantId|aboutIds)$/, ENTITY_TYPES],
];

interface Context {
  rng: Random;
  /** Whether this operation may carry hostile values; the others use only well-formed ones. */
  hostile: boolean;
  schema: GraphQLSchema;
  /** Global ids of seeded rows, by type name. */
  ids: Map<string, string[]>;
  variables: Record<string, unknown>;
  definitions: string[];
}

/** A value for an input type: mostly valid, sometimes hostile, rarely of the wrong type. */
function valueFor(type: GraphQLInputType, ctx: Context, argName: string, depth: number): unknown {
  const { rng, hostile } = ctx;
  if (isNonNullType(type)) return hostile && rng.chance(0.02) ? null : valueFor(type.ofType, ctx, argName, depth);
  if (hostile && rng.chance(0.05)) return null;
  if (isListType(type)) {
    const length = hostile && rng.chance(0.05) ? rng.int(100, 300) : rng.int(0, 3);
    return Array.from({ length }, () => valueFor(type.ofType, ctx, argName, depth + 1));
  }
  if (hostile && rng.chance(0.02)) return rng.pick([{}, [], 3.5, true, 'x']);
  if (isEnumType(type)) return hostile && rng.chance(0.05) ? 'NOT_A_VALUE' : rng.pick(type.getValues()).name;
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    // Filters have many optional fields and nest in themselves: about two fields a level, none
    // past depth 4, so that an operation stays within the token limit and mostly runs.
    const fields = Object.values(type.getFields());
    const optional = depth > 4 ? 0 : Math.min(0.4, 2 / fields.length);
    for (const field of fields) {
      if (isNonNullType(field.type) ? !hostile || rng.chance(0.97) : rng.chance(optional)) {
        value[field.name] = valueFor(field.type, ctx, field.name, depth + 1);
      }
    }
    if (hostile && rng.chance(0.03)) value.notAField = 1;
    return value;
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'Int':
        return hostile ? rng.pick(HOSTILE_INTS) : rng.int(1, 5);
      case 'Float':
        return rng.next() * 10;
      case 'Boolean':
        return rng.chance(0.5);
      case 'ID': {
        if (hostile && rng.chance(0.25)) return rng.pick(HOSTILE_IDS);
        // Well-formed: mostly an id of the type the argument names; sometimes any.
        const types = hostile || rng.chance(0.3) ? undefined : ID_TYPES.find(([name]) => name.test(argName))?.[1];
        const pool = types ? types.flatMap((t) => ctx.ids.get(t) ?? []) : [...ctx.ids.values()].flat();
        return rng.pick(pool.length ? pool : [...ctx.ids.values()].flat());
      }
      case 'PartialDate':
        return hostile ? rng.pick(HOSTILE_DATES) : rng.pick(HOSTILE_DATES.slice(0, 3));
      case 'String':
        if (argName === 'after' || argName === 'before') return rng.pick(HOSTILE_CURSORS);
        return hostile ? rng.pick(HOSTILE_STRINGS) : rng.pick(HOSTILE_STRINGS.slice(0, 4));
    }
  }
  return rng.pick(HOSTILE_STRINGS);
}

/** A GraphQL literal for any JSON value, including ones of the wrong type. */
function literal(value: unknown, type: GraphQLInputType): string {
  if (value === null || value === undefined) return 'null';
  const named = getNamedType(type);
  if (Array.isArray(value)) return `[${value.map((item) => literal(item, isListType(type) ? type.ofType : isNonNullType(type) && isListType(type.ofType) ? type.ofType.ofType : type)).join(', ')}]`;
  if (typeof value === 'object') {
    const fields = isInputObjectType(named) ? named.getFields() : {};
    return `{ ${Object.entries(value)
      .map(([key, item]) => `${key}: ${literal(item, fields[key]?.type ?? named as GraphQLInputType)}`)
      .join(', ')} }`;
  }
  if (typeof value === 'string') return isEnumType(named) && /^[A-Z_]+$/.test(value) ? value : JSON.stringify(value);
  return String(value);
}

function argumentsFor(args: readonly GraphQLArgument[], ctx: Context): string {
  // A well-formed operation seldom filters: a random filter names ids of other types and repeats
  // orderings, which are refused, and the run must mostly get answers.
  const seldom = (name: string) => (name === 'first' && ctx.rng.chance(0.5)) || ((name === 'where' || name === 'orderBy') && ctx.rng.chance(0.85));
  const wellFormed = (arg: GraphQLArgument) => ctx.hostile || (arg.name !== 'after' && arg.name !== 'before' && !seldom(arg.name));
  const given = args.filter((arg) => (isNonNullType(arg.type) ? !ctx.hostile || !ctx.rng.chance(0.02) : wellFormed(arg) && ctx.rng.chance(0.35)));
  if (given.length === 0) return '';
  const parts = given.map((arg) => {
    const value = valueFor(arg.type, ctx, arg.name, 0);
    if (ctx.rng.chance(0.5)) {
      const name = `v${ctx.definitions.length}`;
      ctx.definitions.push(`$${name}: ${arg.type.toString()}`);
      ctx.variables[name] = value;
      return `${arg.name}: $${name}`;
    }
    return `${arg.name}: ${literal(value, arg.type)}`;
  });
  return `(${parts.join(', ')})`;
}

function selectionFor(type: GraphQLNamedType, ctx: Context, depth: number): string {
  const { rng } = ctx;
  if (isAbstractType(type)) {
    const possible = ctx.schema.getPossibleTypes(type);
    const fragments = Array.from({ length: rng.int(1, 2) }, () => rng.pick(possible)).map(
      (object) => `... on ${object.name} ${selectionFor(object, ctx, depth)}`,
    );
    const shared = isInterfaceType(type) && rng.chance(0.5) ? fieldsOf(type.getFields(), ctx, depth) : [];
    return `{ __typename ${[...shared, ...fragments].join(' ')} }`;
  }
  if (!isObjectType(type)) return '';
  const fields = fieldsOf(type.getFields(), ctx, depth);
  return `{ ${fields.length ? fields.join(' ') : '__typename'} }`;
}

function fieldsOf(fields: Record<string, GraphQLField<unknown, unknown>>, ctx: Context, depth: number): string[] {
  const { rng } = ctx;
  const all = Object.values(fields);
  const chosen = new Set(Array.from({ length: rng.int(1, 4) }, () => rng.pick(all)));
  const out: string[] = [];
  let alias = 0;
  for (const field of chosen) {
    const named = getNamedType(field.type);
    const leaf = !isObjectType(named) && !isAbstractType(named);
    if (!leaf && depth >= 4) continue;
    const name = rng.chance(0.1) ? `a${alias++}: ${field.name}` : field.name;
    out.push(`${name}${argumentsFor(field.args, ctx)}${leaf ? '' : ` ${selectionFor(named, ctx, depth + 1)}`}`);
  }
  return out;
}

export interface Operation {
  query: string;
  variables: Record<string, unknown>;
  mutation: boolean;
}

/**
 * One random operation over the schema's Query or Mutation type, with literal and variable
 * arguments. Half of them carry hostile values, and some of those are damaged; the rest are
 * well-formed, so that the run reaches deep into the API and not only its refusals.
 */
export function randomOperation(rng: Random, schema: GraphQLSchema, ids: Map<string, string[]>): Operation {
  const mutation = rng.chance(0.15);
  const root = mutation ? schema.getMutationType()! : schema.getQueryType()!;
  const hostile = rng.chance(0.5);
  const ctx: Context = { rng, hostile, schema, ids, variables: {}, definitions: [] };
  const fields = fieldsOf(root.getFields(), ctx, 0);
  const head = `${mutation ? 'mutation' : 'query'}${ctx.definitions.length ? `(${ctx.definitions.join(', ')})` : ''}`;
  let query = `${head} { ${fields.join(' ') || '__typename'} }`;
  // Some operations are broken on purpose: cut short, a character changed, a field that is not there.
  const damage = hostile ? rng.next() : 1;
  if (damage < 0.03) query = query.slice(0, rng.int(0, query.length - 1));
  else if (damage < 0.06) {
    const at = rng.int(0, query.length - 1);
    query = query.slice(0, at) + rng.pick(['{', '}', '(', '$', '"', '@skip', '...', 'é', '\u0000']) + query.slice(at + 1);
  } else if (damage < 0.08) query = query.replace('{ ', '{ notAField ');
  return { query, variables: ctx.variables, mutation };
}
