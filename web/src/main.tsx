import { Provider } from '@urql/preact';
import { render } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import { client } from './client';
import { Link, useRoute } from './router';
import { href, type Route } from './routes';
import { ClaimView } from './views/claim';
import { EntityView } from './views/entity';
import { Find } from './views/find';
import { GraphView } from './views/graph';
import { PathView } from './views/path';
import { SourceView } from './views/source';
import { TimelineView } from './views/timeline';


function Page({ route }: { route: Route }) {
  switch (route.view) {
    case 'home':
      return <Home />;
    case 'entity':
      return <EntityView id={route.id} />;
    case 'graph':
      return <GraphView id={route.id} depth={route.depth} />;
    case 'claim':
      return <ClaimView id={route.id} />;
    case 'source':
      return <SourceView id={route.id} />;
    case 'path':
      return <PathView key={`${route.from}>${route.to}`} from={route.from} to={route.to} />;
    case 'timeline':
      return <TimelineView key={route.entity ?? ""} entity={route.entity} />;
    default:
      return <p>Nothing here. Search for an entity, a claim or a source above.</p>;
  }
}

function Home() {
  return (
    <section class="home">
      <h1>Who claims what, on whose authority</h1>
      <p>
        Search an entity, a claim or a source above. An entity's page lists the claims about it and the ones it makes, with the citations that back or
        refute them; from there, draw its graph, read its timeline, or find how it connects to another entity.
      </p>
      <ul class="links">
        <li>
          <Link href={href.path()}>Find a path between two entities</Link>
        </li>
        <li>
          <Link href={href.timeline()}>The timeline of events</Link>
        </li>
        <li>
          <a href="/graphql">The GraphQL playground</a>
        </li>
      </ul>
    </section>
  );
}

function App() {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useLayoutEffect(() => {
    // After a navigation (not the first load), move focus to the new view, as a page load would.
    if (first.current) {
      first.current = false;
      return;
    }
    // Unless a person is already typing into the new view.
    const active = document.activeElement;
    if (!(active instanceof HTMLInputElement || active instanceof HTMLSelectElement) || !active.isConnected) main.current?.focus();
    window.scrollTo(0, 0);
  }, [route]);
  return (
    <Provider value={client}>
      <header class="top">
        <Link href="/" className="brand">
          claimgraph
        </Link>
        <Find label="Search entities, claims and sources" />
        <nav aria-label="Views">
          <Link href={href.path()}>Path</Link>
          <Link href={href.timeline()}>Timeline</Link>
          <a href="/graphql">GraphQL</a>
        </nav>
      </header>
      <main ref={main} tabIndex={-1}>
        <Page route={route} />
      </main>
    </Provider>
  );
}

render(<App />, document.getElementById('app')!);
