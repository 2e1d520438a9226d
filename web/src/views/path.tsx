import type { Core } from 'cytoscape';
import { useQuery } from '@urql/preact';
import { useEffect, useRef } from 'preact/hooks';
import { EntityNameDocument, PathDocument } from '../gql';
import { navigate } from '../router';
import { href } from '../routes';
import { createGraph } from './cy';
import { ENTITY_KINDS, Find } from './find';
import { EntityLink, Failed, Loading } from './parts';

function Chosen({ id }: { id: string }) {
  const [{ data }] = useQuery({ query: EntityNameDocument, variables: { id } });
  const node = data?.node;
  return node && 'name' in node ? <EntityLink entity={{ __typename: 'Person', id: node.id, name: node.name, kind: node.kind }} /> : <span>…</span>;
}

function Result({ from, to }: { from: string; to: string }) {
  const [{ data, error, fetching }] = useQuery({ query: PathDocument, variables: { from, to } });
  const container = useRef<HTMLDivElement>(null);
  const path = data?.path;
  useEffect(() => {
    if (!path || !container.current) return;
    let graph: Core | null = null;
    let cancelled = false;
    void createGraph(
      container.current,
      [
        ...path.entities.map((entity, index) => ({
          group: 'nodes' as const,
          data: { id: entity.id, label: entity.name, kind: entity.kind },
          position: { x: index * 160, y: index % 2 ? 40 : 0 },
        })),
        ...path.steps.map((step, index) => ({
          group: 'edges' as const,
          data: { id: `step${index}`, source: step.from.id, target: step.to.id, label: step.via.__typename === 'Event' ? 'took part in' : '' },
          classes: 'path',
        })),
      ],
    ).then((created) => {
      // Undefined: the page was left before the library came.
      if (!created) return;
      if (cancelled) return created.destroy();
      graph = created;
      graph.layout({ name: 'preset', fit: true, padding: 40 }).run();
      graph.on('tap', 'node', (event) => navigate(href.entity(event.target.id())));
    });
    return () => {
      cancelled = true;
      graph?.destroy();
    };
  }, [path]);
  if (error) return <Failed error={error} />;
  if (fetching && !data) return <Loading what="the path" />;
  if (!path) return <p role="status">No path of six steps or fewer links them.</p>;
  if (path.length === 0) return <p role="status">That is the same entity twice.</p>;
  return (
    <section aria-labelledby="path-words" class="path-result">
      <h2 id="path-words">
        {path.length} {path.length === 1 ? 'step' : 'steps'}
      </h2>
      <ol class="steps">
        {path.steps.map((step) => (
          <li>{step.description}</li>
        ))}
      </ol>
      <div class="path-canvas" ref={container} role="img" aria-label="The path drawn: the same steps as the list" />
    </section>
  );
}

/** Two entities and the shortest path between them, drawn and told in words. */
export function PathView({ from, to }: { from: string | null; to: string | null }) {
  return (
    <section class="path-page">
      <h1>Path between two entities</h1>
      <div class="pickers">
        <div>
          <p class="picker-label">From: {from ? <Chosen id={from} /> : 'pick an entity'}</p>
          <Find label="Search the entity to start from" kinds={ENTITY_KINDS} onPick={(picked) => navigate(href.path(picked.id, to))} />
        </div>
        <div>
          <p class="picker-label">To: {to ? <Chosen id={to} /> : 'pick an entity'}</p>
          <Find label="Search the entity to reach" kinds={ENTITY_KINDS} onPick={(picked) => navigate(href.path(from, picked.id))} />
        </div>
      </div>
      {from && to ? <Result from={from} to={to} /> : <p>Pick both ends to see how they connect.</p>}
    </section>
  );
}
