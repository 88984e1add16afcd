/**
 * `warren graph`: draws the resolved cluster, its topology or one target's deployment, as Mermaid, DOT or
 * SVG. The text renderers are the ones synth writes its diagrams with; the WebAssembly Graphviz loads only for SVG.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SPEC, resolveCluster, truncateForMessage, WarrenUserError } from '../model/internal';
import { loadSpecFile } from '../io/spec-file';
import { deploymentDiagram, marksOf, renderDot, renderMermaid, renderSvg, topologyDiagram } from '../graph';
import { writeUserFile } from './write-output';

interface GraphIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
}

const FORMATS = ['mermaid', 'dot', 'svg'] as const;
const VIEWS = ['topology', 'deployment'] as const;
const TARGETS = ['compose', 'kubernetes', 'vm'] as const;

export const GRAPH_HELP = `Usage: warren graph [--spec FILE] [--view topology|deployment] [--target NAME] [--format mermaid|dot|svg] [--out FILE]

Draws the cluster from the resolved spec. The topology view shows each vhost's exchanges (type), queues
(type, TTL, max length, delivery limit...), bindings with their keys or header matches, dead-letter routes
(dashed red), consumer retries (dashed orange), federation upstreams and shovels (bold blue, to other
brokers). It marks what is easier seen than read: dead-letter cycles, queues nothing routes to, exchanges
without bindings (also listed on stderr). The deployment view shows one target: who connects, the virtual
IP and which load balancer holds it by VRRP priority, HAProxy, and the nodes (VM hosts, containers or pods)
with their ports. \`warren synth\` writes every view as Mermaid and DOT into DIR/diagrams/.

Options:
  --spec FILE      spec file (YAML or JSON); without it, the built-in default cluster
  --view VIEW      topology (default) or deployment
  --target NAME    deployment of compose, kubernetes or vm (default: vm when the load balancer has hosts,
                   else compose)
  --format FORMAT  mermaid (default; renders in GitHub Markdown), dot (Graphviz), or svg (laid out by
                   Graphviz compiled to WebAssembly: nothing to install)
  --out FILE       write to FILE instead of standard output
  -h, --help       show this help`;

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new WarrenUserError(`${flag} "${truncateForMessage(value)}" is not one of ${allowed.join(', ')}; pick one of them`);
}

export async function graph(args: string[], io: GraphIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: { spec: { type: 'string' }, view: { type: 'string' }, target: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    throw new WarrenUserError(`${truncateForMessage((error as Error).message.replace(/\. To specify.*$/s, ''), 200)}; run with --help for the options`);
  }
  if (values.help) return io.stdout(`${GRAPH_HELP}\n`), 0;
  const format = oneOf('--format', values.format as string | undefined, FORMATS, 'mermaid');
  const view = oneOf('--view', values.view as string | undefined, VIEWS, 'topology');
  if (values.target !== undefined && view !== 'deployment') throw new WarrenUserError('--target draws a deployment; add --view deployment, or leave --target out');
  const specPath = values.spec as string | undefined;
  const spec = specPath === undefined ? DEFAULT_SPEC : loadSpecFile(resolve(io.cwd, specPath));
  const cluster = resolveCluster(spec as never);
  const target = oneOf('--target', values.target as string | undefined, TARGETS, (cluster.loadBalancer?.hosts.length ?? 0) > 0 ? 'vm' : 'compose');

  const diagram = view === 'topology' ? topologyDiagram(cluster) : deploymentDiagram(cluster, target);
  const text = format === 'mermaid' ? renderMermaid(diagram) : format === 'dot' ? renderDot(diagram) : await renderSvg(renderDot(diagram));
  for (const mark of marksOf(diagram)) io.stderr(`marked: ${mark}\n`);
  const out = values.out as string | undefined;
  if (out === undefined) io.stdout(text);
  else writeUserFile(resolve(io.cwd, out), text, '--out', `${diagram.name}.${format === 'mermaid' ? 'mmd' : format}`);
  return 0;
}

