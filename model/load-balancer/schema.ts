/**
 * The `loadBalancer` section of the spec: its hosts, virtual IP, and the HAProxy and Keepalived timings and VRRP settings.
 * Defaults are chosen for fast, flap-free failover; the reasons are in each `describe`.
 * Rules that relate these fields to others live in `rules.ts`.
 */
import * as z from 'zod';
import { IPV4_CIDR, SECRET_SOURCE, dnsLabel, ipv4Address, secretSource } from '../core/primitives';

/** Linux interface names: at most 15 characters, no spaces or slashes. */
const INTERFACE_NAME = /^[A-Za-z0-9_.:@-]{1,15}$/;
const ABSOLUTE_PATH = /^\/[^\s"'\\]*$/;

const wholeNumber = (min: number, max: number, what: string) =>
  z
    .int(`is not ${what}; give an integer between ${min} and ${max}`)
    .min(min, `is not ${what}; give an integer between ${min} and ${max}`)
    .max(max, `is not ${what}; give an integer between ${min} and ${max}`);

const notifyScript = (state: string) =>
  z
    .string()
    .regex(ABSOLUTE_PATH, 'is not an absolute path without spaces or quotes; give the full path of an executable, e.g. "/etc/keepalived/notify.sh"')
    .optional()
    .describe(`Executable run when this host becomes ${state}. @default - none`);

export const haproxySchema = z
  .strictObject({
    statsPort: wholeNumber(1, 65535, 'a port number')
      .default(8404)
      .describe('Port, on every interface, of the stats page (/) and Prometheus metrics (/metrics), both for user "stats" and statsPassword only (basic authentication), and of the health URI (/healthz) for Keepalived, without credentials. @default 8404'),
    maxconn: wholeNumber(1, 1_000_000, 'a connection limit')
      .default(4096)
      .describe('Global and per-frontend connection limit. HAProxy needs about 2 x maxconn file descriptors and refuses to start when it cannot raise its limit that far (`haproxy -c` does not notice). @default 4096'),
    checkIntervalMs: wholeNumber(100, 60_000, 'a check interval in milliseconds')
      .default(500)
      .describe('Interval between health checks of a healthy node (`inter`): each node gets two checks a second from each HAProxy (a TCP connect and a health-endpoint request). @default 500 (the guide\'s 5000 noticed a dead node after up to 15 s)'),
    checkFastIntervalMs: wholeNumber(100, 60_000, 'a check interval in milliseconds')
      .default(200)
      .describe('Interval while a node is changing state (`fastinter`): once one check failed, confirm quickly. @default 200'),
    rise: wholeNumber(1, 20, 'a number of checks')
      .default(2)
      .describe('Consecutive successful checks before a node gets traffic again. @default 2'),
    fall: wholeNumber(1, 20, 'a number of checks')
      .default(2)
      .describe('Consecutive failed checks before a node is marked down and its sessions are shut: 2 rides out one failed check, and a slow answer within checkTimeoutMs is no failure. @default 2 (a killed node, whose port refuses at once, is down within inter + fastinter = 0.7 s)'),
    connectTimeoutMs: wholeNumber(100, 60_000, 'a timeout in milliseconds')
      .default(5000)
      .describe('Time to establish a connection to a node. @default 5000'),
    checkTimeoutMs: wholeNumber(100, 60_000, 'a timeout in milliseconds')
      .default(2000)
      .describe('Time a node has to answer a health check (`timeout check`). @default 2000'),
    idleTimeoutSeconds: wholeNumber(1, 86_400, 'a number of seconds')
      .optional()
      .describe('How long an AMQP connection may stay silent (`timeout client/server/tunnel`). @default - 3 x heartbeatSeconds (1 hour when heartbeats are off)'),
  })
  .prefault({})
  .describe('HAProxy timings and limits.');

/** Advert interval when the spec names none: VRRPv3 can go below a second, VRRPv2 cannot. */
export const DEFAULT_ADVERT_INTERVAL_MS = { 2: 1000, 3: 250 } as const;

export const keepalivedSchema = z
  .strictObject({
    virtualRouterId: wholeNumber(1, 255, 'a VRRP virtual router id')
      .optional()
      .describe('VRRP virtual router id, unique on the network segment. @default - derived from the cluster name (1-255)'),
    vrrpVersion: z
      .union([z.literal(2), z.literal(3)], { error: 'is not a VRRP version; use 2 or 3' })
      .default(3)
      .describe('VRRP protocol version. 3 (RFC 5798) allows sub-second adverts and has no authentication. @default 3'),
    advertIntervalMs: wholeNumber(10, 255_000, 'an advertisement interval in milliseconds')
      .optional()
      .describe(
        'Interval between VRRP advertisements; a backup takes over after about 3 missed ones, or within one interval of a failing holder\'s priority-0 advert. Whole seconds with VRRPv2, 10 ms steps with VRRPv3. ' +
          'The sub-second option is 100: the virtual IP moves within 0.3 s of HAProxy dying and 0.4 s of the holder going silent, for 10 adverts a second to each peer, and a holder starved of CPU for 0.3 s loses the virtual IP (one cut of every client connection). ' +
          '@default - 250 with VRRPv3 (a silent holder is replaced after 3 x 250 ms + up to 250 ms of skew, at most 1 s; 4 adverts a second to each peer, and a holder starved of CPU for 0.75 s loses the virtual IP), 1000 with VRRPv2',
      ),
    peering: z
      .enum(['unicast', 'multicast'])
      .default('unicast')
      .describe('How VRRP advertisements travel: unicast to the other hosts (works in clouds) or multicast 224.0.0.18. @default "unicast"'),
    nopreempt: z
      .boolean()
      .default(false)
      .describe('Keep the virtual IP where it is when a higher-priority host comes back (avoids a second cut of every connection). A failed check then puts the holder in FAULT. @default false'),
    interface: z
      .string()
      .regex(INTERFACE_NAME, 'is not a network interface name; give the Linux name of the interface carrying the virtual IP (e.g. "eth0", "ens3")')
      .default('eth0')
      .describe('Network interface that carries the virtual IP on every load-balancer host. @default "eth0"'),
    authPass: z
      .string()
      .regex(SECRET_SOURCE, 'is not a secret source; use "generate", "file:<path>" or "env:<VARIABLE>"')
      .optional()
      .describe('VRRPv2 PASS authentication (at most 8 characters, sent in clear text; it only guards against mistakes). @default - no authentication'),
    checkIntervalSeconds: wholeNumber(1, 3600, 'a whole number of seconds (keepalived 2.2 runs scripts at most once a second)')
      .default(1)
      .describe('Interval of the watchdog script that fails when the HAProxy checker (warren-haproxy-check.service, asking HAProxy every 100 ms) stops writing its verdict. The verdict itself is a file Keepalived reads the moment it changes, so a failure is acted on at once, not at the next run. @default 1'),
    checkFailAfterMs: wholeNumber(200, 10_000, 'a time in milliseconds')
      .default(500)
      .describe(
        'How long HAProxy may leave its health URI without a 200 (hung, or 503 because it sees no node up) before the checker says it fails; two refused connections in a row (HAProxy not running) fail it at once. Shorter moves the virtual IP sooner after a hang and on shorter stalls. ' +
          '@default 500 (a single slow answer, e.g. a 300 ms stall, moves nothing)',
      ),
    checkRise: wholeNumber(1, 20, 'a number of checks')
      .default(2)
      .describe('A host counts as healthy again after checkRise x checkIntervalSeconds of uninterrupted 200s from HAProxy. @default 2'),
    checkFall: wholeNumber(1, 20, 'a number of checks')
      .default(1)
      .describe('Failed watchdog runs (a silent checker) before a host gives up the virtual IP; the checker\'s own verdict acts at once. @default 1'),
    checkWeight: z
      .int('is not a check weight; give an integer between -253 and 253')
      .min(-253, 'is not a check weight; give an integer between -253 and 253')
      .max(253, 'is not a check weight; give an integer between -253 and 253')
      .optional()
      .describe(
        'Priority change when the check fails (negative) or passes (positive); 0 puts a failing host in FAULT, which sends a priority-0 advert so a backup takes over within one advert interval. ' +
          'A negative weight keeps the virtual IP on some host when every check fails, but a backup then waits 3 adverts to take over. @default 0',
      ),
    notify: z
      .strictObject({
        master: notifyScript('MASTER (holds the virtual IP)'),
        backup: notifyScript('BACKUP'),
        fault: notifyScript('FAULT'),
        stop: notifyScript('stopped'),
        any: notifyScript('any state (arguments: INSTANCE <name> <state> <priority>)'),
      })
      .prefault({})
      .describe('Scripts keepalived runs on state changes. @default {}'),
  })
  .prefault({})
  .describe('Keepalived VRRP settings for the virtual IP.');

export const BALANCE_ALGORITHMS = ['leastconn', 'roundrobin'] as const;

const loadBalancerHost = z
  .strictObject({
    host: dnsLabel('lb-1').describe('Host name of the load-balancer machine.'),
    address: ipv4Address('10.0.0.21')
      .describe('IPv4 address of the load-balancer host on the network that carries the virtual IP.'),
    priority: z
      .int('is not a VRRP priority; give an integer between 1 and 254')
      .min(1, 'is not a VRRP priority; give an integer between 1 and 254')
      .max(254, 'is not a VRRP priority; give an integer between 1 and 254')
      .optional()
      .describe('VRRP priority; the highest healthy host holds the virtual IP. @default - derived from the order of hosts'),
  })
  .describe('One HAProxy (and Keepalived) host.');

export const loadBalancerSchema = z
  .strictObject({
    balance: z.enum(BALANCE_ALGORITHMS).default('leastconn').describe('HAProxy balance algorithm for AMQP. @default "leastconn"'),
    hosts: z.array(loadBalancerHost).default([]).describe('Load-balancer hosts (VM deployments). @default [] (compose runs one HAProxy container)'),
    virtualIp: z
      .string()
      .regex(IPV4_CIDR, 'is not an IPv4 address with a prefix length; write it as CIDR (e.g. "10.0.0.100/24")')
      .optional()
      .describe('Floating address held by one load-balancer host through VRRP (Keepalived).'),
    statsPassword: secretSource('the password of the HAProxy stats page (user "stats")'),
    haproxy: haproxySchema,
    keepalived: keepalivedSchema,
  })
  .optional()
  .describe('HAProxy in front of the nodes and, with a virtual IP, Keepalived.');
