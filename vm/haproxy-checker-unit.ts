/** The systemd unit that keeps the HAProxy checker (keepalived/check-script.ts) running on a load-balancer host. */
import { HAPROXY_CHECKER_PATH, HAPROXY_CHECKER_STATE_DIR, KEEPALIVED_SCRIPT_USER } from '../keepalived';
import type { ResolvedCluster } from '../model/internal';
import { renderServiceUnit } from './systemd-unit';

export const HAPROXY_CHECKER_SERVICE = 'warren-haproxy-check';
export const HAPROXY_CHECKER_UNIT_PATH = `/etc/systemd/system/${HAPROXY_CHECKER_SERVICE}.service`;

export function renderHaproxyCheckerUnit(cluster: ResolvedCluster): string {
  return renderServiceUnit(cluster, {
    name: HAPROXY_CHECKER_SERVICE,
    about: [
      `Asks this host's HAProxy whether it serves, 10 times a second, and writes the verdict to ${HAPROXY_CHECKER_STATE_DIR}/failing,`,
      'which Keepalived tracks. Started before Keepalived, so the folder exists when Keepalived begins to watch it.',
    ],
    description: `warren HAProxy check for Keepalived of RabbitMQ cluster "${cluster.name}"`,
    unit: ['After=haproxy.service', 'Before=keepalived.service'],
    service: [
      `User=${KEEPALIVED_SCRIPT_USER}`,
      `Group=${KEEPALIVED_SCRIPT_USER}`,
      `RuntimeDirectory=${HAPROXY_CHECKER_STATE_DIR.replace('/run/', '')}`,
      'RuntimeDirectoryMode=0755',
      '# Kept on stop: Keepalived watches the folder, and the watchdog script fails on the stale heartbeat instead.',
      'RuntimeDirectoryPreserve=yes',
      `ExecStart=${HAPROXY_CHECKER_PATH}`,
    ],
  });
}
