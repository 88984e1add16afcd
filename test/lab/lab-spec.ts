/** The lab's hosts and addressing: validated once, every problem at once, then frozen. */
import { randomBytes, randomInt } from 'node:crypto';

export interface LabHostSpec {
  /** The host name (a DNS label), resolvable from every lab host and set as the host's UTS name. */
  readonly name: string;
  /**
   * The host's IPv4 address inside the lab subnet.
   * @default - the next free address from .11 upwards
   */
  readonly address?: string;
}

export interface LabOptions {
  readonly hosts: readonly LabHostSpec[];
  /**
   * An IPv4 CIDR. Labs never share a network, so parallel labs may use the same subnet.
   * @default - the /24 of the given addresses, else a random 10.231.X.0/24
   */
  readonly subnet?: string;
  /**
   * Give each host its own PID namespace, so `pidof haproxy` in one host does not see another host's.
   * @default false
   */
  readonly ownPidNamespaces?: boolean;
}

export interface LabHost {
  readonly name: string;
  readonly address: string;
  /** Network namespace name: `wl-<id>-<name>`. */
  readonly netns: string;
  /** The host's end of its cable, inside the switch namespace (<= 15 characters). */
  readonly switchPort: string;
}

export interface LabLayout {
  readonly id: string;
  readonly subnet: string;
  readonly prefixLength: number;
  readonly switchNetns: string;
  readonly bridge: string;
  readonly hosts: readonly LabHost[];
  readonly ownPidNamespaces: boolean;
}

/** Every lab namespace starts with this; stale-lab clean-up matches on it. */
export const LAB_PREFIX = 'wl-';
export const LAB_NETNS_PATTERN = /^wl-([0-9a-f]{6})-/;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const FIRST_HOST_NUMBER = 11;

export function planLab(options: LabOptions): LabLayout {
  const problems: string[] = [];
  if (options.hosts.length === 0) problems.push('hosts: [] is empty; give at least one host');
  if (options.hosts.length > 90) problems.push(`hosts: ${options.hosts.length} hosts is too many; give at most 90`);
  const seenNames = new Set<string>();
  options.hosts.forEach((host, i) => {
    if (!DNS_LABEL.test(host.name)) {
      problems.push(`hosts[${i}].name: "${host.name}" is not a lower-case DNS label; use letters, digits and inner hyphens, e.g. "rabbit-1"`);
    } else if (host.name === 'localhost' || host.name === 'sw') {
      problems.push(`hosts[${i}].name: "${host.name}" is reserved by the lab; choose another name`);
    }
    if (seenNames.has(host.name)) problems.push(`hosts[${i}].name: "${host.name}" is used twice; give each host its own name`);
    seenNames.add(host.name);
    if (host.address !== undefined && parseIpv4(host.address) === undefined) {
      problems.push(`hosts[${i}].address: "${host.address}" is not an IPv4 address; use e.g. "10.231.17.11"`);
    }
  });
  const subnet = options.subnet ?? subnetOfAddresses(options.hosts) ?? `10.231.${randomInt(0, 256)}.0/24`;
  const network = parseCidr(subnet);
  if (network === undefined) {
    problems.push(`subnet: "${subnet}" is not an IPv4 CIDR with a prefix of 8 to 29 bits; use e.g. "10.231.17.0/24"`);
    throw labSpecError(problems);
  }
  const size = 2 ** (32 - network.prefixLength);
  const used = new Set<number>();
  options.hosts.forEach((host, i) => {
    const address = host.address === undefined ? undefined : parseIpv4(host.address);
    if (address === undefined) return;
    const offset = address - network.base;
    if (offset <= 0 || offset >= size - 1) {
      problems.push(`hosts[${i}].address: "${host.address}" is not a host address inside ${subnet}; pick one between ${formatIpv4(network.base + 1)} and ${formatIpv4(network.base + size - 2)}`);
    } else if (used.has(offset)) {
      problems.push(`hosts[${i}].address: "${host.address}" is used twice; give each host its own address`);
    }
    used.add(offset);
  });
  if (problems.length > 0) throw labSpecError(problems);

  const id = randomBytes(3).toString('hex');
  let next = Math.min(FIRST_HOST_NUMBER, size - 2);
  const hosts = options.hosts.map((host, i): LabHost => {
    let address = host.address;
    if (address === undefined) {
      while (used.has(next)) next++;
      if (next >= size - 1) throw labSpecError([`subnet: "${subnet}" has no free address left for hosts[${i}]; give a larger subnet`]);
      used.add(next);
      address = formatIpv4(network.base + next);
    }
    return Object.freeze({ name: host.name, address, netns: `${LAB_PREFIX}${id}-${host.name}`, switchPort: `wl${id}p${i}` });
  });
  return Object.freeze({
    id,
    subnet: `${formatIpv4(network.base)}/${network.prefixLength}`,
    prefixLength: network.prefixLength,
    switchNetns: `${LAB_PREFIX}${id}-sw`,
    bridge: `wl${id}br`,
    hosts: Object.freeze(hosts),
    ownPidNamespaces: options.ownPidNamespaces ?? false,
  });
}

/** The lines of /etc/hosts every lab host sees. */
export function renderHostsFile(layout: LabLayout): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...layout.hosts.map((h) => `${h.address}\t${h.name}`)];
  return `${lines.join('\n')}\n`;
}

function labSpecError(problems: readonly string[]): Error {
  return new Error(`createLab: ${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
}

function subnetOfAddresses(hosts: readonly LabHostSpec[]): string | undefined {
  const first = hosts.find((h) => h.address !== undefined)?.address;
  const address = first === undefined ? undefined : parseIpv4(first);
  return address === undefined ? undefined : `${formatIpv4(address - (address % 256))}/24`;
}

function parseIpv4(text: string): number | undefined {
  const match = IPV4.exec(text);
  if (match === null) return undefined;
  const octets = match.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((sum, o) => sum * 256 + o, 0);
}

function parseCidr(text: string): { base: number; prefixLength: number } | undefined {
  const [addressText, prefixText, ...rest] = text.split('/');
  if (addressText === undefined || prefixText === undefined || rest.length > 0 || !/^\d{1,2}$/.test(prefixText)) return undefined;
  const address = parseIpv4(addressText);
  const prefixLength = Number(prefixText);
  if (address === undefined || prefixLength < 8 || prefixLength > 29) return undefined;
  const size = 2 ** (32 - prefixLength);
  return { base: address - (address % size), prefixLength };
}

function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}
