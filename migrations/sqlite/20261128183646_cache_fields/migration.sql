-- cache_changes, tag by field: a write tags the rows it changes ("Claim:7") as before, but the
-- parents whose lists it changes by the list ("Entity:3#claimsAbout", "Source:2#claims"), so a
-- cached answer that shows the parent without that list is kept (src/cache.ts collects the same
-- tags from each answer: its objects, and the lists it selects on them). Writes that change a
-- link of the graph (relationships, event participation) also tag "links", which paths and
-- neighborhoods depend on. A claim whose support changes tags the claimsAbout lists of the
-- entities it is about, which `support` filters: those answers were missed before.
DROP TRIGGER `entities_cache_insert`;
--> statement-breakpoint
DROP TRIGGER `entities_cache_update`;
--> statement-breakpoint
DROP TRIGGER `entities_cache_delete`;
--> statement-breakpoint
DROP TRIGGER `entity_aliases_cache_insert`;
--> statement-breakpoint
DROP TRIGGER `entity_aliases_cache_update`;
--> statement-breakpoint
DROP TRIGGER `entity_aliases_cache_delete`;
--> statement-breakpoint
DROP TRIGGER `event_participants_cache_insert`;
--> statement-breakpoint
DROP TRIGGER `event_participants_cache_update`;
--> statement-breakpoint
DROP TRIGGER `event_participants_cache_delete`;
--> statement-breakpoint
DROP TRIGGER `relationships_cache_insert`;
--> statement-breakpoint
DROP TRIGGER `relationships_cache_update`;
--> statement-breakpoint
DROP TRIGGER `relationships_cache_delete`;
--> statement-breakpoint
DROP TRIGGER `relationship_claims_cache_insert`;
--> statement-breakpoint
DROP TRIGGER `relationship_claims_cache_update`;
--> statement-breakpoint
DROP TRIGGER `relationship_claims_cache_delete`;
--> statement-breakpoint
DROP TRIGGER `sources_cache_insert`;
--> statement-breakpoint
DROP TRIGGER `sources_cache_update`;
--> statement-breakpoint
DROP TRIGGER `sources_cache_delete`;
--> statement-breakpoint
DROP TRIGGER `claims_cache_insert`;
--> statement-breakpoint
DROP TRIGGER `claims_cache_update`;
--> statement-breakpoint
DROP TRIGGER `claims_cache_delete`;
--> statement-breakpoint
DROP TRIGGER `claim_subjects_cache_insert`;
--> statement-breakpoint
DROP TRIGGER `claim_subjects_cache_update`;
--> statement-breakpoint
DROP TRIGGER `claim_subjects_cache_delete`;
--> statement-breakpoint
DROP TRIGGER `claim_contradictions_cache_insert`;
--> statement-breakpoint
DROP TRIGGER `claim_contradictions_cache_update`;
--> statement-breakpoint
DROP TRIGGER `claim_contradictions_cache_delete`;
--> statement-breakpoint
DROP TRIGGER `citations_cache_insert`;
--> statement-breakpoint
DROP TRIGGER `citations_cache_update`;
--> statement-breakpoint
DROP TRIGGER `citations_cache_delete`;
--> statement-breakpoint
CREATE TRIGGER `entities_cache_insert` AFTER INSERT ON `entities` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT column1 FROM (VALUES ('Entity:' || NEW.`id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `entities_cache_update` AFTER UPDATE ON `entities` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Entity:' || OLD.`id`), ('Entity:' || NEW.`id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `entities_cache_delete` AFTER DELETE ON `entities` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT column1 FROM (VALUES ('Entity:' || OLD.`id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `entity_aliases_cache_insert` AFTER INSERT ON `entity_aliases` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT column1 FROM (VALUES ('Entity:' || NEW.`entity_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `entity_aliases_cache_update` AFTER UPDATE ON `entity_aliases` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Entity:' || OLD.`entity_id`), ('Entity:' || NEW.`entity_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `entity_aliases_cache_delete` AFTER DELETE ON `entity_aliases` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT column1 FROM (VALUES ('Entity:' || OLD.`entity_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `event_participants_cache_insert` AFTER INSERT ON `event_participants` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Entity:' || NEW.`event_id` || '#participants'), ('Entity:' || NEW.`entity_id` || '#events'), ('links')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `event_participants_cache_update` AFTER UPDATE ON `event_participants` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Entity:' || OLD.`event_id` || '#participants'), ('Entity:' || OLD.`entity_id` || '#events'), ('links'), ('Entity:' || NEW.`event_id` || '#participants'), ('Entity:' || NEW.`entity_id` || '#events'), ('links')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `event_participants_cache_delete` AFTER DELETE ON `event_participants` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Entity:' || OLD.`event_id` || '#participants'), ('Entity:' || OLD.`entity_id` || '#events'), ('links')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `relationships_cache_insert` AFTER INSERT ON `relationships` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Relationship:' || NEW.`id`), ('Entity:' || NEW.`subject_id` || '#relationships'), ('Entity:' || NEW.`object_id` || '#relationships'), ('links')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `relationships_cache_update` AFTER UPDATE ON `relationships` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Relationship:' || OLD.`id`), ('Entity:' || OLD.`subject_id` || '#relationships'), ('Entity:' || OLD.`object_id` || '#relationships'), ('links'), ('Relationship:' || NEW.`id`), ('Entity:' || NEW.`subject_id` || '#relationships'), ('Entity:' || NEW.`object_id` || '#relationships'), ('links')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `relationships_cache_delete` AFTER DELETE ON `relationships` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Relationship:' || OLD.`id`), ('Entity:' || OLD.`subject_id` || '#relationships'), ('Entity:' || OLD.`object_id` || '#relationships'), ('links')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `relationship_claims_cache_insert` AFTER INSERT ON `relationship_claims` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT column1 FROM (VALUES ('Relationship:' || NEW.`relationship_id` || '#claims')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `relationship_claims_cache_update` AFTER UPDATE ON `relationship_claims` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Relationship:' || OLD.`relationship_id` || '#claims'), ('Relationship:' || NEW.`relationship_id` || '#claims')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `relationship_claims_cache_delete` AFTER DELETE ON `relationship_claims` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT column1 FROM (VALUES ('Relationship:' || OLD.`relationship_id` || '#claims')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `sources_cache_insert` AFTER INSERT ON `sources` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT column1 FROM (VALUES ('Source:' || NEW.`id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `sources_cache_update` AFTER UPDATE ON `sources` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Source:' || OLD.`id`), ('Source:' || NEW.`id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `sources_cache_delete` AFTER DELETE ON `sources` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT column1 FROM (VALUES ('Source:' || OLD.`id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claims_cache_insert` AFTER INSERT ON `claims` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || NEW.`id`), ('Entity:' || NEW.`claimant_id` || '#claimsMade'), ('Source:' || NEW.`appears_in_id` || '#statedClaims')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claims_cache_update` AFTER UPDATE ON `claims` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || OLD.`id`), ('Entity:' || OLD.`claimant_id` || '#claimsMade'), ('Source:' || OLD.`appears_in_id` || '#statedClaims'), ('Claim:' || NEW.`id`), ('Entity:' || NEW.`claimant_id` || '#claimsMade'), ('Source:' || NEW.`appears_in_id` || '#statedClaims')) WHERE column1 IS NOT NULL;
  INSERT INTO `cache_changes` (`tag`) SELECT 'Entity:' || s.`entity_id` || suffix FROM `claim_subjects` s, (SELECT '#claimsAbout' AS suffix UNION ALL SELECT '#claims')
  WHERE s.`claim_id` = NEW.`id` AND OLD.`support` IS NOT NEW.`support`;
END;
--> statement-breakpoint
CREATE TRIGGER `claims_cache_delete` AFTER DELETE ON `claims` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || OLD.`id`), ('Entity:' || OLD.`claimant_id` || '#claimsMade'), ('Source:' || OLD.`appears_in_id` || '#statedClaims')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claim_subjects_cache_insert` AFTER INSERT ON `claim_subjects` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || NEW.`claim_id` || '#about'), ('Entity:' || NEW.`entity_id` || '#claimsAbout'), ('Entity:' || NEW.`entity_id` || '#claims')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claim_subjects_cache_update` AFTER UPDATE ON `claim_subjects` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || OLD.`claim_id` || '#about'), ('Entity:' || OLD.`entity_id` || '#claimsAbout'), ('Entity:' || OLD.`entity_id` || '#claims'), ('Claim:' || NEW.`claim_id` || '#about'), ('Entity:' || NEW.`entity_id` || '#claimsAbout'), ('Entity:' || NEW.`entity_id` || '#claims')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claim_subjects_cache_delete` AFTER DELETE ON `claim_subjects` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || OLD.`claim_id` || '#about'), ('Entity:' || OLD.`entity_id` || '#claimsAbout'), ('Entity:' || OLD.`entity_id` || '#claims')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claim_contradictions_cache_insert` AFTER INSERT ON `claim_contradictions` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || NEW.`claim_id` || '#contradicts'), ('Claim:' || NEW.`contradicts_id` || '#contradicts')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claim_contradictions_cache_update` AFTER UPDATE ON `claim_contradictions` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || OLD.`claim_id` || '#contradicts'), ('Claim:' || OLD.`contradicts_id` || '#contradicts'), ('Claim:' || NEW.`claim_id` || '#contradicts'), ('Claim:' || NEW.`contradicts_id` || '#contradicts')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claim_contradictions_cache_delete` AFTER DELETE ON `claim_contradictions` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || OLD.`claim_id` || '#contradicts'), ('Claim:' || OLD.`contradicts_id` || '#contradicts')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `citations_cache_insert` AFTER INSERT ON `citations` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Citation:' || NEW.`id`), ('Claim:' || NEW.`claim_id` || '#citations'), ('Source:' || NEW.`source_id` || '#claims'), ('Source:' || NEW.`source_id` || '#citations')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `citations_cache_update` AFTER UPDATE ON `citations` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Citation:' || OLD.`id`), ('Claim:' || OLD.`claim_id` || '#citations'), ('Source:' || OLD.`source_id` || '#claims'), ('Source:' || OLD.`source_id` || '#citations'), ('Citation:' || NEW.`id`), ('Claim:' || NEW.`claim_id` || '#citations'), ('Source:' || NEW.`source_id` || '#claims'), ('Source:' || NEW.`source_id` || '#citations')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `citations_cache_delete` AFTER DELETE ON `citations` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Citation:' || OLD.`id`), ('Claim:' || OLD.`claim_id` || '#citations'), ('Source:' || OLD.`source_id` || '#claims'), ('Source:' || OLD.`source_id` || '#citations')) WHERE column1 IS NOT NULL;
END;
