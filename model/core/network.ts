/** IPv4 arithmetic for the rules and resolution that place addresses in subnets. */

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** Whether `address` lies in the network of `cidr` (e.g. "10.0.0.100/24"). */
export function inSubnet(address: string, cidr: string): boolean {
  const [network, prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  const size = 2 ** (32 - prefix);
  return Math.floor(ipv4ToNumber(address) / size) === Math.floor(ipv4ToNumber(network!) / size);
}
