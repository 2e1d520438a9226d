import type { EntityKind } from '../../schema/enums';
import type { Db } from '../db';
import { ENTITY_TYPE_BY_KIND, encodeGlobalID } from '../domain/ids';

/**
 * The graph of actors as GraphML (http://graphml.graphdrawing.org/), for Gephi, Cytoscape and
 * NetworkX: every entity (events included) is a node, every relationship and every event
 * participation a directed edge. Ids are the API's global ids (a participation, which has none,
 * is `participation-<n>`). Attributes are strings (partial dates keep their precision:
 * "2015"), declared as <key>s; an absent value is left out. Claims and sources are not drawn: the
 * CSV and JSON-LD exports hold them.
 */

/** Node attributes, by name (Gephi shows `label`); their key ids are `node.<name>`. */
export const NODE_ATTRIBUTES = [
  'label',
  'kind',
  'slug',
  'description',
  'wikidataId',
  'foundedOn',
  'legalForm',
  'occupation',
  'releasedOn',
  'startDate',
  'endDate',
  'status',
] as const;
/** Edge attributes (key ids `edge.<name>`): `type` is "relationship" or "participation"; `role` only on participations. */
export const EDGE_ATTRIBUTES = ['type', 'label', 'predicate', 'validFrom', 'validTo', 'basis', 'basisNote', 'role'] as const;

type Row = Record<string, string | number | null>;

/** XML 1.0 has no way to write most control characters: they become U+FFFD. */
function escape(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r/g, '&#13;');
}

/** Key ids are unique in a document, so a node's and an edge's `label` are `node.label` and `edge.label`. */
type Value = string | number | null | undefined;
function data(of: 'node', attributes: Partial<Record<(typeof NODE_ATTRIBUTES)[number], Value>>): string;
function data(of: 'edge', attributes: Partial<Record<(typeof EDGE_ATTRIBUTES)[number], Value>>): string;
function data(of: 'node' | 'edge', attributes: Record<string, Value>): string {
  return Object.entries(attributes)
    .filter(([, value]) => value != null)
    .map(([key, value]) => `\n      <data key="${of}.${key}">${escape(String(value))}</data>`)
    .join('');
}

export interface GraphmlExport {
  text: string;
  nodes: number;
  edges: number;
}

/** The whole graph of entities, read in one transaction. */
export function exportGraphml(db: Db): GraphmlExport {
  const client = db.$client;
  return client.transaction((): GraphmlExport => {
    const all = (sql: string) => client.prepare(sql).all() as Row[];
    const entities = all('SELECT * FROM entities ORDER BY id');
    const kinds = new Map(entities.map((e) => [e.id as number, e.kind as EntityKind]));
    const node = (id: number | string | null | undefined) => encodeGlobalID(ENTITY_TYPE_BY_KIND[kinds.get(id as number)!], id as number);
    const keys = [
      ...NODE_ATTRIBUTES.map((name) => `  <key id="node.${name}" for="node" attr.name="${name}" attr.type="string"/>`),
      ...EDGE_ATTRIBUTES.map((name) => `  <key id="edge.${name}" for="edge" attr.name="${name}" attr.type="string"/>`),
    ];
    const nodes = entities.map(
      (e) =>
        `    <node id="${node(e.id)}">${data('node', {
          label: e.name as string,
          kind: e.kind,
          slug: e.slug,
          description: e.description,
          wikidataId: e.wikidata_id,
          foundedOn: e.founded_on,
          legalForm: e.legal_form,
          occupation: e.occupation,
          releasedOn: e.released_on,
          startDate: e.start_date,
          endDate: e.end_date,
          status: e.status,
        })}\n    </node>`,
    );
    const relationships = all('SELECT * FROM relationships ORDER BY id').map(
      (r) =>
        `    <edge id="${encodeGlobalID('Relationship', r.id as number)}" source="${node(r.subject_id)}" target="${node(r.object_id)}">${data('edge', {
          type: 'relationship',
          label: r.label,
          predicate: r.predicate,
          validFrom: r.valid_from,
          validTo: r.valid_to,
          basis: r.basis,
          basisNote: r.basis_note,
        })}\n    </edge>`,
    );
    // From the participant to the event: "Musk -[co-founder]-> the founding of OpenAI".
    const participations = all('SELECT id, event_id, entity_id, role FROM event_participants ORDER BY event_id, id').map(
      (p) =>
        `    <edge id="participation-${p.id}" source="${node(p.entity_id)}" target="${node(p.event_id)}">${data('edge', {
          type: 'participation',
          label: p.role,
          role: p.role,
        })}\n    </edge>`,
    );
    const text = `<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">
${keys.join('\n')}
  <graph id="claimgraph" edgedefault="directed">
${[...nodes, ...relationships, ...participations].join('\n')}
  </graph>
</graphml>
`;
    return { text, nodes: nodes.length, edges: relationships.length + participations.length };
  })();
}
