import type { ComponentChildren } from 'preact';
import type { ClaimSummaryFragment, EntityRefFragment, SupportStatus } from '../gql';
import { Link } from '../router';
import { href } from '../routes';

const KIND_NAMES: Record<string, string> = {
  PERSON: 'Person',
  ORGANIZATION: 'Organization',
  EVENT: 'Event',
  PRODUCT: 'Product',
  PLACE: 'Place',
  CLAIM: 'Claim',
  SOURCE: 'Source',
};

export const kindName = (kind: string) => KIND_NAMES[kind] ?? kind.charAt(0) + kind.slice(1).toLowerCase();

export function KindBadge({ kind }: { kind: string }) {
  return <span class={`kind kind-${kind.toLowerCase()}`}>{kindName(kind)}</span>;
}

const SUPPORT: Record<SupportStatus, { label: string; mark: string }> = {
  SUPPORTED: { label: 'Supported', mark: '✔' },
  CONTESTED: { label: 'Contested', mark: '⚖' },
  UNSUPPORTED: { label: 'Unsupported', mark: '?' },
  REFUTED: { label: 'Refuted', mark: '✘' },
};

/** The standing in words and a mark, not colour alone. */
export function SupportBadge({ support }: { support: SupportStatus }) {
  const { label, mark } = SUPPORT[support];
  return (
    <span class={`support support-${support.toLowerCase()}`}>
      <span aria-hidden="true">{mark}</span> {label}
    </span>
  );
}

export function EntityLink({ entity }: { entity: EntityRefFragment }) {
  return <Link href={href.entity(entity.id)}>{entity.name}</Link>;
}

/** `text` with the given ranges (or ** ** pairs, as search snippets mark them) wrapped in <mark>. */
export function Marked({ text, ranges }: { text: string; ranges?: readonly { start: number; end: number }[] }) {
  const parts: ComponentChildren[] = [];
  if (ranges) {
    let at = 0;
    for (const range of [...ranges].sort((a, b) => a.start - b.start)) {
      if (range.start < at) continue;
      parts.push(text.slice(at, range.start), <mark>{text.slice(range.start, range.end)}</mark>);
      at = range.end;
    }
    parts.push(text.slice(at));
  } else {
    text.split('**').forEach((piece, index) => parts.push(index % 2 ? <mark>{piece}</mark> : piece));
  }
  return <>{parts}</>;
}

/** One line per claim: its standing, its text (a link to its page) and who makes it. */
export function ClaimLine({ claim }: { claim: ClaimSummaryFragment }) {
  return (
    <li class={`claim-line support-${claim.support.toLowerCase()}`}>
      <SupportBadge support={claim.support} /> <Link href={href.claim(claim.id)}>{claim.text}</Link>
      {claim.claimant ? (
        <span class="by">
          {' '}
          — <EntityLink entity={claim.claimant} />
          {claim.attribution === 'REPORTED' ? ' (reported)' : ''}
        </span>
      ) : null}
    </li>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

export function Failed({ error }: { error: { message: string } }) {
  return (
    <p class="error" role="alert">
      {error.message.replace(/^\[GraphQL\] /, '')}
    </p>
  );
}
