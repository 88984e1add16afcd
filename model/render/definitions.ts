/**
 * definitions.json, imported at boot by every target. It carries password hashes, so every target
 * delivers it as a secret, never as plain configuration.
 */
import { createHash, createHmac } from 'node:crypto';
import type { ResolvedCluster } from '../resolve';
import { secretValue, type SecretValues } from '../secrets';

export interface Definitions {
  readonly users: readonly { name: string; password_hash: string; hashing_algorithm: string; tags: string | string[]; limits: Record<string, never> }[];
  readonly vhosts: readonly { name: string; metadata?: { default_queue_type: string } }[];
  readonly permissions: readonly { user: string; vhost: string; configure: string; write: string; read: string }[];
  readonly policies: readonly { vhost: string; name: string; pattern: string; 'apply-to': string; priority: number; definition: Record<string, unknown> }[];
  readonly parameters: readonly unknown[];
  readonly global_parameters: readonly { name: string; value: unknown }[];
  readonly exchanges: readonly unknown[];
  readonly queues: readonly unknown[];
  readonly bindings: readonly unknown[];
}

/**
 * RabbitMQ's salted SHA-256 password hash: base64(salt ++ sha256(salt ++ password)).
 * The salt is derived from the password and user, so the same secrets give byte-identical output.
 */
export function rabbitPasswordHash(user: string, password: string): string {
  const salt = createHmac('sha256', password).update(`warren:${user}`).digest().subarray(0, 4);
  const digest = createHash('sha256').update(Buffer.concat([salt, Buffer.from(password, 'utf8')])).digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

export function definitionsOf(cluster: ResolvedCluster, secrets: SecretValues): Definitions {
  const user = cluster.defaultUser;
  const vhosts = [...new Set(['/', ...cluster.topology.policies.map((p) => p.vhost)])].sort();
  return {
    users: [
      {
        name: user.name,
        password_hash: rabbitPasswordHash(user.name, secretValue(secrets, user.password)),
        hashing_algorithm: 'rabbit_password_hashing_sha256',
        tags: user.tags.join(','),
        limits: {},
      },
    ],
    vhosts: vhosts.map((name) =>
      cluster.features.vhostDefaultQueueType ? { name, metadata: { default_queue_type: cluster.defaultQueueType } } : { name },
    ),
    permissions: vhosts.map((vhost) => ({ user: user.name, vhost, configure: '.*', write: '.*', read: '.*' })),
    policies: cluster.topology.policies.map((p) => ({
      vhost: p.vhost,
      name: p.name,
      pattern: p.pattern,
      'apply-to': p.applyTo,
      priority: p.priority,
      definition: p.definition,
    })),
    parameters: [],
    global_parameters: [{ name: 'cluster_name', value: cluster.name }],
    exchanges: [],
    queues: [],
    bindings: [],
  };
}

export function renderDefinitions(cluster: ResolvedCluster, secrets: SecretValues): string {
  return `${JSON.stringify(definitionsOf(cluster, secrets), null, 2)}\n`;
}
