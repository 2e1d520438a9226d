-- Provenance of edges (issue 15). Every relationship and contradiction gets a basis: STATED (its
-- claims, or for a contradiction the passage juxtaposing the two, state it) or INFERRED (basis_note
-- says from what). Existing rows: a relationship with claims was recorded as asserted by them, so
-- STATED; one without claims, and every contradiction (nothing said whether the source juxtaposes
-- the pair), INFERRED with a note saying so. Entities gain GROUP (a CHECK: the table is rebuilt;
-- the triggers and the view that name it, and the triggers that name the view, are dropped first and recreated unchanged after) and the
-- source of their Wikidata id. migrateDatabase turns foreign keys off around migrations, as
-- SQLite's table-rebuild procedure needs, and checks them after.
ALTER TABLE `claim_contradictions` ADD `basis` text DEFAULT 'INFERRED' NOT NULL;--> statement-breakpoint
ALTER TABLE `claim_contradictions` ADD `basis_note` text;--> statement-breakpoint
ALTER TABLE `claim_contradictions` ADD `basis_quote` text;--> statement-breakpoint
ALTER TABLE `relationships` ADD `basis` text DEFAULT 'INFERRED' NOT NULL;--> statement-breakpoint
ALTER TABLE `relationships` ADD `basis_note` text;--> statement-breakpoint
DROP VIEW `entity_search_rows`;--> statement-breakpoint
DROP TRIGGER `entities_cache_delete`;--> statement-breakpoint
DROP TRIGGER `entities_cache_insert`;--> statement-breakpoint
DROP TRIGGER `entities_cache_update`;--> statement-breakpoint
DROP TRIGGER `entities_search_delete`;--> statement-breakpoint
DROP TRIGGER `entities_search_insert`;--> statement-breakpoint
DROP TRIGGER `entities_search_update`;--> statement-breakpoint
DROP TRIGGER `entity_aliases_search_delete`;--> statement-breakpoint
DROP TRIGGER `entity_aliases_search_insert`;--> statement-breakpoint
DROP TRIGGER `entity_aliases_search_update`;--> statement-breakpoint
CREATE TABLE `__new_entities` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`slug` text NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`wikidata_id` text,
	`wikidata_source_id` integer,
	`founded_on` text,
	`legal_form` text,
	`occupation` text,
	`developer_id` integer,
	`released_on` text,
	`start_date` text,
	`end_date` text,
	`status` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT `fk_entities_wikidata_source_id_sources_id_fk` FOREIGN KEY (`wikidata_source_id`) REFERENCES `sources`(`id`),
	CONSTRAINT `fk_entities_developer_id_entities_id_fk` FOREIGN KEY (`developer_id`) REFERENCES `entities`(`id`),
	CONSTRAINT "entities_slug_check" CHECK(length("slug") BETWEEN 1 AND 200 AND "slug" NOT GLOB '*[^a-z0-9-]*'),
	CONSTRAINT "entities_kind_check" CHECK("kind" IN ('ORGANIZATION', 'PERSON', 'EVENT', 'PRODUCT', 'PLACE', 'GROUP')),
	CONSTRAINT "entities_name_check" CHECK(length(trim("name")) > 0),
	CONSTRAINT "entities_status_check" CHECK("status" IS NULL OR "status" IN ('OCCURRED', 'PROPOSED', 'FAILED', 'ALLEGED', 'ONGOING')),
	CONSTRAINT "entities_wikidata_check" CHECK("wikidata_id" IS NULL OR "wikidata_id" GLOB 'Q[1-9]*'),
	CONSTRAINT "entities_wikidata_source_check" CHECK("wikidata_source_id" IS NULL OR "wikidata_id" IS NOT NULL),
	CONSTRAINT "entities_founded_on_check" CHECK("founded_on" IS NULL OR "founded_on" GLOB '[0-9][0-9][0-9][0-9]' OR "founded_on" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]' OR "founded_on" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
	CONSTRAINT "entities_released_on_check" CHECK("released_on" IS NULL OR "released_on" GLOB '[0-9][0-9][0-9][0-9]' OR "released_on" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]' OR "released_on" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
	CONSTRAINT "entities_start_date_check" CHECK("start_date" IS NULL OR "start_date" GLOB '[0-9][0-9][0-9][0-9]' OR "start_date" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]' OR "start_date" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
	CONSTRAINT "entities_end_date_check" CHECK("end_date" IS NULL OR "end_date" GLOB '[0-9][0-9][0-9][0-9]' OR "end_date" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]' OR "end_date" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
	CONSTRAINT "entities_organization_fields_check" CHECK("kind" = 'ORGANIZATION' OR ("founded_on" IS NULL AND "legal_form" IS NULL)),
	CONSTRAINT "entities_person_fields_check" CHECK("kind" = 'PERSON' OR "occupation" IS NULL),
	CONSTRAINT "entities_product_fields_check" CHECK("kind" = 'PRODUCT' OR ("developer_id" IS NULL AND "released_on" IS NULL)),
	CONSTRAINT "entities_event_fields_check" CHECK(("kind" = 'EVENT') = ("status" IS NOT NULL) AND ("kind" = 'EVENT' OR ("start_date" IS NULL AND "end_date" IS NULL)))
);
--> statement-breakpoint
INSERT INTO `__new_entities`(`id`, `slug`, `kind`, `name`, `description`, `wikidata_id`, `founded_on`, `legal_form`, `occupation`, `developer_id`, `released_on`, `start_date`, `end_date`, `status`, `created_at`, `updated_at`) SELECT `id`, `slug`, `kind`, `name`, `description`, `wikidata_id`, `founded_on`, `legal_form`, `occupation`, `developer_id`, `released_on`, `start_date`, `end_date`, `status`, `created_at`, `updated_at` FROM `entities`;--> statement-breakpoint
DROP TABLE `entities`;--> statement-breakpoint
ALTER TABLE `__new_entities` RENAME TO `entities`;--> statement-breakpoint
CREATE UNIQUE INDEX `entities_slug_unique` ON `entities` (`slug`);--> statement-breakpoint
CREATE INDEX `entities_kind_idx` ON `entities` (`kind`,`id`);--> statement-breakpoint
CREATE INDEX `entities_name_idx` ON `entities` (`name`,`id`);--> statement-breakpoint
CREATE INDEX `entities_kind_name_idx` ON `entities` (`kind`,`name`,`id`);--> statement-breakpoint
CREATE INDEX `entities_name_lower_idx` ON `entities` (lower("name"));--> statement-breakpoint
CREATE INDEX `entities_developer_idx` ON `entities` (`developer_id`);--> statement-breakpoint
CREATE INDEX `entities_timeline_idx` ON `entities` (`kind`,coalesce("start_date", '~'),`id`);--> statement-breakpoint
CREATE VIEW `entity_search_rows` AS
SELECT e.`id` * 4 AS `search_rowid`, e.`kind` AS `kind`, e.`id` AS `ref_id`,
  e.`name` AS `name`,
  coalesce((SELECT group_concat(a.`alias`, ' | ') FROM `entity_aliases` a WHERE a.`entity_id` = e.`id`), '') AS `aliases`,
  coalesce(e.`description`, '') AS `body`
FROM `entities` e;
--> statement-breakpoint
CREATE TRIGGER `entities_cache_delete` AFTER DELETE ON `entities` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT column1 FROM (VALUES ('Entity:' || OLD.`id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `entities_cache_insert` AFTER INSERT ON `entities` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT column1 FROM (VALUES ('Entity:' || NEW.`id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `entities_cache_update` AFTER UPDATE ON `entities` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Entity:' || OLD.`id`), ('Entity:' || NEW.`id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `entities_search_delete` AFTER DELETE ON `entities` BEGIN
  DELETE FROM `search_documents` WHERE `search_rowid` = OLD.`id` * 4;
END;
--> statement-breakpoint
CREATE TRIGGER `entities_search_insert` AFTER INSERT ON `entities` BEGIN
  INSERT INTO `search_documents` (`search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`)
  SELECT `search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body` FROM `entity_search_rows` WHERE `ref_id` = NEW.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `entities_search_update` AFTER UPDATE OF `kind`, `name`, `description` ON `entities` BEGIN
  DELETE FROM `search_documents` WHERE `search_rowid` = OLD.`id` * 4;
  INSERT INTO `search_documents` (`search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`)
  SELECT `search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body` FROM `entity_search_rows` WHERE `ref_id` = NEW.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `entity_aliases_search_delete` AFTER DELETE ON `entity_aliases` BEGIN
  DELETE FROM `search_documents` WHERE `search_rowid` = OLD.`entity_id` * 4;
  INSERT INTO `search_documents` (`search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`)
  SELECT `search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body` FROM `entity_search_rows` WHERE `ref_id` = OLD.`entity_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `entity_aliases_search_insert` AFTER INSERT ON `entity_aliases` BEGIN
  DELETE FROM `search_documents` WHERE `search_rowid` = NEW.`entity_id` * 4;
  INSERT INTO `search_documents` (`search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`)
  SELECT `search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body` FROM `entity_search_rows` WHERE `ref_id` = NEW.`entity_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `entity_aliases_search_update` AFTER UPDATE ON `entity_aliases` BEGIN
  DELETE FROM `search_documents` WHERE `search_rowid` IN (OLD.`entity_id` * 4, NEW.`entity_id` * 4);
  INSERT INTO `search_documents` (`search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`)
  SELECT `search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body` FROM `entity_search_rows` WHERE `ref_id` IN (OLD.`entity_id`, NEW.`entity_id`);
END;
--> statement-breakpoint
UPDATE `relationships` SET `basis` = CASE WHEN EXISTS (SELECT 1 FROM `relationship_claims` rc WHERE rc.`relationship_id` = `relationships`.`id`) THEN 'STATED' ELSE 'INFERRED' END,
  `basis_note` = CASE WHEN EXISTS (SELECT 1 FROM `relationship_claims` rc WHERE rc.`relationship_id` = `relationships`.`id`) THEN NULL
    ELSE 'Recorded without claims, before relationships had a basis: nothing in the graph states it.' END;
--> statement-breakpoint
UPDATE `claim_contradictions` SET `basis` = 'INFERRED', `basis_note` = 'Recorded before contradictions had a basis: nothing said whether the source sets the two claims against each other.';
--> statement-breakpoint
-- Cache tags: a contradiction row now carries a basis, shown by Claim.contradictions; and a
-- relationship's claims are its basis's claims too (Relationship.basis.claims), so a change of
-- them tags the relationship itself as well as its `claims` list.
DROP TRIGGER `claim_contradictions_cache_insert`;
--> statement-breakpoint
DROP TRIGGER `claim_contradictions_cache_update`;
--> statement-breakpoint
DROP TRIGGER `claim_contradictions_cache_delete`;
--> statement-breakpoint
DROP TRIGGER `relationship_claims_cache_insert`;
--> statement-breakpoint
DROP TRIGGER `relationship_claims_cache_update`;
--> statement-breakpoint
DROP TRIGGER `relationship_claims_cache_delete`;
--> statement-breakpoint
CREATE TRIGGER `claim_contradictions_cache_insert` AFTER INSERT ON `claim_contradictions` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || NEW.`claim_id` || '#contradicts'), ('Claim:' || NEW.`contradicts_id` || '#contradicts'), ('Claim:' || NEW.`claim_id` || '#contradictions'), ('Claim:' || NEW.`contradicts_id` || '#contradictions')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claim_contradictions_cache_update` AFTER UPDATE ON `claim_contradictions` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || OLD.`claim_id` || '#contradicts'), ('Claim:' || OLD.`contradicts_id` || '#contradicts'), ('Claim:' || NEW.`claim_id` || '#contradicts'), ('Claim:' || NEW.`contradicts_id` || '#contradicts'), ('Claim:' || OLD.`claim_id` || '#contradictions'), ('Claim:' || OLD.`contradicts_id` || '#contradictions'), ('Claim:' || NEW.`claim_id` || '#contradictions'), ('Claim:' || NEW.`contradicts_id` || '#contradictions')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `claim_contradictions_cache_delete` AFTER DELETE ON `claim_contradictions` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Claim:' || OLD.`claim_id` || '#contradicts'), ('Claim:' || OLD.`contradicts_id` || '#contradicts'), ('Claim:' || OLD.`claim_id` || '#contradictions'), ('Claim:' || OLD.`contradicts_id` || '#contradictions')) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `relationship_claims_cache_insert` AFTER INSERT ON `relationship_claims` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT column1 FROM (VALUES ('Relationship:' || NEW.`relationship_id` || '#claims'), ('Relationship:' || NEW.`relationship_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `relationship_claims_cache_update` AFTER UPDATE ON `relationship_claims` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT DISTINCT column1 FROM (VALUES ('Relationship:' || OLD.`relationship_id` || '#claims'), ('Relationship:' || NEW.`relationship_id` || '#claims'), ('Relationship:' || OLD.`relationship_id`), ('Relationship:' || NEW.`relationship_id`)) WHERE column1 IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `relationship_claims_cache_delete` AFTER DELETE ON `relationship_claims` BEGIN
  INSERT INTO `cache_changes` (`tag`) SELECT column1 FROM (VALUES ('Relationship:' || OLD.`relationship_id` || '#claims'), ('Relationship:' || OLD.`relationship_id`)) WHERE column1 IS NOT NULL;
END;
