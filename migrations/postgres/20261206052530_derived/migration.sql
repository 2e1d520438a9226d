-- Derived data kept by the database itself, so every write path (GraphQL, import, a SQL shell)
-- agrees: the PL/pgSQL twin of migrations/20261128135039_derived (SQLite), same names.

-- Text compares and sorts by code point, as SQLite's BINARY collation does, whatever the
-- database's default collation is (a server created with en_US.UTF-8 or an ICU locale would put
-- "eBay" before "Elon Musk" and "éclair" among the e's: pages, cursors and orderBy would then
-- answer differently from SQLite). drizzle-orm 1.0.0-rc.5's pg-core cannot declare a column's
-- collation, so it is set here, first (a view's columns cannot change collation), on every text
-- column of the schema; a table added later needs
-- the same (test/postgres-engine.test.ts fails on any text column left with another collation).
DO $$
DECLARE
  col record;
BEGIN
  FOR col IN
    SELECT c.table_name, c.column_name
    FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.data_type = 'text'
      AND c.collation_name IS DISTINCT FROM 'C'
      AND c.table_name NOT LIKE '\_\_drizzle%'
  LOOP
    EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE text COLLATE "C"', col.table_name, col.column_name);
  END LOOP;
END $$;
--> statement-breakpoint

-- relationship_ends: each relationship once from each end, for traversal in either direction.
-- Deleting a relationship removes its ends through the foreign key's ON DELETE CASCADE.
CREATE FUNCTION relationships_ends_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO relationship_ends (entity_id, relationship_id, direction, other_id)
  VALUES (NEW.subject_id, NEW.id, 'OUTGOING', NEW.object_id),
         (NEW.object_id, NEW.id, 'INCOMING', NEW.subject_id);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER relationships_ends_insert AFTER INSERT ON relationships
  FOR EACH ROW EXECUTE FUNCTION relationships_ends_insert();
--> statement-breakpoint
CREATE FUNCTION relationships_ends_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE relationship_ends SET entity_id = NEW.subject_id, other_id = NEW.object_id
  WHERE relationship_id = NEW.id AND direction = 'OUTGOING';
  UPDATE relationship_ends SET entity_id = NEW.object_id, other_id = NEW.subject_id
  WHERE relationship_id = NEW.id AND direction = 'INCOMING';
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER relationships_ends_update AFTER UPDATE OF subject_id, object_id ON relationships
  FOR EACH ROW EXECUTE FUNCTION relationships_ends_update();
--> statement-breakpoint
-- claims.support: SUPPORTED when a citation SUPPORTS and none REFUTES, CONTESTED when both,
-- REFUTED when only REFUTES, UNSUPPORTED otherwise (MENTIONS and QUALIFIES are not support).
CREATE VIEW claim_support_derived AS
SELECT id AS claim_id,
  CASE
    WHEN supports AND refutes THEN 'CONTESTED'
    WHEN supports THEN 'SUPPORTED'
    WHEN refutes THEN 'REFUTED'
    ELSE 'UNSUPPORTED'
  END AS support
FROM (
  SELECT claims.id,
    EXISTS (SELECT 1 FROM citations c WHERE c.claim_id = claims.id AND c.stance = 'SUPPORTS') AS supports,
    EXISTS (SELECT 1 FROM citations c WHERE c.claim_id = claims.id AND c.stance = 'REFUTES') AS refutes
  FROM claims
) AS stances;
--> statement-breakpoint
-- One function for insert, update and delete: it recomputes the claim(s) the changed row names.
-- IS DISTINCT FROM keeps a recomputation that changes nothing from writing the claim row.
CREATE FUNCTION citations_support() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE claims SET support = d.support
  FROM claim_support_derived d
  WHERE d.claim_id = claims.id
    AND claims.id IN (
      CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN OLD.claim_id END,
      CASE WHEN TG_OP IN ('UPDATE', 'INSERT') THEN NEW.claim_id END)
    AND claims.support IS DISTINCT FROM d.support;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER citations_support_insert AFTER INSERT ON citations
  FOR EACH ROW EXECUTE FUNCTION citations_support();
--> statement-breakpoint
CREATE TRIGGER citations_support_delete AFTER DELETE ON citations
  FOR EACH ROW EXECUTE FUNCTION citations_support();
--> statement-breakpoint
CREATE TRIGGER citations_support_update AFTER UPDATE OF claim_id, stance ON citations
  FOR EACH ROW EXECUTE FUNCTION citations_support();
