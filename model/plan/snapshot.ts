/**
 * What `warren plan` keeps of a synthesised cluster: the resolved cluster as plain JSON, every secret reference
 * reduced to its source text ("generate", "file:<path>", "env:<VARIABLE>"), never a value nor anything derived
 * from one. Fields the model derives from others (features, listeners, the majority check, the secrets list)
 * are left out: the plan compares what they derive from.
 */
import { rabbitmqConfSections } from '../render/rabbitmq-conf';
import type { ResolvedCluster } from '../resolve';
import { secretSourceText, type SecretRef } from '../secrets/secrets';
import { tlsPathsIn } from '../tls/resolve';

/** Bumped whenever the snapshot's shape changes in a way an older plan could not read. */
export const PLAN_SNAPSHOT_FORMAT = 1;

export type PlainValue = string | number | boolean | null | readonly PlainValue[] | { readonly [key: string]: PlainValue };
export type PlainObject = { readonly [key: string]: PlainValue };

/** The cluster as `warren plan` compares it; top-level keys are those of ResolvedCluster, less the derived ones. */
export interface PlanSnapshot extends PlainObject {
  readonly name: string;
  /** As the spec writes it: "4.3" or "4.3.6". */
  readonly version: string;
  readonly metadataStore: string;
  readonly nodes: readonly { readonly host: string; readonly address?: string }[];
  readonly partitionHandling: PlainObject;
  readonly erlangCookie: string;
  readonly topology: PlainObject;
  /** rabbitmq.conf of a node with classic peer discovery (the compose and VM targets), key by key. */
  readonly rabbitmqConf: { readonly [key: string]: string | number | boolean };
}

function isSecretRef(value: object): value is SecretRef {
  return 'id' in value && 'source' in value && 'carrier' in value;
}

/** A deep plain copy in which every secret reference becomes its source text. */
function toPlain(value: unknown): PlainValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(toPlain);
  if (typeof value === 'object') {
    if (isSecretRef(value)) return secretSourceText(value.source);
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, child]) => child !== undefined)
        .map(([key, child]) => [key, toPlain(child)]),
    );
  }
  throw new Error(`a resolved cluster holds ${typeof value}, which a plan snapshot cannot keep`);
}

/** Where the snapshot's rabbitmq.conf says definitions and TLS files are: the VM layout (only the keys matter). */
const CONF_DEFINITIONS_PATH = '/etc/rabbitmq/definitions.json';
const CONF_TLS_FOLDER = '/etc/rabbitmq/tls';

export function rabbitmqConfEntries(cluster: ResolvedCluster): Record<string, string | number | boolean> {
  const sections = rabbitmqConfSections(cluster, { peerDiscovery: { backend: 'classic_config' }, definitionsPath: CONF_DEFINITIONS_PATH, tlsPaths: tlsPathsIn(CONF_TLS_FOLDER) });
  return Object.fromEntries(sections.flatMap((section) => section.entries.map(([key, value]) => [key, value])));
}

export function planSnapshotOf(cluster: ResolvedCluster): PlanSnapshot {
  // Derived from other fields (quorumMembers from the version; its keys are in rabbitmqConf), or facts about this run rather than the cluster.
  const { features: _features, quorumMembers: _quorumMembers, listeners: _listeners, majorityCheck: _majority, secrets: _secrets, notices: _notices, warnings: _warnings, ...kept } = cluster;
  const { reliableQueues: _reliable, deadLetterQueues: _deadLetters, secrets: _topologySecrets, ...topology } = cluster.topology;
  const { cliRange: _cliRange, ...ports } = cluster.ports;
  return toPlain({
    ...kept,
    version: cluster.version.text,
    nodes: cluster.nodes.map((node) => ({ host: node.host, ...(node.address !== undefined && { address: node.address }) })),
    ports,
    topology,
    rabbitmqConf: rabbitmqConfEntries(cluster),
  }) as PlanSnapshot;
}
