import jsonld from 'jsonld';
import { expect } from 'vitest';
import { CONTEXT } from '../../src/model/jsonld';

export const SCHEMA = 'https://schema.org/';

/** Offline: every document a JSON-LD processor asks for is refused (our context is inline). */
const documentLoader = async (url: string): Promise<never> => {
  throw new Error(`the test is offline: the document asked for ${url}`);
};

/** The document's statements, sorted: equal sets mean nothing was lost. */
export async function quads(doc: object): Promise<string[]> {
  const nquads = (await jsonld.toRDF(doc as never, { format: 'application/n-quads', documentLoader } as never)) as unknown as string;
  return nquads.split('\n').filter(Boolean).sort();
}

/** Expands, compacts with our context, expands again: the same statements as the original. */
export async function expectLossless(doc: object) {
  const options = { documentLoader } as object;
  const expanded = await jsonld.expand(doc as never, options);
  const compacted = await jsonld.compact(expanded, CONTEXT as never, options);
  expect(await jsonld.expand(compacted, options)).toEqual(expanded);
  expect(await quads(compacted)).toEqual(await quads(doc));
  return expanded as unknown as Record<string, unknown>[];
}
