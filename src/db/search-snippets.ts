import { tokenize, type Token } from './search-tokens';

/**
 * FTS5's snippet() and highlight() (SQLite's fts5_aux.c), in JavaScript, for an index that has
 * neither: PostgreSQL's (ts_headline splits words with the server's parser and locale, and picks
 * its fragment its own way). Given a document's columns and the query's phrases, they make the text
 * SQLite makes for the same row, character for character: the same window of words, the same
 * marks, the same ellipses, so both engines answer with the same snippets and highlight ranges.
 */

/** One term of the query: a word, or the start of words (the last word typed). */
export interface Phrase {
  term: string;
  prefix: boolean;
}

/** A match of a phrase in a column: FTS5's instance (phrase, column, token offset). */
interface Instance {
  phrase: number;
  column: number;
  offset: number;
}

/** A document as FTS5 sees it: each column's text and words; columns without text (unindexed) count no words. */
export interface Document {
  texts: string[];
  tokens: Token[][];
  instances: Instance[];
}

/** The document's words and the query's matches in them, in FTS5's order: by column, then offset, then phrase. */
export function documentOf(texts: string[], phrases: Phrase[], indexed: (column: number) => boolean): Document {
  const tokens = texts.map((text, column) => (indexed(column) ? tokenize(text) : []));
  const instances: Instance[] = [];
  tokens.forEach((words, column) =>
    words.forEach((word, offset) =>
      phrases.forEach((p, phrase) => {
        if (p.prefix ? word.term.startsWith(p.term) : word.term === p.term) instances.push({ phrase, column, offset });
      }),
    ),
  );
  return { texts, tokens, instances };
}

/** Coalesced phrase instances of one column (fts5CInstIter): runs of overlapping matches. */
class CoalescedInstances {
  start = -1;
  end = -1;
  private next = 0;
  constructor(
    private readonly instances: Instance[],
    private readonly column: number,
  ) {
    this.advance();
  }
  advance(): void {
    this.start = -1;
    this.end = -1;
    while (this.next < this.instances.length) {
      const { column, offset } = this.instances[this.next]!;
      if (column === this.column) {
        const end = offset; // every phrase is one word
        if (this.start < 0) {
          this.start = offset;
          this.end = end;
        } else if (offset <= this.end) {
          if (end > this.end) this.end = end;
        } else break;
      }
      this.next++;
    }
  }
}

/** Marks the matches of `column` from word rangeStart to rangeEnd (-1: the whole text), as fts5HighlightCb does. */
function mark(doc: Document, column: number, open: string, close: string, rangeStart: number, rangeEnd: number, skipBefore = 0) {
  const text = doc.texts[column]!;
  const iter = new CoalescedInstances(doc.instances, column);
  while (iter.start >= 0 && iter.start < skipBefore) iter.advance();
  let out = '';
  let off = 0;
  let isOpen = false;
  doc.tokens[column]!.forEach(({ start, end }, pos) => {
    if (rangeEnd >= 0) {
      if (pos < rangeStart || pos > rangeEnd) return;
      if (rangeStart && pos === rangeStart) off = start;
    }
    if (isOpen && (pos <= iter.start || iter.start < 0) && start > off) {
      out += close;
      isOpen = false;
    }
    if (pos === iter.start && !isOpen) {
      out += text.slice(off, start) + open;
      off = start;
      isOpen = true;
    }
    if (pos === iter.end) {
      if (!isOpen) {
        out += open;
        isOpen = true;
      }
      out += text.slice(off, end);
      off = end;
      iter.advance();
    }
    if (pos === rangeEnd) {
      if (isOpen) {
        if (iter.start >= 0 && pos >= iter.start) {
          out += text.slice(off, end);
          off = end;
        }
        out += close;
        isOpen = false;
      }
      out += text.slice(off, end);
      off = end;
    }
  });
  if (isOpen) out += close;
  return { out, off };
}

/** highlight(column, open, close): the column's whole text with every match marked. */
export function highlight(doc: Document, column: number, open: string, close: string): string {
  const { out, off } = mark(doc, column, open, close, 0, -1);
  return out + doc.texts[column]!.slice(off);
}

/** The words that begin a sentence (fts5SentenceFinderCb): the first, and each after a '.' or ':' and a space. */
function sentenceStarts(text: string, tokens: Token[]): number[] {
  const firsts: number[] = [];
  tokens.forEach(({ start }, pos) => {
    if (pos === 0) {
      firsts.push(0);
      return;
    }
    let i = start - 1;
    let c = '';
    for (; i >= 0; i--) {
      c = text[i]!;
      if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') break;
    }
    if (i !== start - 1 && (c === '.' || c === ':')) firsts.push(pos);
  });
  return firsts;
}

/** fts5SnippetScore: 1000 for each phrase first seen in the window, 1 for each repeat; and where to start it. */
function windowScore(doc: Document, phrases: number, size: number, column: number, from: number, words: number) {
  const seen = new Uint8Array(phrases);
  let score = 0;
  let first = -1;
  let last = 0;
  for (const { phrase, column: c, offset } of doc.instances) {
    if (c === column && offset >= from && offset < from + words) {
      score += seen[phrase] ? 1 : 1000;
      seen[phrase] = 1;
      if (first < 0) first = offset;
      last = offset + 1;
    }
  }
  let start = first - Math.trunc((words - (last - first)) / 2);
  if (start + words > size) start = size - words;
  if (start < 0) start = 0;
  return { score, start };
}

/** snippet(-1, open, close, ellipsis, words): the best window of `words` words of any column, its matches marked. */
export function snippet(doc: Document, phrases: number, open: string, close: string, ellipsis: string, words: number): string {
  let bestScore = 0;
  let bestColumn = 0;
  let bestStart = 0;
  let columnSize = 0;
  doc.texts.forEach((text, column) => {
    const tokens = doc.tokens[column]!;
    const size = tokens.length;
    const firsts = sentenceStarts(text, tokens);
    for (const { column: c, offset } of doc.instances) {
      if (c !== column) continue;
      const at = windowScore(doc, phrases, size, column, offset, words);
      if (at.score > bestScore) {
        bestScore = at.score;
        bestColumn = column;
        bestStart = at.start;
        columnSize = size;
      }
      if (firsts.length > 0 && size > words) {
        let j = 0;
        for (; j < firsts.length - 1; j++) if (firsts[j + 1]! > offset) break;
        if (firsts[j]! < offset) {
          const score = windowScore(doc, phrases, size, column, firsts[j]!, words).score + (firsts[j] === 0 ? 120 : 100);
          if (score > bestScore) {
            bestScore = score;
            bestColumn = column;
            bestStart = firsts[j]!;
            columnSize = size;
          }
        }
      }
    }
  });
  const text = doc.texts[bestColumn]!;
  if (columnSize === 0) columnSize = doc.tokens[bestColumn]!.length;
  const rangeEnd = bestStart + words - 1;
  const { out, off } = mark(doc, bestColumn, open, close, bestStart, rangeEnd, bestStart);
  return (bestStart > 0 ? ellipsis : '') + out + (rangeEnd >= columnSize - 1 ? text.slice(off) : ellipsis);
}
