import type { ClusterSpec } from './spec';

/** The cluster `warren synth` builds when given no spec: three nodes of the current line, with HAProxy in front. */
export const DEFAULT_SPEC: ClusterSpec = {
  name: 'rabbit',
  nodes: 3,
  loadBalancer: {},
};
