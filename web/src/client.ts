import { Client, cacheExchange, fetchExchange } from '@urql/core';
import { PERSISTED } from './persisted';

interface Body {
  operationName?: string;
  variables?: unknown;
  extensions?: Record<string, unknown>;
}

/**
 * Sends each operation by its id (the SHA-256 of its text, web/src/persisted.ts), never its text
 * first: a server in trusted-documents mode (TRUSTED_DOCUMENTS=web/persisted-documents.json) runs
 * it from its manifest; a server with automatic persisted queries answers PERSISTED_QUERY_NOT_FOUND
 * the first time, and then gets the text with the id once.
 */
const persistedFetch: typeof fetch = async (input, init) => {
  const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Body) : null;
  const persisted = body?.operationName ? PERSISTED[body.operationName] : undefined;
  if (!body || !persisted) return fetch(input, init);
  const send = (withText: boolean) =>
    fetch(input, {
      ...init,
      body: JSON.stringify({
        operationName: body.operationName,
        variables: body.variables,
        extensions: { ...body.extensions, persistedQuery: { version: 1, sha256Hash: persisted.id } },
        ...(withText ? { query: persisted.text } : {}),
      }),
    });
  const first = await send(false);
  const answer = (await first.clone().json().catch(() => null)) as { errors?: { extensions?: { code?: string } }[] } | null;
  return answer?.errors?.some((error) => error.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND') ? send(true) : first;
};

/** The public GraphQL API of the process that served this page, and nothing else. */
export const client = new Client({
  url: '/graphql',
  exchanges: [cacheExchange, fetchExchange],
  preferGetMethod: false,
  fetch: persistedFetch,
});
