import { useQuery } from '@urql/preact';
import { useEffect, useId, useState } from 'preact/hooks';
import { SearchDocument, type SearchKind, type SearchQuery } from '../gql';
import { navigate } from '../router';
import { href } from '../routes';
import { KindBadge, Marked } from './parts';

type Result = SearchQuery['search']['edges'][number];
export interface Picked {
  id: string;
  name: string;
}

/** How many results the list shows; a person narrows the query rather than scrolls. */
const RESULTS = 8;
/** Waits this long after the last key before asking, so a fast typist sends one query. */
const DEBOUNCE_MS = 120;
export const ENTITY_KINDS: SearchKind[] = ['PERSON', 'ORGANIZATION', 'GROUP', 'EVENT', 'PRODUCT', 'PLACE'];

function target(result: Result): { url: string; title: string; kind: string; field: string } {
  const node = result.node;
  if (node.__typename === 'Claim') return { url: href.claim(node.id), title: node.text, kind: 'CLAIM', field: 'text' };
  if (node.__typename === 'Source') return { url: href.source(node.id), title: node.title, kind: 'SOURCE', field: 'title' };
  return { url: href.entity(node.id), title: node.name, kind: node.kind, field: 'name' };
}

/**
 * A search box with type-ahead from the first letter, following the ARIA combobox pattern:
 * arrows move through the results, Enter opens the active one, Escape closes the list (and a
 * second Escape clears the box).
 */
export function Find({ label, kinds, onPick }: { label: string; kinds?: SearchKind[]; onPick?: (picked: Picked) => void }) {
  const id = useId();
  const [text, setText] = useState('');
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  useEffect(() => {
    const timer = setTimeout(() => setQuery(text.trim()), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text]);
  const [{ data, fetching }] = useQuery({ query: SearchDocument, variables: { query, first: RESULTS, kinds: kinds ?? null }, pause: query === '' });
  const results = query === '' ? [] : (data?.search.edges ?? []);
  const listId = `${id}-list`;
  const expanded = open && query !== '' && (results.length > 0 || !fetching);

  const choose = (result: Result) => {
    const chosen = target(result);
    setOpen(false);
    setActive(-1);
    if (onPick) {
      setText(chosen.title);
      onPick({ id: result.node.id, name: chosen.title });
    } else {
      setText('');
      navigate(chosen.url);
    }
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      setOpen(true);
      setActive((index) => (results.length ? (index + 1) % results.length : -1));
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      setOpen(true);
      setActive((index) => (results.length ? (index <= 0 ? results.length - 1 : index - 1) : -1));
    } else if (event.key === 'Enter') {
      const result = results[active] ?? results[0];
      if (result && expanded) {
        event.preventDefault();
        choose(result);
      }
    } else if (event.key === 'Escape') {
      if (open) setOpen(false);
      else setText('');
      setActive(-1);
    }
  };

  return (
    <div class="find">
      <label for={`${id}-input`} class="visually-hidden">
        {label}
      </label>
      <input
        id={`${id}-input`}
        type="search"
        role="combobox"
        list={undefined}
        autocomplete="off"
        spellcheck={false}
        placeholder={label}
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={listId}
        aria-activedescendant={expanded && active >= 0 ? `${id}-option-${active}` : undefined}
        value={text}
        onInput={(event) => {
          setText((event.target as HTMLInputElement).value);
          setOpen(true);
          setActive(-1);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onFocus={() => setOpen(true)}
      />
      <ul id={listId} role="listbox" aria-label={label} class="results" hidden={!expanded}>
        {expanded && results.length === 0 ? (
          <li class="empty" role="option" aria-disabled="true" aria-selected="false">
            Nothing matches “{query}”.
          </li>
        ) : null}
        {expanded &&
          results.map((result, index) => {
            const shown = target(result);
            const ranges = result.highlights.filter((range) => range.field === shown.field);
            return (
              <li
                key={result.node.id}
                id={`${id}-option-${index}`}
                role="option"
                aria-selected={index === active}
                class={index === active ? 'active' : undefined}
                onMouseDown={(event) => {
                  event.preventDefault();
                  choose(result);
                }}
              >
                <KindBadge kind={shown.kind} />
                <span class="title">{ranges.length ? <Marked text={shown.title} ranges={ranges} /> : <Marked text={result.snippet} />}</span>
              </li>
            );
          })}
      </ul>
      <p class="visually-hidden" role="status" aria-live="polite">
        {expanded ? `${results.length} of ${data?.search.totalCount ?? 0} results` : ''}
      </p>
    </div>
  );
}
