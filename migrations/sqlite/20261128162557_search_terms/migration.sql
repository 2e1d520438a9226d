-- search_terms: the words of the search index, read by src/model/search.ts. A last word longer
-- than the index's prefixes (prefix = '2 3 4') is a prefix FTS5 would expand by merging the
-- postings of every word it begins before returning a row (6 to 10 ms for a word in 100,000
-- claims, again for every row a snippet is asked of); search() expands it itself, into those
-- words, looked up here. The 'instance' form reads lazily, so the first row of a word costs a seek.
CREATE VIRTUAL TABLE `search_terms` USING fts5vocab('search_index', 'instance');
--> statement-breakpoint
-- One segment instead of the dozen a bulk fill leaves: every FTS5 query seeks each segment, so a
-- query for a rare word costs about a tenth as much (at a million claims, 0.2 → 0.02 ms).
INSERT INTO `search_index` (`search_index`) VALUES ('optimize');
