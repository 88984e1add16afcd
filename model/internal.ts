/**
 * What warren's own targets, entry points and tests use beyond the public model (index.ts): helpers whose
 * shape may change with any release. Not in the package's exports.
 */
export * from './index';
export { closest, truncateForMessage } from './core/problems';
export { secretSourceText, secretValue } from './secrets/secrets';
export { secretsFolderFor } from './secrets/store-location';
export { composePortPlan, type PublishedPort } from './compose/ports';
export { pemFileContent, tlsPathsIn } from './tls/resolve';
export { majorityAgentArgs, majorityLossAgentMs, CLOSE_CLIENT_CONNECTIONS_COMMAND } from './cluster/majority-check';
export { MAJORITY_AGENT_ESCRIPT } from './cluster/majority-agent-escript';
export { renderConfFile, type ConfSection } from './render/conf-file';
export { rabbitmqConfSections, TARGET_CLUSTER_SIZE_KEY } from './render/rabbitmq-conf';
export { definitionsOf, rabbitPasswordHash } from './render/definitions';
export { planSnapshotOf, type PlanSnapshot } from './plan/snapshot';
export { planChanges } from './plan/plan';
export { versionChange } from './plan/upgrade-path';
export { CHANGE_CLASSES, formatChange, worstClass, type ChangeClass, type PlannedChange } from './plan/change';
export { sameIdentity, type CookieNow, type CookieRecord, type FileIdentity } from './plan/cookie';
export { nextPlanState, parsePlanState, renderPlanState, PLAN_STATE_PATH, type PlanState, type SynthesisRecord } from './plan/state';
export { clientServiceHostName, podHostName } from './kubernetes/resolve';
export { tlsDialledNames, tlsGeneratedNodeNames, tlsGeneratedSharedNames, type DialledName } from './tls/dialled';
export { certManagerCertificateOf, tlsMaterialTargets, usesCertManager, type CertManagerCertificateRequest } from './tls/cert-manager';
export { isGeneratedTlsMaterial, nodeTlsOf, tlsNodeIds, TLS_IDS } from './tls/resolve';
export { hasInterNodeTls, interNodeEnvironment, interNodeErlArgs, INTER_NODE_ENV } from './tls/inter-node';
export { formatDelay } from './topology/reliability';
export { tcpPortsOpenTo, STREAM_REPLICATION_PORTS } from './firewall/host-rules';
