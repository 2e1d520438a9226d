/** The operations the playground opens with: each shows off one way into the graph. */
export const PLAYGROUND_TABS = [
  {
    query: `# Claims supported by a source: each cited note and exactly what it backs.
query ClaimsSupportedBySource {
  sources {
    nodes {
      title
      label
      claims(stance: SUPPORTS) {
        totalCount
        nodes { text support claimant { name } }
      }
    }
  }
}
`,
  },
  {
    query: `# Claims no citation backs: what the article asserts on its own authority.
query UnsupportedClaims {
  claims(support: [UNSUPPORTED], first: 10) {
    totalCount
    nodes { text kind attribution claimant { name } }
    pageInfo { hasNextPage endCursor }
  }
}
`,
  },
  {
    query: `# Musk's positions, and the claims that contradict them.
query MusksPositions {
  entity(name: "Musk") {
    name
    claimsMade {
      nodes {
        text
        kind
        contradicts { text claimant { name } }
      }
    }
  }
}
`,
  },
  {
    query: `# The timeline: oldest first, undated last, dates at the precision the source gives.
query Timeline {
  events(first: 20) {
    nodes {
      name
      startDate
      status
      participants { edges { role node { name } } }
    }
  }
}
`,
  },
];
