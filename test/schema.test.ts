import { readFileSync } from 'node:fs';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { printedSchema, SDL_FILE } from '../src/cli/print-schema';
import { NODE_TYPE_NAMES } from '../src/domain/ids';
import { schema } from '../src/graphql/schema';

describe('schema', () => {
  it('matches the committed schema/schema.graphql (run `npm run schema:print` after changing it)', () => {
    expect(readFileSync(SDL_FILE, 'utf8')).toBe(printedSchema());
  });

  it('describes every type, field, argument and enum value', () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) {
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if (isEnumType(type)) {
        for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('accepts the ids of exactly the types that implement Node', () => {
    const nodes = Object.values(schema.getTypeMap()).filter((t) => isObjectType(t) && t.getInterfaces().some((i) => i.name === 'Node'));
    expect(new Set(nodes.map((t) => t.name))).toEqual(NODE_TYPE_NAMES);
  });

  it('has the contract types and root fields', () => {
    const query = schema.getQueryType()!.getFields();
    for (const field of ['node', 'nodes', 'entity', 'entities', 'events', 'claims', 'sources', 'relationships', 'search', 'path', 'neighborhood']) {
      expect(query[field], field).toBeDefined();
    }
    for (const type of ['Organization', 'Person', 'Product', 'Place', 'Event', 'Relationship', 'Claim', 'Source', 'Citation']) {
      const object = schema.getType(type);
      expect(isObjectType(object) && object.getInterfaces().map((i) => i.name)).toContain('Node');
    }
  });
});
