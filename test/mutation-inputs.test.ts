import {
  getNamedType,
  type GraphQLInputField,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  isInputObjectType,
  isListType,
  isNonNullType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { schema } from '../src/graphql/schema';
import { apiName, CITATION_FIELDS, CLAIM_FIELDS, ENTITY_FIELDS, importShape, isPartialDateSchema, MAX_LENGTH, RELATIONSHIP_FIELDS, SOURCE_FIELDS } from '../src/model/fields';
import * as claims from '../src/model/writes/claims';
import { isGlobalId } from '../src/model/writes/common';
import * as entities from '../src/model/writes/entities';
import * as relationships from '../src/model/writes/relationships';
import * as sources from '../src/model/writes/sources';

/** The zod schema each GraphQL input type of a mutation is made from. */
const citationItem = (claims.CreateClaimInput.shape.citations.unwrap().unwrap() as z.ZodArray).element as z.ZodObject;
const contradictionItem = (claims.CreateClaimInput.shape.contradictions.unwrap().unwrap() as z.ZodArray).element as z.ZodObject;
const ZOD_OF: Record<string, z.ZodObject> = {
  CreateEntityInput: entities.CreateEntityInput,
  UpdateEntityInput: entities.UpdateEntityInput,
  DeleteEntityInput: entities.DeleteEntityInput,
  AddEventParticipantInput: entities.AddEventParticipantInput,
  CreateClaimInput: claims.CreateClaimInput,
  AddCitationInput: claims.AddCitationInput,
  RemoveCitationInput: claims.RemoveCitationInput,
  CitationInput: citationItem,
  ContradictionInput: contradictionItem,
  CreateSourceInput: sources.CreateSourceInput,
  CreateRelationshipInput: relationships.CreateRelationshipInput,
};

function unwrap(field: z.ZodType): { inner: z.ZodType; optional: boolean } {
  let inner = field;
  let optional = false;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable || inner instanceof z.ZodDefault) {
    optional = true;
    inner = inner.unwrap() as z.ZodType;
  }
  return { inner, optional };
}

/** What the GraphQL type of a zod field should be, e.g. "[ID!]!" or "PartialDate". */
function expectedType(field: z.ZodType, inputName: (object: z.ZodObject) => string): string {
  const { inner, optional } = unwrap(field);
  const named = (item: z.ZodType): string => {
    if (isGlobalId(item)) return 'ID';
    if (isPartialDateSchema(item)) return 'PartialDate';
    if (item instanceof z.ZodObject) return inputName(item);
    if (item instanceof z.ZodEnum) return '(enum)';
    return 'String';
  };
  const type = inner instanceof z.ZodArray ? `[${named(inner.element as z.ZodType)}!]` : named(inner);
  return optional ? type : `${type}!`;
}

function shownType(type: GraphQLInputType): string {
  if (isNonNullType(type)) return `${shownType(type.ofType)}!`;
  if (isListType(type)) return `[${shownType(type.ofType)}]`;
  return type.toString();
}

const inputType = (name: string) => schema.getType(name) as GraphQLInputObjectType;
const enumsAsOne = (shown: string, field: GraphQLInputField) => (getNamedType(field.type).constructor.name === 'GraphQLEnumType' ? shown.replace(getNamedType(field.type).name, '(enum)') : shown);

describe('the GraphQL inputs of the mutations and the zod rules they are made from', () => {
  it('cover every mutation input', () => {
    const used = new Set<string>();
    const visit = (name: string) => {
      used.add(name);
      for (const field of Object.values(inputType(name).getFields())) {
        const named = getNamedType(field.type);
        if (isInputObjectType(named) && !used.has(named.name)) visit(named.name);
      }
    };
    for (const field of Object.values(schema.getMutationType()!.getFields())) visit(getNamedType(field.args.find((a) => a.name === 'input')!.type).name);
    expect([...used].sort()).toEqual(Object.keys(ZOD_OF).sort());
  });

  for (const [name, object] of Object.entries(ZOD_OF)) {
    it(`${name}: the same fields, with the same types and nullability`, () => {
      const fields = inputType(name).getFields();
      const nameOf = (o: z.ZodObject) => Object.entries(ZOD_OF).find(([, z]) => z === o)?.[0] ?? '(unknown input)';
      const fromZod = Object.fromEntries(Object.entries(object.shape as Record<string, z.ZodType>).map(([f, s]) => [f, expectedType(s, nameOf)]));
      const fromGraphql = Object.fromEntries(
        Object.values(fields)
          .filter((f) => f.name !== 'clientMutationId')
          .map((f) => [f.name, enumsAsOne(shownType(f.type), f)]),
      );
      expect(fromGraphql).toEqual(fromZod);
    });
  }

  it('states every length limit in the field description, from the constant', () => {
    const name = inputType('CreateEntityInput').getFields().name!;
    expect(name.description).toContain(`At most ${MAX_LENGTH.name} characters`);
    const locator = inputType('CitationInput').getFields().locator!;
    expect(locator.description).toContain(`At most ${MAX_LENGTH.locator} characters`);
    for (const type of Object.keys(ZOD_OF)) {
      for (const field of Object.values(inputType(type).getFields())) {
        expect(field.description ?? '', `${type}.${field.name}`).not.toMatch(/(?<!each )at most \d+ characters/);
      }
    }
  });

  it('names each field of the import format and of the API from the same rule', () => {
    for (const [rules, input] of [
      [ENTITY_FIELDS, 'UpdateEntityInput'],
      [SOURCE_FIELDS, 'CreateSourceInput'],
      [CLAIM_FIELDS, 'CreateClaimInput'],
      [CITATION_FIELDS, 'CitationInput'],
      [RELATIONSHIP_FIELDS, 'CreateRelationshipInput'],
    ] as const) {
      const fields = inputType(input).getFields();
      for (const [field, rule] of Object.entries(rules)) {
        expect(Object.keys(importShape(rules))).toContain(field);
        expect(fields[apiName(field, rule)], `${input}.${apiName(field, rule)} for the rule ${field}`).toBeDefined();
      }
    }
  });
});
