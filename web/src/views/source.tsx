import { useQuery } from '@urql/preact';
import { formatDate } from '../dates';
import { type ClaimSummaryFragment, SourcePageDocument } from '../gql';
import { ClaimLine, EntityLink, Failed, kindName, Loading } from './parts';

function Claims({ title, claims, total, empty }: { title: string; claims: ClaimSummaryFragment[]; total: number; empty: string }) {
  const id = title.toLowerCase().replace(/\W+/g, '-');
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>
        {title} <span class="count">({total})</span>
      </h2>
      {claims.length ? (
        <ul class="claim-lines">
          {claims.map((claim) => (
            <ClaimLine claim={claim} />
          ))}
        </ul>
      ) : (
        <p>{empty}</p>
      )}
      {total > claims.length ? <p class="more">and {(total - claims.length).toLocaleString('en')} more</p> : null}
    </section>
  );
}

/** A source's page: the claims it states, and the claims it supports or refutes. */
export function SourceView({ id }: { id: string }) {
  const [{ data, error, fetching }] = useQuery({ query: SourcePageDocument, variables: { id } });
  if (error) return <Failed error={error} />;
  if (fetching && !data) return <Loading what="the source" />;
  const source = data?.node?.__typename === 'Source' ? data.node : null;
  if (!source) return <p>No source has this id. It may have been deleted.</p>;
  return (
    <section class="source-page">
      <p class="meta">
        <span class="kind kind-source">Source</span> {kindName(source.kind)}
        {source.label ? ` · ${source.label}` : ''}
        {source.publishedOn ? ` · published ${formatDate(source.publishedOn)}` : ''}
      </p>
      <h1>{source.title}</h1>
      {source.publisher ? (
        <p>
          Published by <EntityLink entity={source.publisher} />
        </p>
      ) : null}
      {source.url && /^https?:\/\//i.test(source.url) ? (
        <p>
          <a href={source.url} rel="noreferrer noopener" target="_blank">
            {source.url}
          </a>
        </p>
      ) : source.url ? (
        <p>{source.url}</p>
      ) : null}
      <Claims title="Claims it states" claims={source.statedClaims.nodes} total={source.statedClaims.totalCount} empty="It states no claim." />
      <Claims title="Claims it supports" claims={source.supported.nodes} total={source.supported.totalCount} empty="It supports no claim." />
      <Claims title="Claims it refutes" claims={source.refuted.nodes} total={source.refuted.totalCount} empty="It refutes no claim." />
    </section>
  );
}
