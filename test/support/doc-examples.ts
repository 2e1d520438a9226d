import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The example queries shown in README.md and docs/*.md, read the way docs/architecture.md
 * ("Examples in the docs are tests") describes: a ```graphql block is an example; the first
 * ```json block after it (before the next ```graphql block) is its answer, and a ```json variables
 * block between them its variables. `graphql write` runs with a token on a fresh database.
 * A ```json document block is a document in the import format, which must import cleanly.
 */
export interface DocExample {
  file: string;
  line: number;
  query: string;
  write: boolean;
  variables?: Record<string, unknown>;
  /** The answer as shown; undefined when the example shows none (which the test refuses). */
  answer?: unknown;
  /** Set when the variables or the answer are not valid JSON. */
  problem?: string;
}

interface Block {
  lang: string;
  flags: string[];
  body: string;
  line: number;
}

const ROOT = new URL('../..', import.meta.url).pathname;

/** README.md and every markdown file under docs/, as paths relative to the repository. */
export function docFiles(): string[] {
  return ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
}

function blocks(text: string): Block[] {
  const found: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    found.push({ lang: open[1]!, flags: open[2]!.split(/\s+/).filter(Boolean), body: body.join('\n'), line: start + 1 });
  }
  return found;
}

function parse(json: string, what: string): { value?: unknown; problem?: string } {
  try {
    return { value: JSON.parse(json) };
  } catch (error) {
    return { problem: `its ${what} is not valid JSON: ${(error as Error).message}` };
  }
}

export function docExamples(file: string): DocExample[] {
  const all = blocks(readFileSync(join(ROOT, file), 'utf8'));
  const examples: DocExample[] = [];
  for (let i = 0; i < all.length; i++) {
    const block = all[i]!;
    if (block.lang !== 'graphql') continue;
    const example: DocExample = { file, line: block.line, query: block.body, write: block.flags.includes('write') };
    for (let j = i + 1; j < all.length && all[j]!.lang !== 'graphql'; j++) {
      const next = all[j]!;
      if (next.lang !== 'json') continue;
      if (next.flags.includes('variables')) {
        const { value, problem } = parse(next.body, 'variables block');
        example.variables = value as Record<string, unknown>;
        example.problem ??= problem;
        continue;
      }
      const { value, problem } = parse(next.body, 'answer');
      example.answer = value;
      example.problem ??= problem;
      break;
    }
    examples.push(example);
  }
  return examples;
}

/** The ```json document blocks of a file: import-format documents, parsed. */
export function docDocuments(file: string): { file: string; line: number; document?: unknown; problem?: string }[] {
  return blocks(readFileSync(join(ROOT, file), 'utf8'))
    .filter((b) => b.lang === 'json' && b.flags.includes('document'))
    .map((b) => {
      const { value, problem } = parse(b.body, 'document');
      return { file, line: b.line, document: value, problem };
    });
}
