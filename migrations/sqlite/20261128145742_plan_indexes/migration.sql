-- Indexes that let the hot reads find their rows, in page order, without scanning a table or
-- sorting all of a hub's rows (test/query-plans.test.ts checks the plans). Declared in
-- schema/tables.ts too, so drizzle-kit's snapshot agrees: the SQL is what `drizzle-kit generate` writes.

-- Replaced: an entity's ends were ordered by other_id, a source's citations by claim_id, an
-- entity's participations by event_id; every page of them sorted all of a hub's rows by id.
DROP INDEX IF EXISTS `citations_source_stance_idx`;--> statement-breakpoint
DROP INDEX IF EXISTS `event_participants_entity_idx`;--> statement-breakpoint
DROP INDEX IF EXISTS `relationship_ends_traversal_idx`;--> statement-breakpoint
-- Source.claims(stance): a source's citations of one stance, by id.
CREATE INDEX `citations_source_stance_order_idx` ON `citations` (`source_id`,`stance`,`id`);--> statement-breakpoint
-- entities(...) pages by name then id: across all kinds, and within one kind.
CREATE INDEX `entities_name_idx` ON `entities` (`name`,`id`);--> statement-breakpoint
CREATE INDEX `entities_kind_name_idx` ON `entities` (`kind`,`name`,`id`);--> statement-breakpoint
-- Entity.events: an entity's participations by id; paths read event_id from the same entries.
CREATE INDEX `event_participants_entity_order_idx` ON `event_participants` (`entity_id`,`id`,`event_id`);--> statement-breakpoint
-- Entity.relationships (both directions) and neighborhoods: an entity's ends by id. Covering for
-- the path search, which reads other_id and relationship_id.
CREATE INDEX `relationship_ends_entity_order_idx` ON `relationship_ends` (`entity_id`,`id`,`other_id`,`relationship_id`);--> statement-breakpoint
-- The foreign key other_id -> entities: deleting an entity looks up the ends that point at it.
CREATE INDEX `relationship_ends_other_idx` ON `relationship_ends` (`other_id`);
