import type { Core } from 'cytoscape';
import { useClient } from '@urql/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { yearOf } from '../dates';
import { GraphEventsDocument, NeighborhoodDocument } from '../gql';
import { Link, navigate } from '../router';
import { href } from '../routes';
import { createGraph } from './cy';
import { emptyGraph, type GraphData, layoutView, merge, mergeEvents } from './graph-model';
import { Failed, KindBadge, kindName, Loading } from './parts';

/** The neighborhood of an entity, drawn: click a node to open or expand it. */
export function GraphView({ id, depth }: { id: string; depth: number }) {
  const client = useClient();
  const [data, setData] = useState<GraphData | null>(null);
  const [error, setError] = useState<{ message: string } | null>(null);
  const [expanded, setExpanded] = useState<string[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [hiddenKinds, setHiddenKinds] = useState<Set<string>>(new Set());
  const [hiddenPredicates, setHiddenPredicates] = useState<Set<string>>(new Set());
  const [asOf, setAsOf] = useState<number | null>(null);
  const [statedOnly, setStatedOnly] = useState(false);
  const container = useRef<HTMLDivElement>(null);
  // One cytoscape instance per page, created once: draws that overlap while the library loads
  // share it, instead of each putting an instance of its own on the same element.
  const cy = useRef<Promise<Core | undefined> | null>(null);
  const unmounted = useRef(false);

  const load = async (of: string, hops: number) => {
    const [result, events] = await Promise.all([
      client.query(NeighborhoodDocument, { of, depth: hops }).toPromise(),
      client.query(GraphEventsDocument, { of }).toPromise(),
    ]);
    if (result.error || !result.data) {
      setError(result.error ?? { message: 'No answer.' });
      return;
    }
    performance.mark('explorer:data');
    setData((previous) => {
      const merged = merge(previous ?? emptyGraph(), result.data!.neighborhood);
      return events.data ? mergeEvents(merged, of, events.data) : merged;
    });
  };

  useEffect(() => {
    setData(null);
    setError(null);
    setExpanded([]);
    setSelected(null);
    void load(id, depth);
  }, [id, depth]);

  const expand = (entity: string) => {
    setExpanded((previous) => (previous.includes(entity) ? previous : [...previous, entity]));
    void load(entity, 1);
  };

  const roots = useMemo(() => [id, ...expanded], [id, expanded]);
  const view = useMemo(
    () => (data ? layoutView(data, roots, { hiddenKinds, hiddenPredicates, asOf, statedOnly }) : null),
    [data, roots, hiddenKinds, hiddenPredicates, asOf, statedOnly],
  );
  const kinds = useMemo(() => [...new Set([...(data?.entities.values() ?? [])].map((entity) => entity.kind))].sort(), [data]);
  const predicates = useMemo(() => {
    const labels = new Map<string, string>();
    for (const link of data?.relationships.values() ?? []) labels.set(link.predicate, link.label);
    return [...labels].sort();
  }, [data]);
  const years = useMemo(() => {
    const all = [...(data?.relationships.values() ?? [])].flatMap((link) => [yearOf(link.validFrom), yearOf(link.validTo)]).filter((year): year is number => year !== null);
    return all.length ? { min: Math.min(...all), max: Math.max(...all) } : null;
  }, [data]);

  useEffect(() => {
    if (!view || !container.current) return;
    let cancelled = false;
    const draw = async () => {
      cy.current ??= createGraph(container.current!, []).then((created) => {
        created?.on('tap', 'node', (event) => {
          const node = event.target;
          if (node.hasClass('more')) navigate(href.entity(node.data('of')));
          else setSelected(node.id());
        });
        created?.on('dbltap', 'node', (event) => {
          if (!event.target.hasClass('more')) navigate(href.entity(event.target.id()));
        });
        return created;
      });
      const graph = await cy.current;
      // A newer view draws instead, or the page has gone (and destroyed the instance, or never made one).
      if (!graph || cancelled || unmounted.current) return;
      graph.batch(() => {
        graph.elements().remove();
        graph.add(view.elements);
      });
      graph
        .layout({
          name: 'concentric',
          concentric: (node) => 10 - Number(node.data('level')),
          levelWidth: () => 1,
          minNodeSpacing: 48,
          animate: false,
        })
        .run();
      container.current?.setAttribute('data-drawn', String(view.shown.length));
    };
    void draw();
    return () => {
      cancelled = true;
    };
  }, [view]);

  useEffect(
    () => () => {
      unmounted.current = true;
      void cy.current?.then((graph) => graph?.destroy());
      cy.current = null;
    },
    [],
  );

  const centre = data?.entities.get(id);
  const chosen = selected ? data?.entities.get(selected) : undefined;
  const toggle = (set: Set<string>, value: string, update: (next: Set<string>) => void) => {
    const next = new Set(set);
    if (next.has(value)) next.delete(value);
    else next.add(value);
    update(next);
  };

  return (
    <section class="graph-page">
      <h1>{centre ? `The graph around ${centre.name}` : 'Graph'}</h1>
      <div class="graph-tools">
        <label>
          Hops{' '}
          <select value={depth} onChange={(event) => navigate(href.graph(id, Number((event.target as HTMLSelectElement).value)))}>
            <option value="1">1</option>
            <option value="2">2</option>
            <option value="3">3</option>
          </select>
        </label>
        {centre ? <Link href={href.entity(id)}>Open {centre.name}’s page</Link> : null}
      </div>
      {error ? <Failed error={error} /> : null}
      {!data && !error ? <Loading what="the neighborhood" /> : null}
      {data?.truncated ? (
        <p class="notice" role="status">
          This neighborhood is larger than the server returns at once: it was cut at its size cap, so some entities and links are missing. Fewer hops, or
          a less connected entity, shows all of it.
        </p>
      ) : null}
      <div class="graph-layout">
        <div class="graph-canvas" ref={container} data-links={view?.links} role="img" aria-label={centre ? `Graph of ${centre.name}’s neighborhood; the same entities are listed beside it` : 'Graph'} />
        <aside class="graph-side">
          {chosen ? (
            <section class="selected" aria-label="Selected entity">
              <p>
                <KindBadge kind={chosen.kind} /> <strong>{chosen.name}</strong>
              </p>
              <p class="actions">
                <Link href={href.entity(chosen.id)}>Open</Link>
                {!roots.includes(chosen.id) ? (
                  <button type="button" onClick={() => expand(chosen.id)}>
                    Expand
                  </button>
                ) : null}
                <Link href={href.graph(chosen.id)}>Centre here</Link>
              </p>
            </section>
          ) : null}
          <details open class="filters">
            <summary>Filters</summary>
            <fieldset>
              <legend>Kinds</legend>
              {kinds.map((kind) => (
                <label class="check">
                  <input type="checkbox" checked={!hiddenKinds.has(kind)} onChange={() => toggle(hiddenKinds, kind, setHiddenKinds)} /> {kindName(kind)}
                </label>
              ))}
            </fieldset>
            <fieldset>
              <legend>Links</legend>
              {predicates.map(([predicate, label]) => (
                <label class="check">
                  <input type="checkbox" checked={!hiddenPredicates.has(predicate)} onChange={() => toggle(hiddenPredicates, predicate, setHiddenPredicates)} />{' '}
                  {label}
                </label>
              ))}
              <label class="check">
                <input type="checkbox" checked={statedOnly} onChange={() => setStatedOnly(!statedOnly)} /> Only links a source states
              </label>
              <p class="legend">A dashed link is inferred: no source states it.</p>
            </fieldset>
            {years ? (
              <fieldset>
                <legend>As of</legend>
                <label class="check">
                  <input type="checkbox" checked={asOf !== null} onChange={() => setAsOf(asOf === null ? years.max : null)} /> Only links valid in a year
                </label>
                {asOf !== null ? (
                  <label class="slider">
                    <input
                      type="range"
                      min={years.min}
                      max={years.max}
                      value={asOf}
                      aria-label="Year"
                      onInput={(event) => setAsOf(Number((event.target as HTMLInputElement).value))}
                    />
                    <output>{asOf}</output>
                  </label>
                ) : null}
              </fieldset>
            ) : null}
          </details>
          {view ? (
            <section aria-label="In this graph" class="graph-list">
              <h2>In this graph ({view.shown.length})</h2>
              <ul>
                {view.shown.map(({ entity, hidden }) => (
                  <li>
                    <KindBadge kind={entity.kind} /> <Link href={href.entity(entity.id)}>{entity.name}</Link>
                    {hidden ? <span class="more"> and {hidden.toLocaleString('en')} more links</span> : null}
                    {!roots.includes(entity.id) ? (
                      <>
                        {' '}
                        <button type="button" class="expand" aria-label={`Expand ${entity.name}`} onClick={() => expand(entity.id)}>
                          +
                        </button>
                      </>
                    ) : null}
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
        </aside>
      </div>
    </section>
  );
}
