import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertIntact, CorruptDatabaseError, fullCheckDue, migrateDatabase, openDatabase } from '../src/db';
import { seedIfEmpty } from '../src/model/seed';

const dir = mkdtempSync(join(tmpdir(), 'claimgraph-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function seeded(name: string) {
  const path = join(dir, name);
  const db = openDatabase({ path });
  migrateDatabase(db);
  seedIfEmpty(db);
  return { path, db };
}

describe('the start-up integrity check', () => {
  it('reads a small file in full, and a large one only after an unclean stop', () => {
    const { path, db } = seeded('check.db');
    // Open, with committed frames still in the write-ahead log: as after a kill.
    expect(fullCheckDue(path, 1)).toBe(true);
    db.$client.close();
    // Closed cleanly: the log was checkpointed and removed.
    expect(fullCheckDue(path)).toBe(true);
    expect(fullCheckDue(path, 1)).toBe(false);
    expect(fullCheckDue(join(dir, 'missing.db'))).toBe(false);
    expect(fullCheckDue(':memory:')).toBe(false);
  });

  it('finds a damaged page with the full check; the light one reads only header and schema', () => {
    const { path, db } = seeded('damaged.db');
    const pageSize = db.$client.pragma('page_size', { simple: true }) as number;
    const pages = db.$client.pragma('page_count', { simple: true }) as number;
    db.$client.close();
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, pageSize * (pages - 2));
    closeSync(fd);
    const reopened = openDatabase({ path });
    try {
      expect(() => assertIntact(reopened, path, true)).toThrow(CorruptDatabaseError);
      expect(() => assertIntact(reopened, path, false)).not.toThrow();
    } finally {
      reopened.$client.close();
    }
  });
});
