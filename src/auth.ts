import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether a request may write, and if not, what to tell the caller. `writer` names the token a
 * write came with (its SHA-256, hex; never the token itself): idempotency keys are kept per writer.
 */
export type WriteAccess = { canWrite: true; writeRefusal: null; writer: string } | { canWrite: false; writeRefusal: string; writer: null };

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Checks `Authorization: Bearer <token>` against the configured token. Both sides are hashed
 * first, so the comparison takes the same time whatever the token's length or content.
 */
export function writeAccessChecker(apiToken: string | undefined): (authorization: string | null) => WriteAccess {
  const expected = apiToken ? digest(apiToken) : null;
  const writer = expected?.toString('hex') ?? '';
  return (authorization) => {
    if (!expected) {
      return refuse('Writes are disabled: this server has no API_TOKEN. Set API_TOKEN (16 characters or more) and restart it to enable them.');
    }
    if (!authorization) return refuse('Writes need an `Authorization: Bearer <token>` header.');
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    if (!match) return refuse('The Authorization header must read `Bearer <token>`.');
    if (!timingSafeEqual(digest(match[1]!), expected)) return refuse('The bearer token is not valid.');
    return { canWrite: true, writeRefusal: null, writer };
  };
}

const refuse = (writeRefusal: string): WriteAccess => ({ canWrite: false, writeRefusal, writer: null });
