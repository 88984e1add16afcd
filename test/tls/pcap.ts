/**
 * Just enough of the pcap format (tcpdump -w, Ethernet frames) to read the TCP payloads of a capture, per
 * direction of each connection, in capture order with retransmitted segments dropped.
 */
import { readFileSync } from 'node:fs';

export interface TcpStream {
  /** `address:port>address:port`, the direction the bytes went. */
  readonly key: string;
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly payload: Buffer;
}

const LINKTYPE_ETHERNET = 1;

export function tcpStreamsOf(pcapFile: string): TcpStream[] {
  const file = readFileSync(pcapFile);
  const magic = file.readUInt32LE(0);
  // Microsecond (a1b2c3d4) or nanosecond (a1b23c4d) timestamps, written little-endian on this machine.
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`${pcapFile}: not a little-endian pcap file (magic ${magic.toString(16)})`);
  const linkType = file.readUInt32LE(20);
  if (linkType !== LINKTYPE_ETHERNET) throw new Error(`${pcapFile}: link type ${linkType}, not Ethernet`);
  const streams = new Map<string, { sourcePort: number; destinationPort: number; parts: Buffer[]; seen: Set<number> }>();
  for (let offset = 24; offset + 16 <= file.length; ) {
    const captured = file.readUInt32LE(offset + 8);
    const frame = file.subarray(offset + 16, offset + 16 + captured);
    offset += 16 + captured;
    if (frame.length < 14 || frame.readUInt16BE(12) !== 0x0800) continue;
    const ip = frame.subarray(14);
    if (ip[9] !== 6) continue;
    const ipHeader = (ip[0]! & 0x0f) * 4;
    const ipLength = ip.readUInt16BE(2);
    const tcp = ip.subarray(ipHeader, ipLength);
    const sourcePort = tcp.readUInt16BE(0);
    const destinationPort = tcp.readUInt16BE(2);
    const sequence = tcp.readUInt32BE(4);
    const payload = tcp.subarray((tcp[12]! >> 4) * 4);
    if (payload.length === 0) continue;
    const key = `${[...ip.subarray(12, 16)].join('.')}:${sourcePort}>${[...ip.subarray(16, 20)].join('.')}:${destinationPort}`;
    const stream = streams.get(key) ?? { sourcePort, destinationPort, parts: [], seen: new Set<number>() };
    if (stream.seen.has(sequence)) continue;
    stream.seen.add(sequence);
    stream.parts.push(Buffer.from(payload));
    streams.set(key, stream);
  }
  return [...streams].map(([key, s]) => ({ key, sourcePort: s.sourcePort, destinationPort: s.destinationPort, payload: Buffer.concat(s.parts) }));
}
