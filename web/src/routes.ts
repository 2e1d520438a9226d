/**
 * The explorer's addresses. The server answers the explorer's page for each of these (so a deep
 * link or a reload works), and the explorer's router reads them.
 */
export const EXPLORER_PAGES = ['/', '/path', '/timeline'] as const;
/** Followed by an id: /entity/<id>, /graph/<id>, /claim/<id>, /source/<id>. */
export const EXPLORER_PREFIXES = ['/entity/', '/graph/', '/claim/', '/source/'] as const;

export const isExplorerPath = (pathname: string) =>
  (EXPLORER_PAGES as readonly string[]).includes(pathname) ||
  EXPLORER_PREFIXES.some((prefix) => pathname.startsWith(prefix) && pathname.length > prefix.length && !pathname.slice(prefix.length).includes('/'));

export type Route =
  | { view: 'home' }
  | { view: 'entity'; id: string }
  | { view: 'graph'; id: string; depth: number }
  | { view: 'claim'; id: string }
  | { view: 'source'; id: string }
  | { view: 'path'; from: string | null; to: string | null }
  | { view: 'timeline'; entity: string | null }
  | { view: 'missing' };

export function parseRoute(pathname: string, search: string): Route {
  const params = new URLSearchParams(search);
  const [, head, raw] = pathname.split('/');
  const id = raw ? decodeURIComponent(raw) : '';
  if (pathname === '/') return { view: 'home' };
  if (pathname === '/path') return { view: 'path', from: params.get('from'), to: params.get('to') };
  if (pathname === '/timeline') return { view: 'timeline', entity: params.get('entity') };
  if (!id) return { view: 'missing' };
  if (head === 'entity') return { view: 'entity', id };
  if (head === 'claim') return { view: 'claim', id };
  if (head === 'source') return { view: 'source', id };
  if (head === 'graph') {
    const depth = Number(params.get('depth') ?? '1');
    return { view: 'graph', id, depth: depth >= 1 && depth <= 3 ? Math.floor(depth) : 1 };
  }
  return { view: 'missing' };
}

export const href = {
  entity: (id: string) => `/entity/${encodeURIComponent(id)}`,
  graph: (id: string, depth = 1) => `/graph/${encodeURIComponent(id)}${depth === 1 ? '' : `?depth=${depth}`}`,
  claim: (id: string) => `/claim/${encodeURIComponent(id)}`,
  source: (id: string) => `/source/${encodeURIComponent(id)}`,
  path: (from?: string | null, to?: string | null) => {
    const params = new URLSearchParams();
    if (from) params.set('from', from);
    if (to) params.set('to', to);
    const query = params.toString();
    return `/path${query ? `?${query}` : ''}`;
  },
  timeline: (entity?: string | null) => (entity ? `/timeline?entity=${encodeURIComponent(entity)}` : '/timeline'),
};
