import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { Plugin } from 'graphql-yoga';
import { UserError } from '../domain/errors';

/** What the automatic persisted queries remember per process; the least recently used go first. */
export const APQ_LIMITS = {
  documents: 5000,
  bytes: 16 * 2 ** 20,
} as const;

const SHA256_HEX = /^[0-9a-f]{64}$/;

export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

interface PersistedQueryExtension {
  version?: unknown;
  sha256Hash?: unknown;
}

const persistedQueryOf = (extensions: unknown): PersistedQueryExtension | undefined => {
  const value = (extensions as { persistedQuery?: unknown } | null | undefined)?.persistedQuery;
  return value !== null && typeof value === 'object' ? (value as PersistedQueryExtension) : undefined;
};

/** A count- and byte-bounded map from hash to document, least recently used first. */
export class DocumentStore {
  private readonly documents = new Map<string, string>();
  private bytes = 0;

  constructor(
    readonly maxDocuments: number = APQ_LIMITS.documents,
    readonly maxBytes: number = APQ_LIMITS.bytes,
  ) {}

  get size() {
    return { documents: this.documents.size, bytes: this.bytes };
  }

  get(hash: string): string | undefined {
    const document = this.documents.get(hash);
    if (document === undefined) return undefined;
    this.documents.delete(hash);
    this.documents.set(hash, document);
    return document;
  }

  set(hash: string, document: string) {
    // Counted as two bytes a character, what a string may take in memory.
    const bytes = document.length * 2;
    if (bytes > this.maxBytes / 8) return;
    const old = this.documents.get(hash);
    if (old !== undefined) {
      this.documents.delete(hash);
      this.bytes -= old.length * 2;
    }
    this.documents.set(hash, document);
    this.bytes += bytes;
    for (const [oldest, text] of this.documents) {
      if (this.documents.size <= this.maxDocuments && this.bytes <= this.maxBytes) break;
      this.documents.delete(oldest);
      this.bytes -= text.length * 2;
    }
  }
}

/**
 * Apollo's automatic persisted queries (the protocol of @apollo/client/link/persisted-queries):
 * a request may send `extensions.persistedQuery { version: 1, sha256Hash }` without its query;
 * a hash this process has seen runs its document, an unknown one is answered with
 * `PersistedQueryNotFound` (code PERSISTED_QUERY_NOT_FOUND), on which the client sends the query
 * with its hash once, and the document is remembered (APQ_LIMITS). Over GET too. Must come before
 * every plugin that reads the query (the response cache).
 *
 * Ours rather than @graphql-yoga/plugin-apq, whose peer range (@graphql-tools/utils 10) conflicts
 * with what yoga 5 brings: the protocol is a lookup and a hash check.
 */
export function useAutomaticPersistedQueries(store = new DocumentStore()): Plugin {
  return {
    onParams({ params, setParams }) {
      const persisted = persistedQueryOf(params.extensions);
      if (!persisted) return;
      if (persisted.version !== 1) {
        throw new UserError('BAD_USER_INPUT', `extensions.persistedQuery.version must be 1 (automatic persisted queries); got ${JSON.stringify(persisted.version) ?? 'nothing'}.`, {
          field: 'extensions.persistedQuery.version',
        });
      }
      const hash = typeof persisted.sha256Hash === 'string' ? persisted.sha256Hash.toLowerCase() : undefined;
      if (!hash || !SHA256_HEX.test(hash)) {
        throw new UserError('BAD_USER_INPUT', 'extensions.persistedQuery.sha256Hash must be the SHA-256 of the query text, as 64 hexadecimal digits.', {
          field: 'extensions.persistedQuery.sha256Hash',
        });
      }
      if (typeof params.query === 'string') {
        if (sha256Hex(params.query) !== hash) {
          throw new UserError('BAD_USER_INPUT', 'extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent: hash the exact query text (UTF-8, hex digits).', {
            field: 'extensions.persistedQuery.sha256Hash',
          });
        }
        store.set(hash, params.query);
        return;
      }
      const query = store.get(hash);
      // The message and code Apollo's link (and urql's) look for: they then send the query with its hash.
      if (query === undefined) throw new UserError('PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound');
      setParams({ ...params, query });
    },
  };
}

/** A trusted-documents manifest that could not be used, said in one line. */
export class ManifestError extends Error {}

/**
 * Reads a trusted-documents manifest: a JSON object from document id (usually its SHA-256) to
 * document text, as GraphQL Code Generator's client preset (persisted-documents.json) and Relay
 * (persisted_queries.json) write it; or Apollo's persisted query manifest
 * (`{ format: "apollo-persisted-query-manifest", operations: [{ id, body }] }`).
 */
export function loadTrustedDocuments(path: string): Map<string, string> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ManifestError(`TRUSTED_DOCUMENTS: cannot read ${path} as JSON (${(error as Error).message})`);
  }
  const entries: [unknown, unknown][] =
    manifest !== null && typeof manifest === 'object' && (manifest as { format?: unknown }).format === 'apollo-persisted-query-manifest'
      ? ((manifest as { operations?: unknown }).operations as { id?: unknown; body?: unknown }[] | undefined ?? []).map((o) => [o?.id, o?.body])
      : manifest !== null && typeof manifest === 'object' && !Array.isArray(manifest)
        ? Object.entries(manifest)
        : [];
  const documents = new Map<string, string>();
  for (const [id, body] of entries) {
    if (typeof id !== 'string' || typeof body !== 'string' || id === '' || body === '') {
      throw new ManifestError(`TRUSTED_DOCUMENTS: ${path} must map each document id to its text ({ "<id>": "query …" }); found ${JSON.stringify(id)} → ${typeof body}`);
    }
    documents.set(id, body);
  }
  if (documents.size === 0) throw new ManifestError(`TRUSTED_DOCUMENTS: ${path} lists no documents ({ "<id>": "query …" })`);
  return documents;
}

/** A document's id as clients send it: Apollo's extensions.persistedQuery.sha256Hash, or `documentId` (GraphQL over HTTP, codegen), or Relay's `doc_id`. */
function documentIdOf(params: { extensions?: unknown } & Record<string, unknown>): string | null {
  const persisted = persistedQueryOf(params.extensions);
  if (typeof persisted?.sha256Hash === 'string') return persisted.sha256Hash;
  for (const name of ['documentId', 'doc_id'] as const) {
    if (typeof params[name] === 'string') return params[name] as string;
  }
  return null;
}

/**
 * Trusted documents: only the documents of the manifest run, named by id; query text is refused.
 * Through yoga's persisted-operations plugin, with our codes and messages that say what to do.
 */
export function useTrustedDocuments(documents: ReadonlyMap<string, string>): Plugin {
  const how = 'send its id as extensions.persistedQuery.sha256Hash or documentId, with no query text';
  return usePersistedOperations({
    getPersistedOperation: (id) => documents.get(id) ?? null,
    extractPersistedOperationId: (params) => documentIdOf(params as never),
    allowArbitraryOperations: false,
    customErrors: {
      // PERSISTED_QUERY_NOT_FOUND: Apollo's link then sends the text, and is told why it is refused.
      notFound: () =>
        new UserError(
          'PERSISTED_QUERY_NOT_FOUND',
          'This server runs only its trusted documents (TRUSTED_DOCUMENTS), and none has this id: add the operation to the manifest and restart the server.',
        ),
      keyNotFound: () => new UserError('FORBIDDEN', `This server runs only its trusted documents (TRUSTED_DOCUMENTS): ${how}.`),
      persistedQueryOnly: () => new UserError('FORBIDDEN', `This server runs only its trusted documents (TRUSTED_DOCUMENTS), not query text: ${how}.`),
    },
  });
}
