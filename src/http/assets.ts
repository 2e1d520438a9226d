import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

/**
 * A file served under a name that carries a hash of its content, so a browser may keep it for a
 * year without asking again: a new version has a new name. Compressed once when it is made, never
 * per request.
 */
export interface Asset {
  /** e.g. `graphiql.3f9a0c1d2e4b5a67.js`: the name it is served under. */
  file: string;
  type: string;
  /** The Subresource Integrity value of its content, for `integrity` attributes. */
  integrity: string;
  /** The content as it is, gzip-compressed and brotli-compressed (each kept only if smaller). */
  bodies: { identity: Buffer; gzip?: Buffer; br?: Buffer };
}

export type Encoding = keyof Asset['bodies'];

/** A year: the longest lifetime caches honour. The file's name changes with its content. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Brotli's quality 5 (of 11) and gzip's default level: the playground's 9 MB compress in about a
 * quarter of a second of CPU, on its first visit to a process. Brotli's 11 takes 11 s for 8% less
 * and gzip's 9 twice as long for nothing (bench/playground.ts, docs/performance.md).
 */
const BROTLI_QUALITY = 5;
const GZIP_LEVEL = 6;

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** Hashes and compresses `content` (in libuv's thread pool, so requests keep being served meanwhile). */
export async function makeAsset(name: string, extension: string, type: string, content: string | Buffer): Promise<Asset> {
  const identity = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const digest = createHash('sha256').update(identity).digest();
  const [gzipped, brotli] = await Promise.all([
    gzipAsync(identity, { level: GZIP_LEVEL }),
    brotliAsync(identity, {
      params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: identity.length },
    }),
  ]);
  return {
    file: `${name}.${digest.toString('hex').slice(0, 16)}.${extension}`,
    type,
    integrity: `sha256-${digest.toString('base64')}`,
    bodies: {
      identity,
      ...(gzipped.length < identity.length ? { gzip: gzipped } : {}),
      ...(brotli.length < identity.length ? { br: brotli } : {}),
    },
  };
}

/**
 * The encoding to send `asset` in, given the request's Accept-Encoding: brotli, else gzip, else as
 * it is (what a client that names no encoding gets). An encoding with `q=0` is refused.
 */
export function chooseEncoding(asset: Asset, acceptEncoding: string | null): Encoding {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((param) => /^\s*q=([\d.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined);
    accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const acceptable = (encoding: string) => (accepted.get(encoding) ?? accepted.get('*') ?? 0) > 0;
  if (asset.bodies.br && acceptable('br')) return 'br';
  if (asset.bodies.gzip && acceptable('gzip')) return 'gzip';
  return 'identity';
}

/** The response for `asset`: compressed as the client accepts, cached for a year. */
export function assetResponse(asset: Asset, request: Request, Response: typeof globalThis.Response): Response {
  const encoding = chooseEncoding(asset, request.headers.get('accept-encoding'));
  const body = asset.bodies[encoding]!;
  const headers: Record<string, string> = {
    'content-type': asset.type,
    'content-length': String(body.length),
    'cache-control': IMMUTABLE,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
  };
  if (encoding !== 'identity') headers['content-encoding'] = encoding;
  return new Response(request.method === 'HEAD' ? null : (body as Uint8Array<ArrayBuffer>), { status: 200, headers });
}
