CREATE TABLE `citations` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`claim_id` integer NOT NULL,
	`source_id` integer NOT NULL,
	`stance` text NOT NULL,
	`locator` text,
	`quote` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT `fk_citations_claim_id_claims_id_fk` FOREIGN KEY (`claim_id`) REFERENCES `claims`(`id`) ON DELETE CASCADE,
	CONSTRAINT `fk_citations_source_id_sources_id_fk` FOREIGN KEY (`source_id`) REFERENCES `sources`(`id`),
	CONSTRAINT "citations_stance_check" CHECK("stance" IN ('SUPPORTS', 'REFUTES', 'QUALIFIES', 'MENTIONS'))
);
--> statement-breakpoint
CREATE TABLE `claim_contradictions` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`claim_id` integer NOT NULL,
	`contradicts_id` integer NOT NULL,
	CONSTRAINT `fk_claim_contradictions_claim_id_claims_id_fk` FOREIGN KEY (`claim_id`) REFERENCES `claims`(`id`) ON DELETE CASCADE,
	CONSTRAINT `fk_claim_contradictions_contradicts_id_claims_id_fk` FOREIGN KEY (`contradicts_id`) REFERENCES `claims`(`id`) ON DELETE CASCADE,
	CONSTRAINT "claim_contradictions_not_self_check" CHECK("claim_id" <> "contradicts_id")
);
--> statement-breakpoint
CREATE TABLE `claim_subjects` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`claim_id` integer NOT NULL,
	`entity_id` integer NOT NULL,
	CONSTRAINT `fk_claim_subjects_claim_id_claims_id_fk` FOREIGN KEY (`claim_id`) REFERENCES `claims`(`id`) ON DELETE CASCADE,
	CONSTRAINT `fk_claim_subjects_entity_id_entities_id_fk` FOREIGN KEY (`entity_id`) REFERENCES `entities`(`id`)
);
--> statement-breakpoint
CREATE TABLE `claims` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`slug` text NOT NULL,
	`text` text NOT NULL,
	`kind` text NOT NULL,
	`claimant_id` integer,
	`attribution` text DEFAULT 'DIRECT' NOT NULL,
	`appears_in_id` integer NOT NULL,
	`valid_from` text,
	`valid_to` text,
	`support` text DEFAULT 'UNSUPPORTED' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT `fk_claims_claimant_id_entities_id_fk` FOREIGN KEY (`claimant_id`) REFERENCES `entities`(`id`),
	CONSTRAINT `fk_claims_appears_in_id_sources_id_fk` FOREIGN KEY (`appears_in_id`) REFERENCES `sources`(`id`),
	CONSTRAINT "claims_slug_check" CHECK(length("slug") BETWEEN 1 AND 200 AND "slug" NOT GLOB '*[^a-z0-9-]*'),
	CONSTRAINT "claims_text_check" CHECK(length(trim("text")) > 0),
	CONSTRAINT "claims_kind_check" CHECK("kind" IN ('FACT', 'POSITION', 'OPINION', 'ANECDOTE')),
	CONSTRAINT "claims_attribution_check" CHECK("attribution" IN ('DIRECT', 'REPORTED')),
	CONSTRAINT "claims_support_check" CHECK("support" IN ('SUPPORTED', 'CONTESTED', 'REFUTED', 'UNSUPPORTED')),
	CONSTRAINT "claims_valid_from_check" CHECK("valid_from" IS NULL OR "valid_from" GLOB '[0-9][0-9][0-9][0-9]' OR "valid_from" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]' OR "valid_from" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
	CONSTRAINT "claims_valid_to_check" CHECK("valid_to" IS NULL OR "valid_to" GLOB '[0-9][0-9][0-9][0-9]' OR "valid_to" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]' OR "valid_to" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]')
);
--> statement-breakpoint
CREATE TABLE `entities` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`slug` text NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`wikidata_id` text,
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
	CONSTRAINT `fk_entities_developer_id_entities_id_fk` FOREIGN KEY (`developer_id`) REFERENCES `entities`(`id`),
	CONSTRAINT "entities_slug_check" CHECK(length("slug") BETWEEN 1 AND 200 AND "slug" NOT GLOB '*[^a-z0-9-]*'),
	CONSTRAINT "entities_kind_check" CHECK("kind" IN ('ORGANIZATION', 'PERSON', 'EVENT', 'PRODUCT', 'PLACE')),
	CONSTRAINT "entities_name_check" CHECK(length(trim("name")) > 0),
	CONSTRAINT "entities_status_check" CHECK("status" IS NULL OR "status" IN ('OCCURRED', 'PROPOSED', 'FAILED', 'ALLEGED', 'ONGOING')),
	CONSTRAINT "entities_wikidata_check" CHECK("wikidata_id" IS NULL OR "wikidata_id" GLOB 'Q[1-9]*'),
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
CREATE TABLE `entity_aliases` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`entity_id` integer NOT NULL,
	`alias` text NOT NULL,
	`position` integer NOT NULL,
	CONSTRAINT `fk_entity_aliases_entity_id_entities_id_fk` FOREIGN KEY (`entity_id`) REFERENCES `entities`(`id`) ON DELETE CASCADE,
	CONSTRAINT "entity_aliases_alias_check" CHECK(length(trim("alias")) > 0)
);
--> statement-breakpoint
CREATE TABLE `event_participants` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`event_id` integer NOT NULL,
	`entity_id` integer NOT NULL,
	`role` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT `fk_event_participants_event_id_entities_id_fk` FOREIGN KEY (`event_id`) REFERENCES `entities`(`id`) ON DELETE CASCADE,
	CONSTRAINT `fk_event_participants_entity_id_entities_id_fk` FOREIGN KEY (`entity_id`) REFERENCES `entities`(`id`),
	CONSTRAINT "event_participants_role_check" CHECK(length(trim("role")) > 0),
	CONSTRAINT "event_participants_not_self_check" CHECK("event_id" <> "entity_id")
);
--> statement-breakpoint
CREATE TABLE `relationship_claims` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`relationship_id` integer NOT NULL,
	`claim_id` integer NOT NULL,
	CONSTRAINT `fk_relationship_claims_relationship_id_relationships_id_fk` FOREIGN KEY (`relationship_id`) REFERENCES `relationships`(`id`) ON DELETE CASCADE,
	CONSTRAINT `fk_relationship_claims_claim_id_claims_id_fk` FOREIGN KEY (`claim_id`) REFERENCES `claims`(`id`) ON DELETE CASCADE
);
--> statement-breakpoint
CREATE TABLE `relationship_ends` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`entity_id` integer NOT NULL,
	`relationship_id` integer NOT NULL,
	`direction` text NOT NULL,
	`other_id` integer NOT NULL,
	CONSTRAINT `fk_relationship_ends_entity_id_entities_id_fk` FOREIGN KEY (`entity_id`) REFERENCES `entities`(`id`),
	CONSTRAINT `fk_relationship_ends_relationship_id_relationships_id_fk` FOREIGN KEY (`relationship_id`) REFERENCES `relationships`(`id`) ON DELETE CASCADE,
	CONSTRAINT `fk_relationship_ends_other_id_entities_id_fk` FOREIGN KEY (`other_id`) REFERENCES `entities`(`id`),
	CONSTRAINT "relationship_ends_direction_check" CHECK("direction" IN ('OUTGOING', 'INCOMING'))
);
--> statement-breakpoint
CREATE TABLE `relationships` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`slug` text NOT NULL,
	`subject_id` integer NOT NULL,
	`predicate` text NOT NULL,
	`label` text NOT NULL,
	`object_id` integer NOT NULL,
	`valid_from` text,
	`valid_to` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT `fk_relationships_subject_id_entities_id_fk` FOREIGN KEY (`subject_id`) REFERENCES `entities`(`id`),
	CONSTRAINT `fk_relationships_object_id_entities_id_fk` FOREIGN KEY (`object_id`) REFERENCES `entities`(`id`),
	CONSTRAINT "relationships_slug_check" CHECK(length("slug") BETWEEN 1 AND 200 AND "slug" NOT GLOB '*[^a-z0-9-]*'),
	CONSTRAINT "relationships_predicate_check" CHECK(length("predicate") BETWEEN 1 AND 64 AND "predicate" NOT GLOB '*[^a-z0-9_]*' AND "predicate" GLOB '[a-z]*'),
	CONSTRAINT "relationships_label_check" CHECK(length(trim("label")) > 0),
	CONSTRAINT "relationships_valid_from_check" CHECK("valid_from" IS NULL OR "valid_from" GLOB '[0-9][0-9][0-9][0-9]' OR "valid_from" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]' OR "valid_from" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
	CONSTRAINT "relationships_valid_to_check" CHECK("valid_to" IS NULL OR "valid_to" GLOB '[0-9][0-9][0-9][0-9]' OR "valid_to" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]' OR "valid_to" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]')
);
--> statement-breakpoint
CREATE TABLE `sources` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`slug` text NOT NULL,
	`kind` text NOT NULL,
	`title` text NOT NULL,
	`url` text,
	`publisher_id` integer,
	`published_on` text,
	`retrieved_on` text,
	`label` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT `fk_sources_publisher_id_entities_id_fk` FOREIGN KEY (`publisher_id`) REFERENCES `entities`(`id`),
	CONSTRAINT "sources_slug_check" CHECK(length("slug") BETWEEN 1 AND 200 AND "slug" NOT GLOB '*[^a-z0-9-]*'),
	CONSTRAINT "sources_kind_check" CHECK("kind" IN ('ARTICLE', 'NEWS', 'ENCYCLOPEDIA', 'FILING', 'PRIMARY', 'OTHER')),
	CONSTRAINT "sources_title_check" CHECK(length(trim("title")) > 0),
	CONSTRAINT "sources_published_on_check" CHECK("published_on" IS NULL OR "published_on" GLOB '[0-9][0-9][0-9][0-9]' OR "published_on" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]' OR "published_on" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
	CONSTRAINT "sources_retrieved_on_check" CHECK("retrieved_on" IS NULL OR "retrieved_on" GLOB '[0-9][0-9][0-9][0-9]' OR "retrieved_on" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]' OR "retrieved_on" GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]')
);
--> statement-breakpoint
CREATE UNIQUE INDEX `citations_natural_key` ON `citations` (`claim_id`,`source_id`,`stance`,coalesce("locator", ''));--> statement-breakpoint
CREATE INDEX `citations_claim_stance_idx` ON `citations` (`claim_id`,`stance`);--> statement-breakpoint
CREATE INDEX `citations_source_stance_idx` ON `citations` (`source_id`,`stance`,`claim_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `claim_contradictions_natural_key` ON `claim_contradictions` (`claim_id`,`contradicts_id`);--> statement-breakpoint
CREATE INDEX `claim_contradictions_reverse_idx` ON `claim_contradictions` (`contradicts_id`,`claim_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `claim_subjects_natural_key` ON `claim_subjects` (`claim_id`,`entity_id`);--> statement-breakpoint
CREATE INDEX `claim_subjects_entity_idx` ON `claim_subjects` (`entity_id`,`claim_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `claims_slug_unique` ON `claims` (`slug`);--> statement-breakpoint
CREATE INDEX `claims_claimant_idx` ON `claims` (`claimant_id`,`id`);--> statement-breakpoint
CREATE INDEX `claims_appears_in_idx` ON `claims` (`appears_in_id`,`id`);--> statement-breakpoint
CREATE INDEX `claims_support_idx` ON `claims` (`support`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `entities_slug_unique` ON `entities` (`slug`);--> statement-breakpoint
CREATE INDEX `entities_kind_idx` ON `entities` (`kind`,`id`);--> statement-breakpoint
CREATE INDEX `entities_name_lower_idx` ON `entities` (lower("name"));--> statement-breakpoint
CREATE INDEX `entities_developer_idx` ON `entities` (`developer_id`);--> statement-breakpoint
CREATE INDEX `entities_timeline_idx` ON `entities` (`kind`,coalesce("start_date", '~'),`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `entity_aliases_entity_alias_unique` ON `entity_aliases` (`entity_id`,lower("alias"));--> statement-breakpoint
CREATE INDEX `entity_aliases_entity_position_idx` ON `entity_aliases` (`entity_id`,`position`);--> statement-breakpoint
CREATE INDEX `entity_aliases_alias_lower_idx` ON `entity_aliases` (lower("alias"));--> statement-breakpoint
CREATE UNIQUE INDEX `event_participants_natural_key` ON `event_participants` (`event_id`,`entity_id`,`role`);--> statement-breakpoint
CREATE INDEX `event_participants_entity_idx` ON `event_participants` (`entity_id`,`event_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `relationship_claims_natural_key` ON `relationship_claims` (`relationship_id`,`claim_id`);--> statement-breakpoint
CREATE INDEX `relationship_claims_claim_idx` ON `relationship_claims` (`claim_id`,`relationship_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `relationship_ends_natural_key` ON `relationship_ends` (`relationship_id`,`direction`);--> statement-breakpoint
CREATE INDEX `relationship_ends_entity_idx` ON `relationship_ends` (`entity_id`,`direction`,`id`);--> statement-breakpoint
CREATE INDEX `relationship_ends_traversal_idx` ON `relationship_ends` (`entity_id`,`other_id`,`relationship_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `relationships_slug_unique` ON `relationships` (`slug`);--> statement-breakpoint
CREATE INDEX `relationships_subject_idx` ON `relationships` (`subject_id`,`predicate`);--> statement-breakpoint
CREATE INDEX `relationships_object_idx` ON `relationships` (`object_id`,`predicate`);--> statement-breakpoint
CREATE INDEX `relationships_predicate_idx` ON `relationships` (`predicate`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `sources_slug_unique` ON `sources` (`slug`);--> statement-breakpoint
CREATE INDEX `sources_publisher_idx` ON `sources` (`publisher_id`);