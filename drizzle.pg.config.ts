import { defineConfig } from 'drizzle-kit';

/** The PostgreSQL dialect's migrations; drizzle.config.ts is SQLite's. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './schema/pg/tables.ts',
  out: './migrations/postgres',
});
