/**
 * The HAProxy service of the compose project, configured by the same renderer the VM bundles use.
 */
import { haproxyConfigFromCluster, renderHaproxyConfig } from '../haproxy';
import type { GeneratedFile, PublishedPort, ResolvedCluster, SecretValues } from '../model';
import { portMappings, type ComposeService } from './compose-project';

/**
 * HAProxy 3.2: the LTS line (fixes until 2030) that current Debian ships and that the compose test runs
 * this file with (test/compose-engine). 2.6, Debian 12's line, reaches its end of life in 2027, and a
 * user's first `up` pulls the image for years. 3.4 is newer but nothing here can run the config with it yet.
 */
export const HAPROXY_IMAGE = 'haproxy:3.2';
export const HAPROXY_SERVICE = 'haproxy';
export const HAPROXY_CONFIG_FILE = 'haproxy/haproxy.cfg';

export function haproxyService(cluster: ResolvedCluster, published: readonly PublishedPort[], network: string): ComposeService {
  return {
    image: HAPROXY_IMAGE,
    volumes: [{ type: 'bind', source: `./${HAPROXY_CONFIG_FILE}`, target: '/usr/local/etc/haproxy/haproxy.cfg', read_only: true }],
    ports: portMappings(cluster, published, HAPROXY_SERVICE),
    networks: [network],
    restart: 'unless-stopped',
    hostname: HAPROXY_SERVICE,
  };
}

export function haproxyConfigFile(cluster: ResolvedCluster, secrets: SecretValues): GeneratedFile {
  // Node names resolve through Docker's DNS once their containers exist; HAProxy starts before that.
  const config = haproxyConfigFromCluster(cluster, secrets, { target: 'compose', serverAddress: (node) => node.host });
  return { path: `compose/${HAPROXY_CONFIG_FILE}`, content: renderHaproxyConfig(config), kind: 'plain' };
}
