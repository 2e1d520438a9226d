-- Search ranks with bm25 on PostgreSQL, computed as FTS5 computes it (src/db/postgres-search.ts), so
-- scores and the order of results are the same as on SQLite. FTS5's bm25 needs, besides what the
-- tsvector holds: how many documents there are and how many words they hold in all (the average
-- document length), each document's length in words, and each phrase's frequency in each column.
--
-- A document's length and its frequencies are read out of its tsvector (one position per word,
-- each weighted A, B or C by its column), which holds every word unless the document is long: a
-- lexeme keeps at most 256 positions and positions stop at 16,383. A tsvector that hit either
-- limit is recounted from the text (search_length, search_frequency), so the figures are always
-- FTS5's. search_tokens is that length, the same at write time (counted into search_totals) as at
-- query time.
CREATE FUNCTION search_length(t text) RETURNS integer LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path FROM CURRENT AS $$
BEGIN
  RETURN coalesce(cardinality(array_remove(string_to_array(search_fold(t), ' '), '')), 0);
END $$;
--> statement-breakpoint
-- Whether every position of a tsvector's lexeme is there: fewer than 256, the last below 16,383.
CREATE FUNCTION search_positions_whole(positions smallint[]) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT cardinality(positions) < 256 AND positions[cardinality(positions)] < 16383
$$;
--> statement-breakpoint
CREATE FUNCTION search_tokens(tsv tsvector, name text, aliases text, body text) RETURNS integer LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path FROM CURRENT AS $$
DECLARE
  counted integer;
  whole boolean;
BEGIN
  SELECT sum(cardinality(u.positions)), bool_and(search_positions_whole(u.positions)) INTO counted, whole FROM unnest(tsv) AS u;
  IF whole IS FALSE THEN
    RETURN search_length(coalesce(name, '')) + search_length(coalesce(aliases, '')) + search_length(coalesce(body, ''));
  END IF;
  RETURN coalesce(counted, 0);
END $$;
--> statement-breakpoint
-- A phrase's frequencies in a document's name, aliases and body, counted in the text as the index
-- holds it (words cut at 500 characters): a word, or (prefix) the words it begins.
CREATE FUNCTION search_frequency(name text, aliases text, body text, term text, prefix boolean) RETURNS integer[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path FROM CURRENT AS $$
BEGIN
  RETURN ARRAY(
    SELECT (SELECT count(*) FROM unnest(string_to_array(search_fold(coalesce(c.t, '')), ' ')) AS w(word)
        WHERE word <> '' AND CASE WHEN prefix THEN starts_with(left(word, 500), term) ELSE left(word, 500) = term END)::integer
    FROM unnest(ARRAY[name, aliases, body]) WITH ORDINALITY AS c(t, n) ORDER BY c.n);
END $$;
--> statement-breakpoint
-- How many documents the index holds and how many words in all, as changes to add up: every
-- write to search_documents inserts one row, so writers never wait on each other here (one row
-- of totals would make every indexed write queue behind the last). Now and then a write under
-- READ COMMITTED folds the rows it sees into one; rows another fold holds are skipped, not waited for.
CREATE TABLE search_totals (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  documents bigint NOT NULL,
  tokens bigint NOT NULL
);
--> statement-breakpoint
INSERT INTO search_totals (documents, tokens)
SELECT count(*), coalesce(sum(search_tokens(tsv, name, aliases, body)), 0) FROM search_documents;
--> statement-breakpoint
CREATE FUNCTION search_totals_fold() RETURNS void LANGUAGE sql AS $$
  WITH folded AS (
    DELETE FROM search_totals WHERE id IN (SELECT id FROM search_totals ORDER BY id FOR UPDATE SKIP LOCKED)
    RETURNING documents, tokens)
  INSERT INTO search_totals (documents, tokens)
  SELECT sum(documents), sum(tokens) FROM folded HAVING count(*) > 0;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION search_documents_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta_documents bigint := 0;
  delta_tokens bigint := 0;
  logged bigint;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO search_term_counts (term, documents)
    SELECT term, -1 FROM unnest(tsvector_to_array(OLD.tsv)) AS term ORDER BY term
    ON CONFLICT (term) DO UPDATE SET documents = search_term_counts.documents - 1;
    DELETE FROM search_term_counts WHERE term = ANY (tsvector_to_array(OLD.tsv)) AND search_term_counts.documents <= 0;
    delta_documents := delta_documents - 1;
    delta_tokens := delta_tokens - search_tokens(OLD.tsv, OLD.name, OLD.aliases, OLD.body);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO search_term_counts (term, documents)
    SELECT term, 1 FROM unnest(tsvector_to_array(NEW.tsv)) AS term ORDER BY term
    ON CONFLICT (term) DO UPDATE SET documents = search_term_counts.documents + 1;
    delta_documents := delta_documents + 1;
    delta_tokens := delta_tokens + search_tokens(NEW.tsv, NEW.name, NEW.aliases, NEW.body);
  END IF;
  IF delta_documents <> 0 OR delta_tokens <> 0 THEN
    INSERT INTO search_totals (documents, tokens) VALUES (delta_documents, delta_tokens) RETURNING id INTO logged;
    IF logged % 128 = 0 AND current_setting('transaction_isolation') = 'read committed' THEN
      PERFORM search_totals_fold();
    END IF;
  END IF;
  RETURN NULL;
END $$;
