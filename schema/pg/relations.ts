/** The PostgreSQL twin of schema/relations.ts, line for line (test/schema-dialects.test.ts compares them). */
import { defineRelations } from 'drizzle-orm';
import * as tables from './tables';

export const relations = defineRelations(tables, (r) => ({
  entities: {
    aliases: r.many.entityAliases({ from: r.entities.id, to: r.entityAliases.entityId }),
    developer: r.one.entities({ from: r.entities.developerId, to: r.entities.id, alias: 'developer' }),
    wikidataSource: r.one.sources({ from: r.entities.wikidataSourceId, to: r.sources.id, alias: 'wikidataSource' }),
    products: r.many.entities({ from: r.entities.id, to: r.entities.developerId, alias: 'developer' }),
    participations: r.many.eventParticipants({
      from: r.entities.id,
      to: r.eventParticipants.entityId,
      alias: 'participant',
    }),
    participants: r.many.eventParticipants({
      from: r.entities.id,
      to: r.eventParticipants.eventId,
      alias: 'event',
    }),
    relationshipEnds: r.many.relationshipEnds({
      from: r.entities.id,
      to: r.relationshipEnds.entityId,
      alias: 'end',
    }),
    claimsAbout: r.many.claims({
      from: r.entities.id.through(r.claimSubjects.entityId),
      to: r.claims.id.through(r.claimSubjects.claimId),
    }),
    claimsMade: r.many.claims({ from: r.entities.id, to: r.claims.claimantId, alias: 'claimant' }),
    /** The claim_subjects links themselves, for paging claimsAbout in claim_id order. */
    claimLinks: r.many.claimSubjects({ from: r.entities.id, to: r.claimSubjects.entityId }),
  },
  claimSubjects: {
    claim: r.one.claims({ from: r.claimSubjects.claimId, to: r.claims.id, optional: false }),
  },
  entityAliases: {
    entity: r.one.entities({ from: r.entityAliases.entityId, to: r.entities.id, optional: false }),
  },
  eventParticipants: {
    event: r.one.entities({
      from: r.eventParticipants.eventId,
      to: r.entities.id,
      alias: 'event',
      optional: false,
    }),
    entity: r.one.entities({
      from: r.eventParticipants.entityId,
      to: r.entities.id,
      alias: 'participant',
      optional: false,
    }),
  },
  relationships: {
    subject: r.one.entities({ from: r.relationships.subjectId, to: r.entities.id, optional: false }),
    object: r.one.entities({ from: r.relationships.objectId, to: r.entities.id, optional: false }),
    claims: r.many.claims({
      from: r.relationships.id.through(r.relationshipClaims.relationshipId),
      to: r.claims.id.through(r.relationshipClaims.claimId),
    }),
  },
  relationshipEnds: {
    entity: r.one.entities({
      from: r.relationshipEnds.entityId,
      to: r.entities.id,
      alias: 'end',
      optional: false,
    }),
    relationship: r.one.relationships({
      from: r.relationshipEnds.relationshipId,
      to: r.relationships.id,
      optional: false,
    }),
  },
  sources: {
    publisher: r.one.entities({ from: r.sources.publisherId, to: r.entities.id }),
    citations: r.many.citations({ from: r.sources.id, to: r.citations.sourceId }),
    statedClaims: r.many.claims({ from: r.sources.id, to: r.claims.appearsInId }),
  },
  claims: {
    claimant: r.one.entities({ from: r.claims.claimantId, to: r.entities.id, alias: 'claimant' }),
    appearsIn: r.one.sources({ from: r.claims.appearsInId, to: r.sources.id, optional: false }),
    about: r.many.entities({
      from: r.claims.id.through(r.claimSubjects.claimId),
      to: r.entities.id.through(r.claimSubjects.entityId),
    }),
    citations: r.many.citations({ from: r.claims.id, to: r.citations.claimId }),
    /** The contradiction rows themselves, for their basis. */
    contradictionLinks: r.many.claimContradictions({ from: r.claims.id, to: r.claimContradictions.claimId, alias: 'contradictionOwner' }),
    contradicts: r.many.claims({
      from: r.claims.id.through(r.claimContradictions.claimId),
      to: r.claims.id.through(r.claimContradictions.contradictsId),
    }),
    relationships: r.many.relationships({
      from: r.claims.id.through(r.relationshipClaims.claimId),
      to: r.relationships.id.through(r.relationshipClaims.relationshipId),
    }),
  },
  claimContradictions: {
    claim: r.one.claims({ from: r.claimContradictions.claimId, to: r.claims.id, alias: 'contradictionOwner', optional: false }),
    other: r.one.claims({ from: r.claimContradictions.contradictsId, to: r.claims.id, alias: 'contradictionOther', optional: false }),
  },
  citations: {
    claim: r.one.claims({ from: r.citations.claimId, to: r.claims.id, optional: false }),
    source: r.one.sources({ from: r.citations.sourceId, to: r.sources.id, optional: false }),
  },
}));
