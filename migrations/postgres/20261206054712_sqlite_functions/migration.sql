-- The few SQLite functions the shared SQL calls, under the same names and with the same results,
-- so that SQL stays one text for both engines. Plain SQL functions: the planner inlines them.

-- instr(haystack, needle): 1-based position of the first match, 0 when there is none.
CREATE FUNCTION instr(text, text) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT strpos($1, $2) $$;
--> statement-breakpoint
-- within_deadline(): on SQLite a user function that stops a long statement once the request's
-- deadline has passed (src/db/index.ts). PostgreSQL stops statements itself (statement_timeout,
-- set per request: see the notes of issue 16), so here it is only true.
CREATE FUNCTION within_deadline() RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT true $$;
