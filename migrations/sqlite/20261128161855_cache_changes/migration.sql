-- cache_changes: which rows' GraphQL objects a write changed, written by triggers on every write
-- path (cascades included) in the writing transaction. Each server process answers repeated reads
-- from memory (src/cache.ts); before it answers, it reads the tags written since it last looked
-- and drops every cached answer that shows one of those objects, or that lists, searches or
-- traverses (those may change with any write). A write also tags the parents whose lists or
-- counts it changes: a new citation tags its claim and its source. A tag is "Type:rowid". The
-- newest 10,000 are kept; a process further behind than that forgets every cached answer, as it
-- does when the schema changes (a bulk load sets these triggers aside and so writes no tags).
CREATE TABLE `cache_changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`tag` text NOT NULL
);
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
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Entity:' || NEW.`event_id`), ('Entity:' || NEW.`entity_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `event_participants_cache_update` AFTER UPDATE ON `event_participants` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Entity:' || OLD.`event_id`), ('Entity:' || OLD.`entity_id`), ('Entity:' || NEW.`event_id`), ('Entity:' || NEW.`entity_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `event_participants_cache_delete` AFTER DELETE ON `event_participants` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Entity:' || OLD.`event_id`), ('Entity:' || OLD.`entity_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `relationships_cache_insert` AFTER INSERT ON `relationships` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Relationship:' || NEW.`id`), ('Entity:' || NEW.`subject_id`), ('Entity:' || NEW.`object_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `relationships_cache_update` AFTER UPDATE ON `relationships` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Relationship:' || OLD.`id`), ('Entity:' || OLD.`subject_id`), ('Entity:' || OLD.`object_id`), ('Relationship:' || NEW.`id`), ('Entity:' || NEW.`subject_id`), ('Entity:' || NEW.`object_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `relationships_cache_delete` AFTER DELETE ON `relationships` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Relationship:' || OLD.`id`), ('Entity:' || OLD.`subject_id`), ('Entity:' || OLD.`object_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `relationship_claims_cache_insert` AFTER INSERT ON `relationship_claims` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Relationship:' || NEW.`relationship_id`), ('Claim:' || NEW.`claim_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `relationship_claims_cache_update` AFTER UPDATE ON `relationship_claims` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Relationship:' || OLD.`relationship_id`), ('Claim:' || OLD.`claim_id`), ('Relationship:' || NEW.`relationship_id`), ('Claim:' || NEW.`claim_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `relationship_claims_cache_delete` AFTER DELETE ON `relationship_claims` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Relationship:' || OLD.`relationship_id`), ('Claim:' || OLD.`claim_id`)) WHERE column1 IS NOT NULL;
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
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || NEW.`id`), ('Entity:' || NEW.`claimant_id`), ('Source:' || NEW.`appears_in_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claims_cache_update` AFTER UPDATE ON `claims` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || OLD.`id`), ('Entity:' || OLD.`claimant_id`), ('Source:' || OLD.`appears_in_id`), ('Claim:' || NEW.`id`), ('Entity:' || NEW.`claimant_id`), ('Source:' || NEW.`appears_in_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claims_cache_delete` AFTER DELETE ON `claims` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || OLD.`id`), ('Entity:' || OLD.`claimant_id`), ('Source:' || OLD.`appears_in_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claim_subjects_cache_insert` AFTER INSERT ON `claim_subjects` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || NEW.`claim_id`), ('Entity:' || NEW.`entity_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claim_subjects_cache_update` AFTER UPDATE ON `claim_subjects` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || OLD.`claim_id`), ('Entity:' || OLD.`entity_id`), ('Claim:' || NEW.`claim_id`), ('Entity:' || NEW.`entity_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claim_subjects_cache_delete` AFTER DELETE ON `claim_subjects` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || OLD.`claim_id`), ('Entity:' || OLD.`entity_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claim_contradictions_cache_insert` AFTER INSERT ON `claim_contradictions` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || NEW.`claim_id`), ('Claim:' || NEW.`contradicts_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claim_contradictions_cache_update` AFTER UPDATE ON `claim_contradictions` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || OLD.`claim_id`), ('Claim:' || OLD.`contradicts_id`), ('Claim:' || NEW.`claim_id`), ('Claim:' || NEW.`contradicts_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claim_contradictions_cache_delete` AFTER DELETE ON `claim_contradictions` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || OLD.`claim_id`), ('Claim:' || OLD.`contradicts_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `citations_cache_insert` AFTER INSERT ON `citations` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Citation:' || NEW.`id`), ('Claim:' || NEW.`claim_id`), ('Source:' || NEW.`source_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `citations_cache_update` AFTER UPDATE ON `citations` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Citation:' || OLD.`id`), ('Claim:' || OLD.`claim_id`), ('Source:' || OLD.`source_id`), ('Citation:' || NEW.`id`), ('Claim:' || NEW.`claim_id`), ('Source:' || NEW.`source_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `citations_cache_delete` AFTER DELETE ON `citations` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Citation:' || OLD.`id`), ('Claim:' || OLD.`claim_id`), ('Source:' || OLD.`source_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `cache_changes_prune` AFTER INSERT ON `cache_changes` WHEN NEW.`id` % 1000 = 0 BEGIN
  DELETE FROM `cache_changes` WHERE `id` <= NEW.`id` - 10000;
END;
