/** renderComposeProject: the one place a typed ComposeProject becomes compose.yaml text (Compose Specification, no `version:`). */
import { Document, isScalar, isSeq, visit } from 'yaml';
import type { ComposeProject, ComposeService, Healthcheck, StartupStep } from './config';

/** Durations as Compose and the Docker API write them: `10s`. */
export function durationText(seconds: number): string {
  return `${seconds}s`;
}

function stepCommand(step: StartupStep): string {
  switch (step.kind) {
    case 'make-folder':
      return `mkdir -p ${step.path}`;
    case 'install':
      return `install -m ${step.mode} -o ${step.owner ?? 'rabbitmq'} -g ${step.owner ?? 'rabbitmq'} ${step.from} ${step.to}`;
    case 'keep-running':
      // Braces: the commands are joined with `; `, and `&;` is a syntax error.
      return `{ (while true; do setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups ${step.argv.join(' ')}; sleep 1; done) & }`;
    case 'exec':
      return `exec ${step.argv.join(' ')}`;
    default: {
      const unknown: never = step;
      throw new Error(`unknown start-up step ${JSON.stringify(unknown)}`);
    }
  }
}

const MIB = 2 ** 20;
const GIB = 2 ** 30;

/** A memory size as Docker writes it (`2g`, `1536m`: binary units), which every Compose version reads. */
export function memoryText(bytes: number): string {
  if (bytes % MIB !== 0) throw new Error(`${bytes} bytes is not a whole number of MiB; compose.memoryLimit is given in MiB or GiB`);
  return bytes % GIB === 0 ? `${bytes / GIB}g` : `${bytes / MIB}m`;
}

/** A container entrypoint running the steps in order, stopping at the first that fails. */
export function renderEntrypoint(steps: readonly StartupStep[]): string[] {
  return ['/bin/sh', '-c', ['set -e', ...steps.map(stepCommand)].join('; ')];
}

function renderHealthcheck(h: Healthcheck) {
  return {
    test: [...h.test],
    interval: durationText(h.intervalSeconds),
    timeout: durationText(h.timeoutSeconds),
    retries: h.retries,
    start_period: durationText(h.startPeriodSeconds),
  };
}

/** A service's keys in the order dclint's service-keys-order rule expects; empty lists are left out. */
function renderService(service: ComposeService) {
  const secrets = service.files.flatMap((f) => (f.delivery.kind === 'secret' ? [{ source: f.delivery.name, target: f.delivery.name }] : []));
  const environment = Object.entries(service.environment);
  return {
    image: service.image,
    ...(service.dependsOn && { depends_on: Object.fromEntries([...service.dependsOn].sort((a, b) => (a.service < b.service ? -1 : 1)).map((d) => [d.service, { condition: d.condition }])) }),
    volumes: [
      ...service.files.filter((f) => f.delivery.kind === 'bind').map((f) => ({ type: 'bind', source: `./${f.source}`, target: f.target, read_only: true })),
      ...(service.dataVolume ? [{ type: 'volume', source: service.dataVolume.name, target: service.dataVolume.target }] : []),
    ],
    ...(secrets.length > 0 && { secrets }),
    ...(environment.length > 0 && { environment: Object.fromEntries(environment) }),
    ports: service.ports.map((p) => `${p.address}:${p.hostPort}:${p.containerPort}`),
    networks: [service.network],
    ...(service.startup && { entrypoint: renderEntrypoint(service.startup) }),
    restart: service.restart,
    ...(service.healthcheck && { healthcheck: renderHealthcheck(service.healthcheck) }),
    ...(service.user !== undefined && { user: service.user }),
    hostname: service.hostname,
    ...(service.memoryLimitBytes !== undefined && { mem_limit: memoryText(service.memoryLimitBytes) }),
    ...(service.stopGracePeriodSeconds !== undefined && { stop_grace_period: durationText(service.stopGracePeriodSeconds) }),
  };
}

export function renderComposeProject(project: ComposeProject): string {
  const document = new Document({
    name: project.name,
    // Sorted by name, as dclint expects (and as readers scan them).
    services: Object.fromEntries([...project.services, ...project.monitoring].map((s): [string, ReturnType<typeof renderService>] => [s.name, renderService(s)]).sort(([a], [b]) => (a < b ? -1 : 1))),
    networks: { [project.network]: { name: project.network } },
    volumes: Object.fromEntries(project.volumes.map((volume) => [volume, {}])),
    secrets: Object.fromEntries(project.secrets.map((s) => [s.name, { file: `./${s.source}` }])),
  });
  // Quoted port mappings: YAML 1.1 readers turn unquoted "a:b" with small numbers into base-60 integers.
  visit(document, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === 'ports' && isSeq(pair.value)) {
        for (const item of pair.value.items) if (isScalar(item)) item.type = 'QUOTE_SINGLE';
      }
    },
  });
  return document.toString({ lineWidth: 0 });
}
