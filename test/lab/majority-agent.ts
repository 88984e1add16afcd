/**
 * warren's majority agent in a lab host, started as a VM bundle's systemd unit starts it: the unit's ExecStart,
 * from the program path the bundle installs (created in the root, or on this machine, as install.sh does).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MAJORITY_AGENT_UNIT_PATH } from '../../vm/majority-agent-unit';
import type { Lab, LabProcess } from './lab';

/** Starts the agent of the bundle folder `hostDir` in `host`; undefined when the bundle has none (the node pauses itself). */
export function startBundleMajorityAgent(lab: Lab, host: string, hostDir: string, options: { root?: string; logFile: string }): LabProcess | undefined {
  const unit = join(hostDir, MAJORITY_AGENT_UNIT_PATH);
  if (!existsSync(unit)) return undefined;
  const argv = /^ExecStart=(.+)$/m.exec(readFileSync(unit, 'utf8'))?.[1]?.split(' ');
  const program = argv?.find((arg) => arg.endsWith('.escript'));
  if (!argv || !program) throw new Error(`${unit}: no ExecStart with an escript program`);
  mkdirSync(`${options.root ?? ''}${dirname(program)}`, { recursive: true });
  return lab.spawn(host, argv, {
    bindMounts: [{ source: join(hostDir, dirname(program)), target: dirname(program) }],
    root: options.root,
    logFile: options.logFile,
  });
}
