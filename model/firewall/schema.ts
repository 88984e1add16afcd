/**
 * The `firewall` section of the spec: who may reach the VM hosts. Each host's nftables ruleset is derived from
 * these networks and the resolved cluster (peers, load balancers, listeners); nothing else names a port.
 */
import * as z from 'zod';
import { IPV4, IPV4_CIDR } from '../core/primitives';

/** An IPv4 network in CIDR notation; a bare address gets a suggestion of its /32. */
const network = (what: string) =>
  z
    .string()
    .superRefine((text, ctx) => {
      if (IPV4_CIDR.test(text)) return;
      ctx.addIssue({
        code: 'custom',
        message: IPV4.test(text)
          ? `has no prefix length; write "${text}/32" for that one host, or its network (e.g. "${text.replace(/\.\d+$/, '.0')}/24")`
          : `is not an IPv4 network in CIDR notation; write an address and a prefix length 1-32 for ${what} (e.g. "10.0.1.0/24")`,
      });
    });

const networks = (what: string, description: string) =>
  z.array(network(what)).default([]).describe(`${description} @default []`);

export const firewallSchema = z
  .strictObject({
    enabled: z
      .boolean('is not true or false; give true to install the hosts\' nftables rules')
      .default(false)
      .describe(
        'Install an nftables table (inet warren) on every VM host that drops whatever the cluster does not need: Erlang distribution, epmd and stream replication from the cluster\'s nodes only, AMQP from clients and the load balancers, the management API from the load balancers and admins, metrics from monitoring, VRRP between the load balancers, ssh from admins. ' +
          'Off by default: a default-drop input policy on hosts that already serve would cut every source the spec does not name (ssh sessions, unlisted clients), so it is switched on once those networks are written here. @default false',
      ),
    clients: networks('applications', 'Networks of the applications: AMQP(S) on the nodes and the load balancers\' AMQP frontends, and the stream port where streams are on.'),
    admins: networks('operators', 'Networks of the operators: ssh on every host and the management API (nodes and load-balancer frontend, HAProxy stats page). Required when enabled, so that no host locks its operators out.'),
    monitoring: networks('Prometheus', 'Networks of the Prometheus servers: the nodes\' metrics port and HAProxy\'s stats port (/metrics).'),
    sshPort: z
      .int('is not a port number; give an integer between 1 and 65535')
      .min(1, 'is not a port number; give an integer between 1 and 65535')
      .max(65535, 'is not a port number; give an integer between 1 and 65535')
      .default(22)
      .describe('Port of the hosts\' ssh server, open to admins. @default 22'),
  })
  .prefault({})
  .describe('Host firewall (nftables) of the VM bundles. @default { enabled: false }');
