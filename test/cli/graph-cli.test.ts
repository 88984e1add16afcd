/** `warren graph` as a command: formats, views, --out, bad options, and synth writing the text diagrams. */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, runCliAsync } from '../../cli/main';
import { EXAMPLES_DIR } from '../support/fixtures';

let cwd: string;
let out: string[];
let err: string[];
const io = () => ({ stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), env: {}, cwd });
const warren = (...argv: string[]) => runCliAsync(argv, io());

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'warren-graph-'));
  out = [];
  err = [];
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

describe('warren graph', () => {
  it('prints the topology as Mermaid and lists the marks on stderr (none for the example, three for topology-3.10)', async () => {
    expect(await warren('graph', '--spec', join(EXAMPLES_DIR, 'topology-4.3.yaml'))).toBe(0);
    expect(out.join('')).toMatch(/^---\ntitle: "payments: topology \(RabbitMQ 4\.3\)"\n---\nflowchart LR\n/);
    expect(err.join('')).toBe('');
    expect(await warren('graph', '--spec', join(EXAMPLES_DIR, 'topology-3.10.yaml'))).toBe(0);
    expect(err.join('')).toBe(
      [
        'marked: orders.bounded: nothing routes here: no binding, dead-letter route or link',
        'marked: orders.outbox: nothing routes here: no binding, dead-letter route or link',
        'marked: upstream eu-west: no policy names this upstream: nothing is federated from it',
        '',
      ].join('\n'),
    );
  });

  it('writes a deployment as SVG to --out, the default target vm when the load balancer has hosts', async () => {
    expect(await warren('graph', '--spec', join(EXAMPLES_DIR, 'lb-vm-4.3.yaml'), '--view', 'deployment', '--format', 'svg', '--out', 'vm.svg')).toBe(0);
    const svg = readFileSync(join(cwd, 'vm.svg'), 'utf8');
    expect(svg).toMatch(/^<\?xml/);
    expect(svg).toContain('<!-- Title: deployment&#45;vm Pages: 1 -->');
    expect(out.join('')).toBe('');
  });

  it('prints DOT of the default cluster\'s compose deployment', async () => {
    expect(await warren('graph', '--view', 'deployment', '--format', 'dot')).toBe(0);
    expect(out.join('')).toMatch(/^digraph "deployment-compose" \{\n/);
  });

  it('refuses a bad format, view or target, naming the value and what to use (exit 2)', async () => {
    expect(await warren('graph', '--format', 'png')).toBe(2);
    expect(await warren('graph', '--view', 'deployment', '--target', 'swarm')).toBe(2);
    expect(await warren('graph', '--target', 'vm')).toBe(2);
    expect(err.join('')).toBe(
      [
        'warren: --format "png" is not one of mermaid, dot, svg; pick one of them',
        'warren: --target "swarm" is not one of compose, kubernetes, vm; pick one of them',
        'warren: --target draws a deployment; add --view deployment, or leave --target out',
        '',
      ].join('\n'),
    );
  });

  it('refuses an invalid spec like every command (exit 1, the problems listed)', async () => {
    expect(await warren('graph', '--spec', join(EXAMPLES_DIR, '..', 'package.json'))).toBe(1);
    expect(err.join('')).toMatch(/^warren: the spec has \d+ errors?:\n/);
  });

  it('is not run by the synchronous runCli, which says to call runCliAsync', () => {
    expect(runCli(['graph'], io())).toBe(3);
    expect(err.join('')).toContain('warren graph is asynchronous: run it through runCliAsync');
  });
});

describe('warren synth', () => {
  it('writes the diagrams as text (Mermaid in README.md and DOT) beside the targets', async () => {
    expect(await warren('synth', '--target', 'diagrams')).toBe(0);
    expect(readdirSync(join(cwd, 'dist', 'diagrams')).sort()).toEqual(['README.md', 'deployment-compose.dot', 'deployment-kubernetes.dot', 'deployment-vm.dot', 'topology.dot']);
    expect(readFileSync(join(cwd, 'dist', 'diagrams', 'README.md'), 'utf8')).toContain('```mermaid\n---\ntitle: "rabbit: docker compose"');
  });
});
