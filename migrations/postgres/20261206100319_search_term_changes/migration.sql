-- Writers no longer wait on each other for search_term_counts. Each word held one row, updated by
-- every write of a document holding it: two transactions indexing documents that share a word
-- waited on each other's commit, and one transaction writing many documents built a chain of
-- row versions per common word. Now a write inserts its changes into search_term_changes (one
-- row per word of the document, +1 or -1) and touches no shared row; search_term_documents adds
-- them to search_term_counts, and is what search reads. Now and then a write under READ
-- COMMITTED folds the changes it sees into search_term_counts, one fold at a time (an advisory
-- lock tried, not waited for: a write that does not get it leaves the folding to a later one).
CREATE TABLE search_term_changes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  term text COLLATE "C" NOT NULL,
  documents integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX search_term_changes_term_idx ON search_term_changes (term);
--> statement-breakpoint
-- How many documents hold each word, exactly, in the reader's snapshot.
CREATE VIEW search_term_documents AS
SELECT term, sum(documents)::integer AS documents FROM (
  SELECT term, documents FROM search_term_counts
  UNION ALL
  SELECT term, documents FROM search_term_changes
) AS counted
GROUP BY term HAVING sum(documents) > 0;
--> statement-breakpoint
CREATE FUNCTION search_term_counts_fold() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  emptied text[];
BEGIN
  -- 'clai' (as the migrations' lock), 2: one fold at a time, so no fold waits on another's rows.
  IF NOT pg_try_advisory_xact_lock(1668047209, 2) THEN
    RETURN;
  END IF;
  WITH moved AS (
    DELETE FROM search_term_changes WHERE id IN (SELECT id FROM search_term_changes ORDER BY id FOR UPDATE SKIP LOCKED)
    RETURNING term, documents),
  folded AS (
    INSERT INTO search_term_counts (term, documents)
    SELECT term, sum(documents) FROM moved GROUP BY term ORDER BY term
    ON CONFLICT (term) DO UPDATE SET documents = search_term_counts.documents + excluded.documents
    RETURNING term, documents)
  SELECT array_agg(term) FILTER (WHERE documents <= 0) INTO emptied FROM folded;
  IF emptied IS NOT NULL THEN
    DELETE FROM search_term_counts WHERE term = ANY (emptied) AND documents <= 0;
  END IF;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION search_documents_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta_documents bigint := 0;
  delta_tokens bigint := 0;
  logged bigint;
  first_change bigint;
  last_change bigint;
  read_committed boolean := current_setting('transaction_isolation') = 'read committed';
BEGIN
  IF TG_OP <> 'INSERT' THEN
    WITH changed AS (
      INSERT INTO search_term_changes (term, documents) SELECT term, -1 FROM unnest(tsvector_to_array(OLD.tsv)) AS term RETURNING id)
    SELECT min(id), max(id) INTO first_change, last_change FROM changed;
    delta_documents := delta_documents - 1;
    delta_tokens := delta_tokens - search_tokens(OLD.tsv, OLD.name, OLD.aliases, OLD.body);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    WITH changed AS (
      INSERT INTO search_term_changes (term, documents) SELECT term, 1 FROM unnest(tsvector_to_array(NEW.tsv)) AS term RETURNING id)
    SELECT coalesce(first_change, min(id)), coalesce(max(id), last_change) INTO first_change, last_change FROM changed;
    delta_documents := delta_documents + 1;
    delta_tokens := delta_tokens + search_tokens(NEW.tsv, NEW.name, NEW.aliases, NEW.body);
  END IF;
  -- Every 1,024 changes, the write that crosses the mark folds them.
  IF read_committed AND last_change / 1024 > (first_change - 1) / 1024 THEN
    PERFORM search_term_counts_fold();
  END IF;
  IF delta_documents <> 0 OR delta_tokens <> 0 THEN
    INSERT INTO search_totals (documents, tokens) VALUES (delta_documents, delta_tokens) RETURNING id INTO logged;
    IF logged % 128 = 0 AND read_committed THEN
      PERFORM search_totals_fold();
    END IF;
  END IF;
  RETURN NULL;
END $$;
