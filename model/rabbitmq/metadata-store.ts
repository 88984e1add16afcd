/**
 * The metadata store a cluster runs on decides whether partition handling means anything: Mnesia pauses or
 * heals nodes as `cluster_partition_handling` says; Khepri (Raft) ignores the key. A new 4.2 cluster starts
 * on Khepri, but one upgraded from an earlier line keeps Mnesia until its `khepri_db` feature flag is enabled;
 * 4.3 removed Mnesia. Measured on 4.3.6: the node accepts `cluster_partition_handling` without a word and
 * keeps it in its application environment, with Khepri enabled.
 */
import type { ParsedSpec } from '../spec';
import type { MetadataStore, RabbitmqVersion, VersionFeatures } from './version';

/** The store the cluster runs on: the spec's, or the line's default. */
export function metadataStoreOf(spec: ParsedSpec, features: VersionFeatures): MetadataStore {
  return spec.rabbitmq.metadataStore ?? features.defaultMetadataStore;
}

/** What the user should hear about partition handling on this store; nothing on a line where Mnesia is all there is. */
export function partitionHandlingNotices(spec: ParsedSpec, version: RabbitmqVersion, features: VersionFeatures): string[] {
  const store = metadataStoreOf(spec, features);
  const mode = spec.partitionHandling.mode;
  if (store === 'khepri') {
    const which = !features.metadataStores.includes('mnesia')
      ? `RabbitMQ ${version.line} has no Mnesia`
      : spec.rabbitmq.metadataStore === undefined
        ? `this spec describes a new ${version.line} cluster, which starts on Khepri; for one upgraded from an earlier line whose khepri_db feature flag is not enabled yet, set rabbitmq.metadataStore to "mnesia"`
        : `rabbitmq.metadataStore says the cluster runs Khepri (a new ${version.line} cluster, or an upgraded one with khepri_db enabled)`;
    return [
      `partitionHandling "${mode}" has no effect on RabbitMQ ${version.line}: its Khepri metadata store uses Raft and pauses nothing, so the key is not written; ${which}. ` +
        'A node cut off from its peers keeps accepting clients but cannot confirm their quorum queue publishes (measured on 4.3.6), ' +
        "so warren's majority check takes it out of HAProxy and out of the Kubernetes client Service within seconds",
    ];
  }
  if (store !== features.defaultMetadataStore) {
    return [
      `rabbitmq.metadataStore "mnesia" describes a cluster upgraded to RabbitMQ ${version.line} whose khepri_db feature flag is not enabled yet, so partitionHandling "${mode}" is written; a new ${version.line} cluster starts on Khepri and ignores it. Enable khepri_db (rabbitmqctl enable_feature_flag khepri_db) before upgrading to 4.3, which has no Mnesia`,
    ];
  }
  return [];
}
