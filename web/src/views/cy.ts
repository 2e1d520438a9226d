import type { Core, ElementDefinition, StylesheetJson } from 'cytoscape';

/**
 * Cytoscape is fetched when a graph is first drawn: the other views never load it. Undefined when
 * the container left the page meanwhile (the person went elsewhere while an answer or the library
 * was on its way): cytoscape measures its container as it starts, and a detached one has no size,
 * which its first layout fails on ("reading 'h'").
 */
export async function createGraph(container: HTMLElement, elements: ElementDefinition[]): Promise<Core | undefined> {
  const { default: cytoscape } = await import('cytoscape');
  if (!container.isConnected) return undefined;
  return cytoscape({
    container,
    elements,
    style: STYLE,
    minZoom: 0.2,
    maxZoom: 3,
    wheelSensitivity: 0.3,
    boxSelectionEnabled: false,
    // Text drawn on the canvas; no DOM per node.
    textureOnViewport: false,
  });
}

const KIND_STYLE: Record<string, { color: string; shape: string }> = {
  PERSON: { color: '#1f5fae', shape: 'ellipse' },
  ORGANIZATION: { color: '#b35900', shape: 'round-rectangle' },
  EVENT: { color: '#7a2e8f', shape: 'diamond' },
  PRODUCT: { color: '#1b7a4a', shape: 'hexagon' },
  PLACE: { color: '#6b5b00', shape: 'triangle' },
  GROUP: { color: '#5c5c5c', shape: 'octagon' },
};
export const kindColor = (kind: string) => KIND_STYLE[kind]?.color ?? '#555';

const STYLE: StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      'font-size': 11,
      color: '#111',
      'text-valign': 'bottom',
      'text-margin-y': 4,
      'text-wrap': 'ellipsis',
      'text-max-width': '120px',
      'text-background-color': '#fff',
      'text-background-opacity': 0.85,
      'text-background-padding': '1px',
      width: 22,
      height: 22,
      'background-color': '#555',
    },
  },
  ...Object.entries(KIND_STYLE).map(([kind, { color, shape }]) => ({
    selector: `node[kind = "${kind}"]`,
    style: { 'background-color': color, shape: shape as 'ellipse' },
  })),
  { selector: 'node.centre', style: { width: 34, height: 34, 'border-width': 3, 'border-color': '#111', 'font-weight': 'bold' } },
  { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#e0a800' } },
  {
    selector: 'node.more',
    style: { shape: 'round-rectangle', 'background-color': '#fff', 'border-width': 1, 'border-style': 'dashed', 'border-color': '#555', width: 14, height: 14, color: '#333' },
  },
  {
    selector: 'edge',
    style: {
      label: 'data(label)',
      'font-size': 9,
      color: '#333',
      width: 1.5,
      'line-color': '#8a8a8a',
      'target-arrow-color': '#8a8a8a',
      'target-arrow-shape': 'triangle',
      'curve-style': 'bezier',
      'text-rotation': 'autorotate',
      'text-background-color': '#fff',
      'text-background-opacity': 0.85,
      'text-background-padding': '1px',
    },
  },
  // "Took part in" links are many and say the same: dotted, unlabelled.
  { selector: 'edge[predicate = "took_part_in"]', style: { 'line-style': 'dotted', label: '', 'target-arrow-shape': 'none' } },
  { selector: 'edge.more', style: { 'line-style': 'dashed', 'target-arrow-shape': 'none', label: '' } },
  // A path's steps run either way along its links: no arrows.
  { selector: 'edge.path', style: { width: 3, 'line-color': '#1f5fae', 'target-arrow-shape': 'none' } },
  // A relationship's basis (stated by a source or inferred), once the API gives one: inferred ones dashed.
  { selector: 'edge[basis = "INFERRED"]', style: { 'line-style': 'dashed' } },
];
