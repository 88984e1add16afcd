/**
 * Where the bench puts processes on this machine's CPUs: the load generator on one CPU, the servers it measures
 * (brokers, HAProxy and everything else in their hosts' network namespaces) on the other(s), so that neither
 * side of an interleaved pair pays for the other's scheduling. On one CPU both share it, and the output says so.
 */
import { availableParallelism } from 'node:os';
import type { Lab } from '../test/lab';
import { runCommand } from '../test/lab/commands';

/** The CPU the load generator gets. */
const CLIENT_CPU = 1;

export interface Placement {
  /** The client's argv, run under `taskset` on its CPU. */
  client(argv: readonly string[]): string[];
  /** Pins every thread of every process now in these hosts' namespaces to the servers' CPUs; the returned function undoes it. */
  pinServers(lab: Lab, hosts: readonly string[]): Promise<() => Promise<void>>;
  /** One line for the bench's output. */
  readonly description: string;
}

export function placement(): Placement {
  const cpus = availableParallelism();
  const clientCpu = cpus > 1 ? String(CLIENT_CPU) : '0';
  const serverCpus = cpus > 1 ? [...Array(cpus).keys()].filter((cpu) => cpu !== CLIENT_CPU).join(',') : '0';
  return {
    client: (argv) => ['taskset', '-c', clientCpu, ...argv],
    async pinServers(lab, hosts) {
      await pinHosts(lab, hosts, serverCpus);
      return () => pinHosts(lab, hosts, `0-${cpus - 1}`);
    },
    description:
      cpus > 1
        ? `load generator pinned to CPU ${clientCpu}; brokers, HAProxy and their hosts' other processes to CPU ${serverCpus} (taskset)`
        : 'one CPU: load generator and servers share it (no pinning)',
  };
}

async function pinHosts(lab: Lab, hosts: readonly string[], cpuList: string): Promise<void> {
  for (const host of hosts) {
    const pids = (await runCommand(['ip', 'netns', 'pids', lab.netnsOf(host)])).stdout.split('\n').filter((p) => p.trim() !== '');
    for (const pid of pids) await runCommand(['taskset', '-a', '-p', '-c', cpuList, pid]);
  }
}
