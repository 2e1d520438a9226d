-- link_changes: which links the path search follows have changed, written by triggers on every
-- write path. Each process keeps those links in memory (src/model/adjacency.ts); before a search
-- it re-reads only the entities named here since it last looked, so another worker's write is
-- seen by the next search. Writes that touch no link (claims, sources, names) add nothing.
-- RELATIONSHIP: entity_id is the subject, other_id the object. PARTICIPATION: entity_id took
-- part in the event other_id. Only the newest 10,000 are kept; a process further behind rebuilds.
CREATE TABLE `link_changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`kind` text NOT NULL,
	`entity_id` integer NOT NULL,
	`other_id` integer NOT NULL,
	CONSTRAINT "link_changes_kind_check" CHECK("kind" IN ('RELATIONSHIP', 'PARTICIPATION'))
);
--> statement-breakpoint
CREATE TRIGGER `relationships_links_insert` AFTER INSERT ON `relationships` BEGIN
  INSERT INTO `link_changes` (`kind`, `entity_id`, `other_id`) VALUES ('RELATIONSHIP', NEW.`subject_id`, NEW.`object_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `relationships_links_update` AFTER UPDATE OF `subject_id`, `object_id` ON `relationships`
WHEN OLD.`subject_id` IS NOT NEW.`subject_id` OR OLD.`object_id` IS NOT NEW.`object_id` BEGIN
  INSERT INTO `link_changes` (`kind`, `entity_id`, `other_id`)
  VALUES ('RELATIONSHIP', OLD.`subject_id`, OLD.`object_id`), ('RELATIONSHIP', NEW.`subject_id`, NEW.`object_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `relationships_links_delete` AFTER DELETE ON `relationships` BEGIN
  INSERT INTO `link_changes` (`kind`, `entity_id`, `other_id`) VALUES ('RELATIONSHIP', OLD.`subject_id`, OLD.`object_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `event_participants_links_insert` AFTER INSERT ON `event_participants` BEGIN
  INSERT INTO `link_changes` (`kind`, `entity_id`, `other_id`) VALUES ('PARTICIPATION', NEW.`entity_id`, NEW.`event_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `event_participants_links_update` AFTER UPDATE OF `event_id`, `entity_id` ON `event_participants`
WHEN OLD.`event_id` IS NOT NEW.`event_id` OR OLD.`entity_id` IS NOT NEW.`entity_id` BEGIN
  INSERT INTO `link_changes` (`kind`, `entity_id`, `other_id`)
  VALUES ('PARTICIPATION', OLD.`entity_id`, OLD.`event_id`), ('PARTICIPATION', NEW.`entity_id`, NEW.`event_id`);
END;
--> statement-breakpoint
-- Also fires when deleting an event cascades to its participant entries.
CREATE TRIGGER `event_participants_links_delete` AFTER DELETE ON `event_participants` BEGIN
  INSERT INTO `link_changes` (`kind`, `entity_id`, `other_id`) VALUES ('PARTICIPATION', OLD.`entity_id`, OLD.`event_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `link_changes_prune` AFTER INSERT ON `link_changes` BEGIN
  DELETE FROM `link_changes` WHERE `id` <= NEW.`id` - 10000;
END;
