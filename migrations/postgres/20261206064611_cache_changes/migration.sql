-- cache_changes on PostgreSQL: the PL/pgSQL twin of SQLite's cache tags (migrations
-- 20261128161855_cache_changes, 20261128183646_cache_fields, 20261206044100_provenance), so the
-- response cache, live queries and the path index read the same tags for the same writes: every
-- trigger writes its row's tags in SQLite's order, once each, NULLs left out. A tag is
-- "Type:rowid", "Type:rowid#list" for a parent whose list changed, or "links".
--
-- What SQLite learns by polling (data_version), other processes learn here by LISTEN: inserting
-- tags notifies channel claimgraph_changes (delivered at commit, once per transaction: the
-- payload is empty), and each process then reads the rows its last look could not see
-- (src/db/postgres-change-feed.ts). `xid` is the writing transaction, so a reader asks "committed
-- since my last snapshot" exactly, whatever order concurrent transactions took their ids and
-- committed in. The newest 10,000 rows are kept, as on SQLite. A bulk load that sets these
-- triggers aside must `NOTIFY claimgraph_changes, 'reset'` when it commits.
CREATE TABLE cache_changes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tag text COLLATE "C" NOT NULL,
  xid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
--> statement-breakpoint
CREATE INDEX cache_changes_xid_idx ON cache_changes (xid);
--> statement-breakpoint
-- Writes `tags` in order, each once, leaving out NULLs (a tag of a NULL reference is NULL): what
-- SQLite's `SELECT DISTINCT column1 FROM (VALUES …) WHERE column1 IS NOT NULL` writes.
CREATE FUNCTION cache_changes_write(VARIADIC tags text[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO cache_changes (tag)
  SELECT tag FROM unnest(tags) WITH ORDINALITY AS t(tag, n) WHERE tag IS NOT NULL GROUP BY tag ORDER BY min(n)
$$;
--> statement-breakpoint
CREATE FUNCTION cache_changes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('claimgraph_changes', '');
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER cache_changes_notify AFTER INSERT ON cache_changes
  FOR EACH STATEMENT EXECUTE FUNCTION cache_changes_notify();
--> statement-breakpoint
CREATE FUNCTION cache_changes_prune() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM cache_changes WHERE id <= NEW.id - 10000;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER cache_changes_prune AFTER INSERT ON cache_changes
  FOR EACH ROW WHEN (NEW.id % 1000 = 0) EXECUTE FUNCTION cache_changes_prune();
--> statement-breakpoint
CREATE FUNCTION entities_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN PERFORM cache_changes_write('Entity:' || NEW.id);
  ELSIF TG_OP = 'UPDATE' THEN PERFORM cache_changes_write('Entity:' || OLD.id, 'Entity:' || NEW.id);
  ELSE PERFORM cache_changes_write('Entity:' || OLD.id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER entities_cache AFTER INSERT OR UPDATE OR DELETE ON entities
  FOR EACH ROW EXECUTE FUNCTION entities_cache();
--> statement-breakpoint
CREATE FUNCTION entity_aliases_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN PERFORM cache_changes_write('Entity:' || NEW.entity_id);
  ELSIF TG_OP = 'UPDATE' THEN PERFORM cache_changes_write('Entity:' || OLD.entity_id, 'Entity:' || NEW.entity_id);
  ELSE PERFORM cache_changes_write('Entity:' || OLD.entity_id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER entity_aliases_cache AFTER INSERT OR UPDATE OR DELETE ON entity_aliases
  FOR EACH ROW EXECUTE FUNCTION entity_aliases_cache();
--> statement-breakpoint
CREATE FUNCTION event_participants_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM cache_changes_write('Entity:' || NEW.event_id || '#participants', 'Entity:' || NEW.entity_id || '#events', 'links');
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM cache_changes_write('Entity:' || OLD.event_id || '#participants', 'Entity:' || OLD.entity_id || '#events', 'links',
      'Entity:' || NEW.event_id || '#participants', 'Entity:' || NEW.entity_id || '#events');
  ELSE
    PERFORM cache_changes_write('Entity:' || OLD.event_id || '#participants', 'Entity:' || OLD.entity_id || '#events', 'links');
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER event_participants_cache AFTER INSERT OR UPDATE OR DELETE ON event_participants
  FOR EACH ROW EXECUTE FUNCTION event_participants_cache();
--> statement-breakpoint
CREATE FUNCTION relationships_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM cache_changes_write('Relationship:' || NEW.id, 'Entity:' || NEW.subject_id || '#relationships', 'Entity:' || NEW.object_id || '#relationships', 'links');
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM cache_changes_write('Relationship:' || OLD.id, 'Entity:' || OLD.subject_id || '#relationships', 'Entity:' || OLD.object_id || '#relationships', 'links',
      'Relationship:' || NEW.id, 'Entity:' || NEW.subject_id || '#relationships', 'Entity:' || NEW.object_id || '#relationships');
  ELSE
    PERFORM cache_changes_write('Relationship:' || OLD.id, 'Entity:' || OLD.subject_id || '#relationships', 'Entity:' || OLD.object_id || '#relationships', 'links');
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER relationships_cache AFTER INSERT OR UPDATE OR DELETE ON relationships
  FOR EACH ROW EXECUTE FUNCTION relationships_cache();
--> statement-breakpoint
-- A relationship's claims are its basis's claims too (Relationship.basis.claims): the
-- relationship itself is tagged as well as its `claims` list.
CREATE FUNCTION relationship_claims_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM cache_changes_write('Relationship:' || NEW.relationship_id || '#claims', 'Relationship:' || NEW.relationship_id);
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM cache_changes_write('Relationship:' || OLD.relationship_id || '#claims', 'Relationship:' || NEW.relationship_id || '#claims',
      'Relationship:' || OLD.relationship_id, 'Relationship:' || NEW.relationship_id);
  ELSE
    PERFORM cache_changes_write('Relationship:' || OLD.relationship_id || '#claims', 'Relationship:' || OLD.relationship_id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER relationship_claims_cache AFTER INSERT OR UPDATE OR DELETE ON relationship_claims
  FOR EACH ROW EXECUTE FUNCTION relationship_claims_cache();
--> statement-breakpoint
CREATE FUNCTION sources_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN PERFORM cache_changes_write('Source:' || NEW.id);
  ELSIF TG_OP = 'UPDATE' THEN PERFORM cache_changes_write('Source:' || OLD.id, 'Source:' || NEW.id);
  ELSE PERFORM cache_changes_write('Source:' || OLD.id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER sources_cache AFTER INSERT OR UPDATE OR DELETE ON sources
  FOR EACH ROW EXECUTE FUNCTION sources_cache();
--> statement-breakpoint
-- A claim whose support changes also tags the claimsAbout (and claims) lists of the entities it is
-- about, which `support` filters: one pair per subject, in subject order, as SQLite writes them.
CREATE FUNCTION claims_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM cache_changes_write('Claim:' || NEW.id, 'Entity:' || NEW.claimant_id || '#claimsMade', 'Source:' || NEW.appears_in_id || '#statedClaims');
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM cache_changes_write('Claim:' || OLD.id, 'Entity:' || OLD.claimant_id || '#claimsMade', 'Source:' || OLD.appears_in_id || '#statedClaims',
      'Claim:' || NEW.id, 'Entity:' || NEW.claimant_id || '#claimsMade', 'Source:' || NEW.appears_in_id || '#statedClaims');
    IF OLD.support IS DISTINCT FROM NEW.support THEN
      INSERT INTO cache_changes (tag)
      SELECT 'Entity:' || s.entity_id || x.suffix
      FROM claim_subjects s CROSS JOIN (VALUES (1, '#claimsAbout'), (2, '#claims')) AS x(n, suffix)
      WHERE s.claim_id = NEW.id
      ORDER BY s.entity_id, x.n;
    END IF;
  ELSE
    PERFORM cache_changes_write('Claim:' || OLD.id, 'Entity:' || OLD.claimant_id || '#claimsMade', 'Source:' || OLD.appears_in_id || '#statedClaims');
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER claims_cache AFTER INSERT OR UPDATE OR DELETE ON claims
  FOR EACH ROW EXECUTE FUNCTION claims_cache();
--> statement-breakpoint
CREATE FUNCTION claim_subjects_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM cache_changes_write('Claim:' || NEW.claim_id || '#about', 'Entity:' || NEW.entity_id || '#claimsAbout', 'Entity:' || NEW.entity_id || '#claims');
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM cache_changes_write('Claim:' || OLD.claim_id || '#about', 'Entity:' || OLD.entity_id || '#claimsAbout', 'Entity:' || OLD.entity_id || '#claims',
      'Claim:' || NEW.claim_id || '#about', 'Entity:' || NEW.entity_id || '#claimsAbout', 'Entity:' || NEW.entity_id || '#claims');
  ELSE
    PERFORM cache_changes_write('Claim:' || OLD.claim_id || '#about', 'Entity:' || OLD.entity_id || '#claimsAbout', 'Entity:' || OLD.entity_id || '#claims');
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER claim_subjects_cache AFTER INSERT OR UPDATE OR DELETE ON claim_subjects
  FOR EACH ROW EXECUTE FUNCTION claim_subjects_cache();
--> statement-breakpoint
-- A contradiction row carries a basis, shown by Claim.contradictions, besides the contradicts lists.
CREATE FUNCTION claim_contradictions_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM cache_changes_write('Claim:' || NEW.claim_id || '#contradicts', 'Claim:' || NEW.contradicts_id || '#contradicts',
      'Claim:' || NEW.claim_id || '#contradictions', 'Claim:' || NEW.contradicts_id || '#contradictions');
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM cache_changes_write('Claim:' || OLD.claim_id || '#contradicts', 'Claim:' || OLD.contradicts_id || '#contradicts',
      'Claim:' || NEW.claim_id || '#contradicts', 'Claim:' || NEW.contradicts_id || '#contradicts',
      'Claim:' || OLD.claim_id || '#contradictions', 'Claim:' || OLD.contradicts_id || '#contradictions',
      'Claim:' || NEW.claim_id || '#contradictions', 'Claim:' || NEW.contradicts_id || '#contradictions');
  ELSE
    PERFORM cache_changes_write('Claim:' || OLD.claim_id || '#contradicts', 'Claim:' || OLD.contradicts_id || '#contradicts',
      'Claim:' || OLD.claim_id || '#contradictions', 'Claim:' || OLD.contradicts_id || '#contradictions');
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER claim_contradictions_cache AFTER INSERT OR UPDATE OR DELETE ON claim_contradictions
  FOR EACH ROW EXECUTE FUNCTION claim_contradictions_cache();
--> statement-breakpoint
CREATE FUNCTION citations_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM cache_changes_write('Citation:' || NEW.id, 'Claim:' || NEW.claim_id || '#citations', 'Source:' || NEW.source_id || '#claims', 'Source:' || NEW.source_id || '#citations');
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM cache_changes_write('Citation:' || OLD.id, 'Claim:' || OLD.claim_id || '#citations', 'Source:' || OLD.source_id || '#claims', 'Source:' || OLD.source_id || '#citations',
      'Citation:' || NEW.id, 'Claim:' || NEW.claim_id || '#citations', 'Source:' || NEW.source_id || '#claims', 'Source:' || NEW.source_id || '#citations');
  ELSE
    PERFORM cache_changes_write('Citation:' || OLD.id, 'Claim:' || OLD.claim_id || '#citations', 'Source:' || OLD.source_id || '#claims', 'Source:' || OLD.source_id || '#citations');
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Named to fire before citations_support_* (PostgreSQL fires a table's triggers in name order), as
-- SQLite fires the citation's own tags before the claim's.
CREATE TRIGGER citations_cache AFTER INSERT OR UPDATE OR DELETE ON citations
  FOR EACH ROW EXECUTE FUNCTION citations_cache();
--> statement-breakpoint
-- SQLite's citations trigger rewrites the claim's support on every citation change, so the claim
-- is tagged (Claim:n, its claimant's and source's lists) whether or not its support moved;
-- 20261206052530_derived skipped the write when nothing changed, which left those tags out.
-- Rewritten the same way here so both engines tag the same writes alike.
CREATE OR REPLACE FUNCTION citations_support() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE claims SET support = d.support
  FROM claim_support_derived d
  WHERE d.claim_id = claims.id
    AND claims.id IN (
      CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN OLD.claim_id END,
      CASE WHEN TG_OP IN ('UPDATE', 'INSERT') THEN NEW.claim_id END);
  RETURN NULL;
END $$;
