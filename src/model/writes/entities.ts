import { and, asc, count, countDistinct, eq, or } from 'drizzle-orm';
import { z } from 'zod';
import type { EntityKind } from '../../../schema/enums';
import { claims, claimSubjects, entities, entityAliases, eventParticipants, relationships, sources, type EntityRow } from '../../../schema/tables';
import type { Db } from '../../db';
import { conflict } from '../../domain/errors';
import { encodeGlobalID, ENTITY_TYPE_BY_KIND } from '../../domain/ids';
import {
  apiName,
  apiShape,
  endsBeforeStart,
  entityKind,
  ENTITY_FIELDS,
  foreignFields,
  inOrder,
  kindsWith,
  PARTICIPANT_FIELDS,
  slugInput,
} from '../fields';
import { badField, entityRef, eventRef, findEntity, findSource, now, parseInput, stamps, touch } from './common';
import { newSlug, slugify } from './slugs';

/** The fields every entity may have, besides its name, and the kind-specific ones. */
const { name, ...optionalFields } = apiShape(ENTITY_FIELDS);

/** The API's name of each kind-specific field (developer → developerId). */
const INPUT_NAME = Object.fromEntries(Object.entries(ENTITY_FIELDS).map(([field, rule]) => [field, apiName(field, rule)]));

type KindFields = Partial<Record<keyof typeof optionalFields, unknown>>;

/** Problems with kind-specific fields: a value for another kind's field, an event without status. */
function kindProblems(kind: EntityKind, input: KindFields, creating: boolean): { path: string; message: string }[] {
  const problems = foreignFields(kind, (field) => input[INPUT_NAME[field] as keyof KindFields] != null).map((field) => ({
    path: INPUT_NAME[field]!,
    message: `only ${kindsWith(field)} entities have ${INPUT_NAME[field]}; this one is a${/^[AEIOU]/.test(kind) ? 'n' : ''} ${kind}`,
  }));
  if (kind === 'EVENT' && (creating ? input.status == null : input.status === null)) {
    problems.push({ path: 'status', message: creating ? 'an EVENT needs a status' : 'an EVENT always has a status; omit status to keep it' });
  }
  return problems;
}

export const CreateEntityInput = z
  .object({
    kind: entityKind,
    slug: slugInput('the name'),
    name,
    ...optionalFields,
  })
  .superRefine((input, ctx) => {
    for (const { path, message } of kindProblems(input.kind, input, true)) ctx.addIssue({ code: 'custom', path: [path], message });
    inOrder('startDate', 'endDate')(input, ctx);
    if (input.wikidataSourceId != null && input.wikidataId == null) {
      ctx.addIssue({ code: 'custom', path: ['wikidataSourceId'], message: 'a wikidataSourceId is the source of a wikidataId: give the id too' });
    }
  })
  .meta({
    description:
      'A new entity. Kind-specific fields (foundedOn, occupation, status, …) are accepted only for their kind; an EVENT needs a status. Text is trimmed and must not be empty.',
  });

export const UpdateEntityInput = z
  .object({
    id: entityRef.meta({ description: 'The entity to change.' }),
    name: name.meta({ description: 'A new name.' }).nullish(),
    ...optionalFields,
  })
  .superRefine((input, ctx) => {
    if (input.name === null) ctx.addIssue({ code: 'custom', path: ['name'], message: 'an entity always has a name; omit name to keep it' });
  })
  .meta({
    description:
      "Changes to an entity. Omit a field to keep its value; null clears an optional one (not the name, nor an event's status), and a list replaces the old one. Kind-specific fields must match the entity's kind.",
  });

export const DeleteEntityInput = z
  .object({ id: entityRef.meta({ description: 'The entity to delete; nothing may refer to it any more.' }) })
  .meta({ description: 'The entity to delete.' });

export const AddEventParticipantInput = z
  .object({ eventId: eventRef.meta({ description: 'The id of an Event.' }), ...apiShape(PARTICIPANT_FIELDS) })
  .meta({ description: 'Someone or something taking part in an event, in a role.' });

/** The entity table's columns the input names, by the same names (all its fields but aliases). */
const COLUMNS = Object.keys(optionalFields)
  .filter((field) => field !== 'aliases')
  .concat('name') as (keyof EntityRow & keyof KindFields | 'name')[];

/** The entity columns the input sets, for fields present in it (`undefined` leaves a column alone). */
function columnsOf(
  input: z.output<typeof UpdateEntityInput> | z.output<typeof CreateEntityInput>,
  developerId: number | null | undefined,
  wikidataSourceId: number | null | undefined,
) {
  const resolved: Record<string, unknown> = { developerId, wikidataSourceId };
  const columns = COLUMNS.map((column) => [column, column in resolved ? resolved[column] : (input as Record<string, unknown>)[column]]);
  return Object.fromEntries(columns.filter(([, v]) => v !== undefined)) as Partial<EntityRow>;
}

async function setAliases(tx: Db, entityId: number, list: readonly string[]): Promise<void> {
  await tx.delete(entityAliases).where(eq(entityAliases.entityId, entityId));
  if (list.length > 0) await tx.insert(entityAliases).values(list.map((alias, position) => ({ entityId, alias, position })));
}

async function aliasesOf(tx: Db, entityId: number): Promise<string[]> {
  const rows = await tx
    .select({ alias: entityAliases.alias })
    .from(entityAliases)
    .where(eq(entityAliases.entityId, entityId))
    .orderBy(asc(entityAliases.position));
  return rows.map((a) => a.alias);
}

export async function createEntity(tx: Db, raw: z.input<typeof CreateEntityInput>): Promise<EntityRow> {
  const input = parseInput(CreateEntityInput, raw);
  const developer = input.developerId ? await findEntity(tx, input.developerId, 'input.developerId') : null;
  const wikidataSource = input.wikidataSourceId ? await findSource(tx, input.wikidataSourceId, 'input.wikidataSourceId') : null;
  const entitySlug = await newSlug(tx, entities, input.slug, 'an entity', () => slugify(input.name), input.kind.toLowerCase());
  const [row] = await tx
    .insert(entities)
    .values({ ...columnsOf(input, developer?.id ?? null, wikidataSource?.id ?? null), kind: input.kind, name: input.name, slug: entitySlug, ...stamps() })
    .returning();
  await setAliases(tx, row!.id, input.aliases ?? []);
  return row!;
}

/**
 * Changes the fields given; omitted fields keep their values and `null` clears an optional one.
 * `aliases` replaces the whole list. updated_at moves only when something actually changed.
 */
export async function updateEntity(tx: Db, raw: z.input<typeof UpdateEntityInput>): Promise<EntityRow> {
  const input = parseInput(UpdateEntityInput, raw);
  const head = await findEntity(tx, input.id, 'input.id');
  const [problem] = kindProblems(head.kind, input, false);
  if (problem) throw badField(`input.${problem.path}`, problem.message);
  let developerId: number | null | undefined = input.developerId === null ? null : undefined;
  if (input.developerId) {
    developerId = (await findEntity(tx, input.developerId, 'input.developerId')).id;
    if (developerId === head.id) throw badField('input.developerId', 'a product cannot be its own developer');
  }
  const current = (await tx.select().from(entities).where(eq(entities.id, head.id)).limit(1))[0]!;
  let wikidataSourceId: number | null | undefined = input.wikidataSourceId === null ? null : undefined;
  if (input.wikidataSourceId) wikidataSourceId = (await findSource(tx, input.wikidataSourceId, 'input.wikidataSourceId')).id;
  const wanted = columnsOf(input, developerId, wikidataSourceId);
  const wikidataId = wanted.wikidataId !== undefined ? wanted.wikidataId : current.wikidataId;
  if (wikidataId == null && (wanted.wikidataSourceId !== undefined ? wanted.wikidataSourceId : current.wikidataSourceId) != null) {
    // Clearing the id clears its source; a source without an id is refused.
    if (wanted.wikidataSourceId != null) throw badField('input.wikidataSourceId', 'a wikidataSourceId is the source of a wikidataId: give the id too');
    wanted.wikidataSourceId = null;
  }
  const start = wanted.startDate !== undefined ? wanted.startDate : current.startDate;
  const end = wanted.endDate !== undefined ? wanted.endDate : current.endDate;
  if (endsBeforeStart(start, end)) throw badField(input.endDate !== undefined ? 'input.endDate' : 'input.startDate', `${end} ends before ${start}`);

  const changed = Object.fromEntries(
    Object.entries(wanted).filter(([column, value]) => current[column as keyof EntityRow] !== value),
  );
  let touched = false;
  if (Object.keys(changed).length > 0) {
    await tx.update(entities).set({ ...changed, updatedAt: now() }).where(eq(entities.id, head.id));
    touched = true;
  }
  if (input.aliases !== undefined) {
    const list = input.aliases ?? [];
    if ((await aliasesOf(tx, head.id)).join('\u0000') !== list.join('\u0000')) {
      await setAliases(tx, head.id, list);
      if (!touched) await touch(tx, entities, head.id);
    }
  }
  return (await tx.select().from(entities).where(eq(entities.id, head.id)).limit(1))[0]!;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What still points at an entity, counted; deleting it must wait until these are gone. */
async function referencesTo(tx: Db, id: number) {
  const counted = async (rows: PromiseLike<{ n: number }[]>) => (await rows)[0]!.n;
  return {
    claimsAbout: await counted(tx.select({ n: count() }).from(claimSubjects).where(eq(claimSubjects.entityId, id))),
    claimsMade: await counted(tx.select({ n: count() }).from(claims).where(eq(claims.claimantId, id))),
    relationships: await counted(tx.select({ n: count() }).from(relationships).where(or(eq(relationships.subjectId, id), eq(relationships.objectId, id)))),
    events: await counted(tx.select({ n: countDistinct(eventParticipants.eventId) }).from(eventParticipants).where(eq(eventParticipants.entityId, id))),
    products: await counted(tx.select({ n: count() }).from(entities).where(eq(entities.developerId, id))),
    sources: await counted(tx.select({ n: count() }).from(sources).where(eq(sources.publisherId, id))),
  };
}

/**
 * Deletes an entity that nothing refers to any more; its aliases go with it, and so do an
 * event's own participant entries. While anything refers to it: CONFLICT, saying what.
 */
export async function deleteEntity(tx: Db, raw: z.input<typeof DeleteEntityInput>): Promise<{ deletedId: string }> {
  const input = parseInput(DeleteEntityInput, raw);
  const head = await findEntity(tx, input.id, 'input.id');
  const refs = await referencesTo(tx, head.id);
  const reasons = [
    refs.claimsAbout && `${plural(refs.claimsAbout, 'claim is', 'claims are')} about it`,
    refs.claimsMade && `it is the claimant of ${plural(refs.claimsMade, 'claim')}`,
    refs.relationships && `it is in ${plural(refs.relationships, 'relationship')}`,
    refs.events && `it takes part in ${plural(refs.events, 'event')}`,
    refs.products && `it is the developer of ${plural(refs.products, 'product')}`,
    refs.sources && `it is the publisher of ${plural(refs.sources, 'source')}`,
  ].filter(Boolean);
  if (reasons.length > 0) {
    throw conflict(
      `input.id: ${ENTITY_TYPE_BY_KIND[head.kind]} "${head.name}" is still referenced: ${reasons.join(', ')}. Remove or change those first.`,
      'input.id',
      { references: refs },
    );
  }
  await tx.delete(entities).where(eq(entities.id, head.id));
  return { deletedId: encodeGlobalID(ENTITY_TYPE_BY_KIND[head.kind], head.id) };
}

export async function addEventParticipant(tx: Db, raw: z.input<typeof AddEventParticipantInput>): Promise<{ eventId: number; entityId: number }> {
  const input = parseInput(AddEventParticipantInput, raw);
  const event = await findEntity(tx, input.eventId, 'input.eventId');
  const entity = await findEntity(tx, input.entityId, 'input.entityId');
  if (event.id === entity.id) throw badField('input.entityId', 'an event cannot take part in itself');
  const [existing] = await tx
    .select({ id: eventParticipants.id })
    .from(eventParticipants)
    .where(and(eq(eventParticipants.eventId, event.id), eq(eventParticipants.entityId, entity.id), eq(eventParticipants.role, input.role)))
    .limit(1);
  if (existing) throw conflict(`input.role: "${entity.name}" already takes part in "${event.name}" as "${input.role}"`, 'input.role');
  await tx.insert(eventParticipants).values({ eventId: event.id, entityId: entity.id, role: input.role, ...stamps() });
  await touch(tx, entities, event.id);
  return { eventId: event.id, entityId: entity.id };
}
