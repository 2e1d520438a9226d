import { useQuery } from '@urql/preact';
import { ClaimPageDocument, type ClaimCardFragment, type ClaimSummaryFragment } from '../gql';
import { formatSpan } from '../dates';
import { Link } from '../router';
import { href } from '../routes';
import { EntityLink, Failed, Loading, SupportBadge } from './parts';

const STANCES: Record<string, string> = { SUPPORTS: 'Supports', REFUTES: 'Refutes', QUALIFIES: 'Qualifies', MENTIONS: 'Mentions' };

function Claimant({ claim }: { claim: ClaimSummaryFragment }) {
  if (!claim.claimant) return <span class="by">stated by the source in its own voice</span>;
  return (
    <span class="by">
      {claim.attribution === 'DIRECT' ? 'claimed by ' : 'reported as the position of '}
      <EntityLink entity={claim.claimant} />
      {claim.attribution === 'DIRECT' ? ' (direct)' : ' (reported)'}
    </span>
  );
}

/** A claim with its standing, claimant, citations and (in brief) the claims opposing it. */
export function ClaimCard({ claim, heading = 'h3', opposed = true }: { claim: ClaimCardFragment; heading?: 'h1' | 'h3'; opposed?: boolean }) {
  const Heading = heading;
  const when = formatSpan(claim.validFrom, claim.validTo);
  return (
    <article class={`claim support-${claim.support.toLowerCase()}`} aria-label={`Claim: ${claim.text}`}>
      <p class="meta">
        <SupportBadge support={claim.support} /> <span class="claim-kind">{claim.kind.toLowerCase()}</span> <Claimant claim={claim} />
        {when ? <span class="when"> · holds {when}</span> : null}
      </p>
      <Heading class="claim-text">{heading === 'h1' ? claim.text : <Link href={href.claim(claim.id)}>{claim.text}</Link>}</Heading>
      <p class="about">
        About{' '}
        {claim.about.map((entity, index) => (
          <>
            {index ? ', ' : ''}
            <EntityLink entity={entity} />
          </>
        ))}
        ; appears in <Link href={href.source(claim.appearsIn.id)}>{claim.appearsIn.title}</Link>
      </p>
      {claim.citations.length ? (
        <ul class="citations" aria-label="Citations">
          {claim.citations.map((citation) => (
            <li class={`citation stance-${citation.stance.toLowerCase()}`}>
              <span class="stance">{STANCES[citation.stance] ?? citation.stance}</span>{' '}
              <Link href={href.source(citation.source.id)}>{citation.source.title}</Link>
              {citation.locator ? <span class="locator">, {citation.locator}</span> : null}
              {citation.quote ? <blockquote>{citation.quote}</blockquote> : null}
            </li>
          ))}
        </ul>
      ) : (
        <p class="no-citations">No citation backs or refutes this claim.</p>
      )}
      {opposed && claim.contradicts.length ? (
        <details class="contradicts">
          <summary>Contradicted by {claim.contradicts.length === 1 ? 'a claim' : `${claim.contradicts.length} claims`}</summary>
          <ul>
            {claim.contradicts.map((other) => (
              <li>
                <SupportBadge support={other.support} /> <Link href={href.claim(other.id)}>{other.text}</Link> <Claimant claim={other} />
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </article>
  );
}

/** A claim's page: the claim, and each claim that contradicts it beside it. */
export function ClaimView({ id }: { id: string }) {
  const [{ data, error, fetching }] = useQuery({ query: ClaimPageDocument, variables: { id } });
  if (error) return <Failed error={error} />;
  if (fetching && !data) return <Loading what="the claim" />;
  const claim = data?.node?.__typename === 'Claim' ? data.node : null;
  if (!claim) return <p>No claim has this id. It may have been deleted.</p>;
  return (
    <section class="claim-page">
      <ClaimCard claim={claim} heading="h1" opposed={false} />
      {claim.contradictions.length ? (
        <section aria-labelledby="opposing">
          <h2 id="opposing">Contradicting claims</h2>
          {claim.contradictions.map(({ claim: other, basis }) => (
            <div class="contradiction">
              <p class={`basis ${basis.kind.toLowerCase()}`}>
                {basis.kind === 'STATED' ? 'Set against each other by the source' : 'Inferred'}
                {basis.note ? `: ${basis.note}` : ''}
              </p>
              {basis.quote ? <blockquote class="basis-quote">{basis.quote}</blockquote> : null}
              <div class="versus">
                <div class="side">
                  <p class="side-label">This claim</p>
                  <ClaimCard claim={claim} opposed={false} />
                </div>
                <div class="side">
                  <p class="side-label">Contradicted by</p>
                  <ClaimCard claim={other} opposed={false} />
                </div>
              </div>
            </div>
          ))}
        </section>
      ) : (
        <p>No claim contradicts this one.</p>
      )}
    </section>
  );
}
