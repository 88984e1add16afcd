/** Rules of the `rabbitmq` section: a supported version, and a metadata store that version runs. */
import { error, type Rule } from '../core/rule';
import { parseVersion, SUPPORTED_LINES } from './version';

export const versionRule: Rule = (spec) =>
  parseVersion(spec.rabbitmq.version)
    ? []
    : [error('rabbitmq.version', spec.rabbitmq.version, `is not a supported RabbitMQ version; use MAJOR.MINOR[.PATCH] of ${SUPPORTED_LINES.join(', ')}`)];

/** Errors for a store the spec's version cannot run as warren builds it. */
export const metadataStoreRule: Rule = (spec, features) => {
  const store = spec.rabbitmq.metadataStore;
  const version = parseVersion(spec.rabbitmq.version);
  if (store === undefined || !features || !version || features.metadataStores.includes(store)) return [];
  const message =
    store === 'mnesia'
      ? `is not available on RabbitMQ ${version.line}, which removed Mnesia; enable the khepri_db feature flag on 4.2 before upgrading (rabbitmqctl enable_feature_flag khepri_db), then remove metadataStore`
      : `is not what RabbitMQ ${version.line} runs: Khepri is the default from 4.2, before an opt-in feature flag (khepri_db) that warren does not enable; remove metadataStore, or use RabbitMQ 4.2 or later`;
  return [error('rabbitmq.metadataStore', store, message)];
};

