import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config';
import { CorruptDatabaseError, createDatabaseFolder, type Db, openCheckedDatabase, UnwritableDatabaseError } from '../db';

/** Ends a command with one line on stderr and exit code 1. */
export class CliError extends Error {}

/**
 * Runs a command: known failures (bad configuration, a corrupt or unusable database, a CliError)
 * become one line on stderr and exit code 1; anything else is a bug and keeps its stack.
 */
export async function runCli(name: string, command: () => void | Promise<void>): Promise<void> {
  try {
    await command();
  } catch (error) {
    const known =
      error instanceof CliError ||
      error instanceof ConfigError ||
      error instanceof CorruptDatabaseError ||
      error instanceof UnwritableDatabaseError ||
      (error instanceof Error && 'code' in error && String(error.code).startsWith('SQLITE_'));
    if (!known) throw error;
    process.stderr.write(`claimgraph ${name}: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

/** The FILE argument, or a usage line. */
export function fileArgument(usage: string): string {
  const [file, ...rest] = process.argv.slice(2);
  if (!file || rest.length > 0 || file === '--help' || file === '-h') throw new CliError(`usage: ${usage}`);
  return file;
}

/**
 * The configured database (DATABASE_PATH), checked and migrated like the server's (a read-only
 * file is refused before SQLite opens it; a write-ahead log SQLite will not replay in full is
 * reported on stderr). With
 * `create`, a missing file is created (empty: commands never seed); without, it is an error.
 */
export function openConfiguredDatabase({ create }: { create: boolean }): { db: Db; path: string } {
  const { DATABASE_PATH: path } = loadConfig();
  if (path !== ':memory:' && !existsSync(path)) {
    if (!create) throw new CliError(`there is no database at ${path} (set DATABASE_PATH)`);
    createDatabaseFolder(path);
  }
  const db = openCheckedDatabase(path, (message) => process.stderr.write(`claimgraph: warning: ${message}\n`));
  return { db, path };
}

/** "22 entities, 3 sources, 1 claim"; "nothing" when every count is 0. */
export function counts(of: Record<string, number>): string {
  const parts = Object.entries(of)
    .filter(([, n]) => n > 0)
    .map(([table, n]) => `${n} ${n === 1 ? SINGULAR[table] ?? table : table}`);
  return parts.length > 0 ? parts.join(', ') : 'nothing';
}

const SINGULAR: Record<string, string> = {
  entities: 'entity',
  sources: 'source',
  claims: 'claim',
  relationships: 'relationship',
  citations: 'citation',
};
