-- Full-text search over entity names, aliases and descriptions, claim texts and source titles.
-- One FTS5 table (name, aliases and body weighed apart by bm25); rowid encodes the row it indexes: entity id*4, claim id*4+1, source id*4+2.
-- Triggers keep it in step with every write, whatever path the write takes.
CREATE VIRTUAL TABLE `search_index` USING fts5(
  `kind` UNINDEXED,
  `ref_id` UNINDEXED,
  `name`,
  `aliases`,
  `body`,
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3 4'
);
--> statement-breakpoint
CREATE VIEW `entity_search_rows` AS
SELECT e.`id` * 4 AS `search_rowid`, e.`kind` AS `kind`, e.`id` AS `ref_id`,
  e.`name` AS `name`,
  coalesce((SELECT group_concat(a.`alias`, ' | ') FROM `entity_aliases` a WHERE a.`entity_id` = e.`id`), '') AS `aliases`,
  coalesce(e.`description`, '') AS `body`
FROM `entities` e;
--> statement-breakpoint
INSERT INTO `search_index` (`rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`)
SELECT `search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body` FROM `entity_search_rows`;
--> statement-breakpoint
INSERT INTO `search_index` (`rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`)
SELECT `id` * 4 + 1, 'CLAIM', `id`, '', '', `text` FROM `claims`;
--> statement-breakpoint
INSERT INTO `search_index` (`rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`)
SELECT `id` * 4 + 2, 'SOURCE', `id`, `title`, '', coalesce(`label`, '') FROM `sources`;
--> statement-breakpoint
CREATE TRIGGER `entities_search_insert` AFTER INSERT ON `entities` BEGIN
  INSERT INTO `search_index` (`rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`)
  SELECT `search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body` FROM `entity_search_rows` WHERE `ref_id` = NEW.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `entities_search_update` AFTER UPDATE OF `kind`, `name`, `description` ON `entities` BEGIN
  DELETE FROM `search_index` WHERE `rowid` = OLD.`id` * 4;
  INSERT INTO `search_index` (`rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`)
  SELECT `search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body` FROM `entity_search_rows` WHERE `ref_id` = NEW.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `entities_search_delete` AFTER DELETE ON `entities` BEGIN
  DELETE FROM `search_index` WHERE `rowid` = OLD.`id` * 4;
END;
--> statement-breakpoint
CREATE TRIGGER `entity_aliases_search_insert` AFTER INSERT ON `entity_aliases` BEGIN
  DELETE FROM `search_index` WHERE `rowid` = NEW.`entity_id` * 4;
  INSERT INTO `search_index` (`rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`)
  SELECT `search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body` FROM `entity_search_rows` WHERE `ref_id` = NEW.`entity_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `entity_aliases_search_update` AFTER UPDATE ON `entity_aliases` BEGIN
  DELETE FROM `search_index` WHERE `rowid` IN (OLD.`entity_id` * 4, NEW.`entity_id` * 4);
  INSERT INTO `search_index` (`rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`)
  SELECT `search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body` FROM `entity_search_rows` WHERE `ref_id` IN (OLD.`entity_id`, NEW.`entity_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `entity_aliases_search_delete` AFTER DELETE ON `entity_aliases` BEGIN
  DELETE FROM `search_index` WHERE `rowid` = OLD.`entity_id` * 4;
  INSERT INTO `search_index` (`rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`)
  SELECT `search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body` FROM `entity_search_rows` WHERE `ref_id` = OLD.`entity_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `claims_search_insert` AFTER INSERT ON `claims` BEGIN
  INSERT INTO `search_index` (`rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`) VALUES (NEW.`id` * 4 + 1, 'CLAIM', NEW.`id`, '', '', NEW.`text`);
END;
--> statement-breakpoint
CREATE TRIGGER `claims_search_update` AFTER UPDATE OF `text` ON `claims` BEGIN
  DELETE FROM `search_index` WHERE `rowid` = OLD.`id` * 4 + 1;
  INSERT INTO `search_index` (`rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`) VALUES (NEW.`id` * 4 + 1, 'CLAIM', NEW.`id`, '', '', NEW.`text`);
END;
--> statement-breakpoint
CREATE TRIGGER `claims_search_delete` AFTER DELETE ON `claims` BEGIN
  DELETE FROM `search_index` WHERE `rowid` = OLD.`id` * 4 + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `sources_search_insert` AFTER INSERT ON `sources` BEGIN
  INSERT INTO `search_index` (`rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`) VALUES (NEW.`id` * 4 + 2, 'SOURCE', NEW.`id`, NEW.`title`, '', coalesce(NEW.`label`, ''));
END;
--> statement-breakpoint
CREATE TRIGGER `sources_search_update` AFTER UPDATE OF `title`, `label` ON `sources` BEGIN
  DELETE FROM `search_index` WHERE `rowid` = OLD.`id` * 4 + 2;
  INSERT INTO `search_index` (`rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`) VALUES (NEW.`id` * 4 + 2, 'SOURCE', NEW.`id`, NEW.`title`, '', coalesce(NEW.`label`, ''));
END;
--> statement-breakpoint
CREATE TRIGGER `sources_search_delete` AFTER DELETE ON `sources` BEGIN
  DELETE FROM `search_index` WHERE `rowid` = OLD.`id` * 4 + 2;
END;
