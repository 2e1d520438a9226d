-- A one-letter last word is a prefix too, for type-ahead from the first key ("M" finds Microsoft
-- and Musk). Without a one-letter prefix index FTS5 expands "m"* by merging the postings of every
-- word that begins with m before the first row (tens of ms at a million claims, again for each
-- snippet); with one, it reads a single list lazily, like any word. FTS5 cannot add a prefix index
-- to a table, so the index is made again with prefix = '1 2 3 4' from the rows it indexes, as
-- migrations/*_search filled it. Its words are the same: search_term_counts stays as it is, and the
-- search_documents view and its triggers find the new table under the old name.
DROP TABLE `search_index`;
--> statement-breakpoint
CREATE VIRTUAL TABLE `search_index` USING fts5(
  `kind` UNINDEXED,
  `ref_id` UNINDEXED,
  `name`,
  `aliases`,
  `body`,
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '1 2 3 4'
);
--> statement-breakpoint
-- Entries held in memory while it fills (64 MB instead of 1 MB): fewer segments to merge; put back below.
INSERT INTO `search_index` (`search_index`, `rank`) VALUES ('hashsize', 67108864);
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
INSERT INTO `search_index` (`search_index`, `rank`) VALUES ('hashsize', 1048576);
--> statement-breakpoint
-- One segment, as migrations/*_search_terms leaves it: a query seeks every segment.
INSERT INTO `search_index` (`search_index`) VALUES ('optimize');
