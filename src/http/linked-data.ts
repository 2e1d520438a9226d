import type { Plugin } from 'graphql-yoga';
import { href } from '../../web/src/routes';
import { sql } from 'drizzle-orm';
import type { Db } from '../db';
import { selectRows } from '../db/engine';
import { badInput, notFound, type UserError } from '../domain/errors';
import { decodeGlobalID, encodeGlobalID, ENTITY_TYPE_BY_KIND } from '../domain/ids';
import { objectJsonLd } from '../model/jsonld';
import { jsonResponse } from './json';

/** Every object's stable URL: `/id/<globalId>`, the `@id` of its JSON-LD node. */
export const ID_PREFIX = '/id/';
export const JSON_LD = 'application/ld+json';

/** The q-value the Accept header gives `type` (its most specific matching range); 1 when there is no header. */
function quality(accept: string | null, type: string): number {
  if (!accept) return 1;
  let best = -1;
  let q = 0;
  for (const part of accept.split(',')) {
    const [range, ...params] = part.trim().toLowerCase().split(';');
    const specificity = range === type ? 2 : range === `${type.split('/')[0]}/*` ? 1 : range === '*/*' ? 0 : -1;
    if (specificity <= best) continue;
    best = specificity;
    const given = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    q = given ? Number(given.slice(2)) || 0 : 1;
  }
  return q;
}

/** The explorer's page for an object; a relationship's is its subject's, a citation's its claim's. */
async function explorerPage(db: Db, typename: string, id: number): Promise<string> {
  if (typename === 'Claim') return href.claim(encodeGlobalID('Claim', id));
  if (typename === 'Source') return href.source(encodeGlobalID('Source', id));
  if (typename === 'Citation') {
    const [{ claim_id }] = (await selectRows(db, sql`SELECT claim_id FROM citations WHERE id = ${id}`)) as [{ claim_id: number }];
    return href.claim(encodeGlobalID('Claim', claim_id));
  }
  const entityId =
    typename === 'Relationship' ? ((await selectRows(db, sql`SELECT subject_id FROM relationships WHERE id = ${id}`)) as [{ subject_id: number }])[0].subject_id : id;
  const [{ kind }] = (await selectRows(db, sql`SELECT kind FROM entities WHERE id = ${entityId}`)) as [{ kind: keyof typeof ENTITY_TYPE_BY_KIND }];
  return href.entity(encodeGlobalID(ENTITY_TYPE_BY_KIND[kind], entityId));
}

/**
 * `GET /id/{globalId}`: the object as JSON-LD (schema.org) when the client prefers
 * application/ld+json or application/json (or says nothing), a 303 to its explorer page when it prefers text/html.
 * A malformed id is 400, an id of no object 404, each a JSON error with its contract code.
 */
export function useLinkedData(db: Db): Plugin {
  return {
    onRequest(args) {
      // Only /id/ waits on the database; every other request goes on at once.
      if (args.url.pathname.startsWith(ID_PREFIX)) return serve(args);
    },
  };

  async function serve({ request, url, fetchAPI, endResponse }: Parameters<NonNullable<Plugin['onRequest']>>[0]): Promise<void> {
    const refuse = (error: UserError, status: number) => endResponse(jsonResponse(fetchAPI, { errors: [error.toJSON()] }, status));
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
      return;
    }
    let decoded: { typename: string; id: string };
    try {
      decoded = decodeGlobalID(decodeURIComponent(url.pathname.slice(ID_PREFIX.length)));
    } catch {
      const shown = url.pathname.slice(ID_PREFIX.length, ID_PREFIX.length + 40);
      refuse(badInput(`"${shown}" is not a claimgraph id: use an \`id\` the API returned, as in /id/UGVyc29uOjE=`), 400);
      return;
    }
    const accept = request.headers.get('accept');
    // JSON-LD is JSON: a client that asks for application/json gets it too.
    const [ld, html] = [Math.max(quality(accept, JSON_LD), quality(accept, 'application/json')), quality(accept, 'text/html')];
    const id = Number(decoded.id);
    const doc = await objectJsonLd(db, url.origin, decoded.typename, id);
    if (!doc) {
      refuse(notFound(`There is no ${decoded.typename} ${decoded.id}: it was never recorded, or was deleted.`), 404);
      return;
    }
    const vary = { vary: 'accept', 'cache-control': 'no-cache' };
    if (html > ld) {
      endResponse(new fetchAPI.Response(null, { status: 303, headers: { location: await explorerPage(db, decoded.typename, id), ...vary } }));
      return;
    }
    if (ld <= 0) {
      refuse(badInput(`This URL answers ${JSON_LD} (or text/html, which redirects to the explorer): send Accept: ${JSON_LD}.`), 406);
      return;
    }
    const body = `${JSON.stringify(doc, null, 2)}\n`;
    endResponse(
      new fetchAPI.Response(request.method === 'HEAD' ? null : body, {
        status: 200,
        headers: { 'content-type': `${JSON_LD}; charset=utf-8`, ...vary },
      }),
    );
  }
}
