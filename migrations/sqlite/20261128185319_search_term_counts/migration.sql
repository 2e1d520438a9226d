-- search_term_counts: how many documents of the search index hold each of its words, kept exact by
-- every write. src/model/search.ts reads it instead of asking FTS5: whether a word is too common
-- to weigh (FTS5 can only count by walking a word's documents: 0.7 ms for the 10,000 that decide
-- it), which words a long last word begins (an fts5vocab cursor compiles a statement each time it
-- opens), and how few documents a rare word has, so its ranking can skip what only many need.
CREATE TABLE `search_term_counts` (
  `term` text PRIMARY KEY NOT NULL,
  `documents` integer NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
-- Empty but for a moment: a word whose last document went is deleted through it.
CREATE INDEX `search_term_counts_unused` ON `search_term_counts` (`documents`) WHERE `documents` = 0;
--> statement-breakpoint
-- The words of one document, as the index splits and folds them: the document is put here alone
-- (same tokenizer), and search_scratch_terms lists its words. Holds no text (contentless).
CREATE VIRTUAL TABLE `search_scratch` USING fts5(
  `name`, `aliases`, `body`,
  content = '', columnsize = 0, detail = none,
  tokenize = 'unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE VIRTUAL TABLE `search_scratch_terms` USING fts5vocab('search_scratch', 'row');
--> statement-breakpoint
-- Every word of the index with its documents, to fill search_term_counts in one pass (a bulk load
-- does the same). Reads every document of every word: not for queries.
CREATE VIRTUAL TABLE `search_index_terms` USING fts5vocab('search_index', 'row');
--> statement-breakpoint
-- The documents of the search index, written through this view so the counts follow: the
-- triggers below write search_index and count the document's words in or out.
CREATE VIEW `search_documents` AS
SELECT rowid AS `search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body` FROM `search_index`;
--> statement-breakpoint
CREATE TRIGGER `search_documents_insert` INSTEAD OF INSERT ON `search_documents` BEGIN
  INSERT INTO `search_index` (`rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`)
  VALUES (NEW.`search_rowid`, NEW.`kind`, NEW.`ref_id`, NEW.`name`, NEW.`aliases`, NEW.`body`);
  INSERT INTO `search_scratch` (`search_scratch`) VALUES ('delete-all');
  INSERT INTO `search_scratch` (`rowid`, `name`, `aliases`, `body`) VALUES (1, NEW.`name`, NEW.`aliases`, NEW.`body`);
  INSERT INTO `search_term_counts` (`term`, `documents`) SELECT `term`, 1 FROM `search_scratch_terms` WHERE true
  ON CONFLICT (`term`) DO UPDATE SET `documents` = `documents` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `search_documents_delete` INSTEAD OF DELETE ON `search_documents` BEGIN
  INSERT INTO `search_scratch` (`search_scratch`) VALUES ('delete-all');
  INSERT INTO `search_scratch` (`rowid`, `name`, `aliases`, `body`) VALUES (1, OLD.`name`, OLD.`aliases`, OLD.`body`);
  UPDATE `search_term_counts` SET `documents` = `documents` - 1 WHERE `term` IN (SELECT `term` FROM `search_scratch_terms`);
  DELETE FROM `search_term_counts` WHERE `documents` = 0;
  DELETE FROM `search_index` WHERE `rowid` = OLD.`search_rowid`;
END;
--> statement-breakpoint
-- The search triggers of migrations/*_search, unchanged but for writing through search_documents.
DROP TRIGGER `entities_search_insert`;
--> statement-breakpoint
DROP TRIGGER `entities_search_update`;
--> statement-breakpoint
DROP TRIGGER `entities_search_delete`;
--> statement-breakpoint
DROP TRIGGER `entity_aliases_search_insert`;
--> statement-breakpoint
DROP TRIGGER `entity_aliases_search_update`;
--> statement-breakpoint
DROP TRIGGER `entity_aliases_search_delete`;
--> statement-breakpoint
DROP TRIGGER `claims_search_insert`;
--> statement-breakpoint
DROP TRIGGER `claims_search_update`;
--> statement-breakpoint
DROP TRIGGER `claims_search_delete`;
--> statement-breakpoint
DROP TRIGGER `sources_search_insert`;
--> statement-breakpoint
DROP TRIGGER `sources_search_update`;
--> statement-breakpoint
DROP TRIGGER `sources_search_delete`;
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
CREATE TRIGGER `entities_search_delete` AFTER DELETE ON `entities` BEGIN
  DELETE FROM `search_documents` WHERE `search_rowid` = OLD.`id` * 4;
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
CREATE TRIGGER `entity_aliases_search_delete` AFTER DELETE ON `entity_aliases` BEGIN
  DELETE FROM `search_documents` WHERE `search_rowid` = OLD.`entity_id` * 4;
  INSERT INTO `search_documents` (`search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`)
  SELECT `search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body` FROM `entity_search_rows` WHERE `ref_id` = OLD.`entity_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `claims_search_insert` AFTER INSERT ON `claims` BEGIN
  INSERT INTO `search_documents` (`search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`) VALUES (NEW.`id` * 4 + 1, 'CLAIM', NEW.`id`, '', '', NEW.`text`);
END;
--> statement-breakpoint
CREATE TRIGGER `claims_search_update` AFTER UPDATE OF `text` ON `claims` BEGIN
  DELETE FROM `search_documents` WHERE `search_rowid` = OLD.`id` * 4 + 1;
  INSERT INTO `search_documents` (`search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`) VALUES (NEW.`id` * 4 + 1, 'CLAIM', NEW.`id`, '', '', NEW.`text`);
END;
--> statement-breakpoint
CREATE TRIGGER `claims_search_delete` AFTER DELETE ON `claims` BEGIN
  DELETE FROM `search_documents` WHERE `search_rowid` = OLD.`id` * 4 + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `sources_search_insert` AFTER INSERT ON `sources` BEGIN
  INSERT INTO `search_documents` (`search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`) VALUES (NEW.`id` * 4 + 2, 'SOURCE', NEW.`id`, NEW.`title`, '', coalesce(NEW.`label`, ''));
END;
--> statement-breakpoint
CREATE TRIGGER `sources_search_update` AFTER UPDATE OF `title`, `label` ON `sources` BEGIN
  DELETE FROM `search_documents` WHERE `search_rowid` = OLD.`id` * 4 + 2;
  INSERT INTO `search_documents` (`search_rowid`, `kind`, `ref_id`, `name`, `aliases`, `body`) VALUES (NEW.`id` * 4 + 2, 'SOURCE', NEW.`id`, NEW.`title`, '', coalesce(NEW.`label`, ''));
END;
--> statement-breakpoint
CREATE TRIGGER `sources_search_delete` AFTER DELETE ON `sources` BEGIN
  DELETE FROM `search_documents` WHERE `search_rowid` = OLD.`id` * 4 + 2;
END;
--> statement-breakpoint
INSERT INTO `search_term_counts` (`term`, `documents`) SELECT `term`, `doc` FROM `search_index_terms` WHERE `doc` > 0;
--> statement-breakpoint
-- search_terms ('instance') expanded a long last word; search_term_counts does now.
DROP TABLE `search_terms`;
