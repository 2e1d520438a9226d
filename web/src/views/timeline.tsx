import { useQuery } from '@urql/preact';
import { useState } from 'preact/hooks';
import { formatWhen, span } from '../dates';
import { TimelineDocument, type TimelineQuery } from '../gql';
import { Link, navigate } from '../router';
import { href } from '../routes';
import { ENTITY_KINDS, Find } from './find';
import { EntityNameDocument } from '../gql';
import { Failed, Loading } from './parts';

type TimelineEvent = TimelineQuery['events']['nodes'][number];

function Axis({ events }: { events: TimelineEvent[] }) {
  const spans = events.map((event) => ({ event, at: span(event.startDate, event.endDate)! }));
  const first = new Date(Math.min(...spans.map(({ at }) => at.start))).getUTCFullYear();
  const last = new Date(Math.max(...spans.map(({ at }) => at.end)) - 1).getUTCFullYear();
  const start = Date.UTC(first, 0, 1);
  const end = Date.UTC(last + 1, 0, 1);
  const years = last - first + 1;
  const every = years <= 15 ? 1 : years <= 40 ? 5 : 10;
  const percent = (time: number) => `${(((time - start) / (end - start)) * 100).toFixed(3)}%`;
  const ticks: number[] = [];
  for (let year = first; year <= last; year++) if ((year - first) % every === 0) ticks.push(year);
  return (
    <div class="axis-wrap">
      <div class="axis" aria-hidden="true">
        {ticks.map((year) => (
          <span class="tick" style={{ left: percent(Date.UTC(year, 0, 1)) }}>
            {year}
          </span>
        ))}
      </div>
      <ol class="lanes" aria-label="Dated events, oldest first">
        {spans.map(({ event, at }) => (
          <li class="lane">
            <span class={`bar status-${event.status.toLowerCase()}`} style={{ left: percent(at.start), width: percent(start + (at.end - at.start)) }} />
            <span class="lane-label">
              <Link href={href.entity(event.id)}>{event.name}</Link> <span class="when">{formatWhen(event.startDate, event.endDate)}</span>
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}

function Page({ entity, after, onMore }: { entity: string | null; after: string | null; onMore: (cursor: string) => void }) {
  const [{ data, error, fetching }] = useQuery({ query: TimelineDocument, variables: { involving: entity, after } });
  if (error) return <Failed error={error} />;
  if (fetching && !data) return <Loading what="events" />;
  if (!data) return null;
  const dated = data.events.nodes.filter((event) => event.startDate || event.endDate);
  const undated = data.events.nodes.filter((event) => !event.startDate && !event.endDate);
  return (
    <>
      {dated.length ? <Axis events={dated} /> : null}
      {undated.length ? (
        <section class="undated" aria-labelledby={`undated-${after ?? 'first'}`}>
          <h2 id={`undated-${after ?? 'first'}`}>Undated</h2>
          <ul>
            {undated.map((event) => (
              <li>
                <Link href={href.entity(event.id)}>{event.name}</Link> <span class="when">{event.status.toLowerCase()}</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {!dated.length && !undated.length ? <p>No events.</p> : null}
      {data.events.pageInfo.hasNextPage && data.events.pageInfo.endCursor ? (
        <button type="button" class="more" onClick={() => onMore(data.events.pageInfo.endCursor!)}>
          More events
        </button>
      ) : null}
    </>
  );
}

function EntityName({ id }: { id: string }) {
  const [{ data }] = useQuery({ query: EntityNameDocument, variables: { id } });
  return <>{data?.node && 'name' in data.node ? data.node.name : '…'}</>;
}

/** Events on a time axis at their precision (a year is a span), undated events in a lane of their own. */
export function TimelineView({ entity }: { entity: string | null }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return (
    <section class="timeline-page" key={entity ?? ''}>
      <h1>Timeline{entity ? <> of <EntityName id={entity} /></> : null}</h1>
      <div class="pickers">
        <Find label="Show the events of an entity" kinds={ENTITY_KINDS} onPick={(picked) => navigate(href.timeline(picked.id))} />
        {entity ? <Link href={href.timeline()}>All events</Link> : null}
      </div>
      {cursors.map((after, index) => (
        <Page key={after ?? ''} entity={entity} after={after} onMore={(cursor) => index === cursors.length - 1 && setCursors([...cursors, cursor])} />
      ))}
    </section>
  );
}
