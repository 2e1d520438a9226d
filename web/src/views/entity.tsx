import { useQuery } from '@urql/preact';
import { useState } from 'preact/hooks';
import { formatSpan, formatWhen } from '../dates';
import { EntityClaimsDocument, EntityPageDocument } from '../gql';
import { Link } from '../router';
import { href } from '../routes';
import { ClaimCard } from './claim';
import { EntityLink, Failed, KindBadge, Loading } from './parts';

/** One page of an entity's claims (Relay-style: each page asks from the last one's end cursor). */
function ClaimsPage({ id, made, after, onMore }: { id: string; made: boolean; after: string | null; onMore: (cursor: string) => void }) {
  const [{ data, error, fetching }] = useQuery({ query: EntityClaimsDocument, variables: { id, after, made } });
  if (error) return <Failed error={error} />;
  if (fetching && !data) return <Loading what="claims" />;
  const node = data?.node;
  const connection = node && 'claimsMade' in node ? node.claimsMade : node && 'claimsAbout' in node ? node.claimsAbout : null;
  if (!connection) return null;
  return (
    <>
      {after === null && connection.totalCount === 0 ? <p>None.</p> : null}
      {connection.nodes.map((claim) => (
        <ClaimCard claim={claim} />
      ))}
      {connection.pageInfo.hasNextPage && connection.pageInfo.endCursor ? (
        <button type="button" class="more" onClick={() => onMore(connection.pageInfo.endCursor!)}>
          More claims
        </button>
      ) : null}
    </>
  );
}

function Claims({ id, made }: { id: string; made: boolean }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return (
    <>
      {cursors.map((after, index) => (
        <ClaimsPage
          key={after ?? ''}
          id={id}
          made={made}
          after={after}
          onMore={(cursor) => index === cursors.length - 1 && setCursors([...cursors, cursor])}
        />
      ))}
    </>
  );
}

/** An entity's page: who or what it is, the claims about it and by it, its links and its events. */
export function EntityView({ id }: { id: string }) {
  const [{ data, error, fetching }] = useQuery({ query: EntityPageDocument, variables: { id } });
  if (error) return <Failed error={error} />;
  if (fetching && !data) return <Loading what="the entity" />;
  const entity = data?.node && 'name' in data.node ? data.node : null;
  if (!entity) return <p>No entity has this id. It may have been deleted or merged.</p>;
  const dates = 'startDate' in entity ? formatWhen(entity.startDate, entity.endDate) : '';
  return (
    <article class="entity-page" key={id}>
      <header class="entity-head">
        <p class="meta">
          <KindBadge kind={entity.kind} />
          {'occupation' in entity && entity.occupation ? ` ${entity.occupation}` : ''}
          {dates ? <span class="when"> · {dates}</span> : null}
          {'status' in entity ? <span> · {entity.status.toLowerCase()}</span> : null}
        </p>
        <h1>{entity.name}</h1>
        {entity.aliases.length ? <p class="aliases">Also known as {entity.aliases.join(', ')}</p> : null}
        {entity.description ? <p class="description">{entity.description}</p> : null}
        <nav class="entity-nav" aria-label={`Views of ${entity.name}`}>
          <Link href={href.graph(id)}>Graph</Link>
          <Link href={href.timeline(id)}>Timeline</Link>
          <Link href={href.path(id)}>Path from here</Link>
          {entity.wikidataId ? (
            <a href={`https://www.wikidata.org/wiki/${encodeURIComponent(entity.wikidataId)}`} rel="noreferrer noopener" target="_blank">
              Wikidata {entity.wikidataId}
            </a>
          ) : null}
        </nav>
      </header>
      {'participants' in entity && entity.participants.nodes.length ? (
        <section>
          <h2>Who took part</h2>
          <ul class="inline-list">
            {entity.participants.nodes.map((participant) => (
              <li>
                <EntityLink entity={participant} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <div class="columns">
        <section aria-labelledby="about">
          <h2 id="about">Claims about {entity.name}</h2>
          <Claims id={id} made={false} />
        </section>
        <section aria-labelledby="made">
          <h2 id="made">Claims {entity.name} makes</h2>
          <Claims id={id} made />
        </section>
      </div>
      <section aria-labelledby="links">
        <h2 id="links">
          Relationships <span class="count">({entity.relationships.totalCount})</span>
        </h2>
        {entity.relationships.nodes.length ? (
          <table class="relationships">
            <thead>
              <tr>
                <th scope="col">Subject</th>
                <th scope="col">Link</th>
                <th scope="col">Object</th>
                <th scope="col">Valid</th>
                <th scope="col">Basis</th>
              </tr>
            </thead>
            <tbody>
              {entity.relationships.nodes.map((link) => (
                <tr>
                  <td>{link.subject.id === id ? link.subject.name : <EntityLink entity={link.subject} />}</td>
                  <td>{link.label}</td>
                  <td>{link.object.id === id ? link.object.name : <EntityLink entity={link.object} />}</td>
                  <td>{formatSpan(link.validFrom, link.validTo) || 'undated'}</td>
                  <td class={`basis ${link.basis.kind.toLowerCase()}`}>
                    {link.basis.kind === 'STATED' ? 'stated' : 'inferred'}
                    {link.basis.note ? <span class="basis-note">: {link.basis.note}</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p>None.</p>
        )}
        {entity.relationships.totalCount > entity.relationships.nodes.length ? (
          <p class="more">
            and {(entity.relationships.totalCount - entity.relationships.nodes.length).toLocaleString('en')} more (see the <Link href={href.graph(id)}>graph</Link>)
          </p>
        ) : null}
      </section>
      <section aria-labelledby="events">
        <h2 id="events">Events</h2>
        {entity.events.nodes.length ? (
          <ul class="events">
            {entity.events.nodes.map((event) => (
              <li>
                <Link href={href.entity(event.id)}>{event.name}</Link>{' '}
                <span class="when">{event.startDate || event.endDate ? formatWhen(event.startDate, event.endDate) : 'undated'}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p>None.</p>
        )}
      </section>
    </article>
  );
}

