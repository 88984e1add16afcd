/**
 * The Pulumi engine, mocked the official way (`pulumi.runtime.setMocks`): no Pulumi CLI, no Docker daemon,
 * no Kubernetes API. The mock keeps a state like the engine does: a resource registered again with the same
 * inputs gets its stored outputs back; a new one (or one whose inputs changed) gets fresh outputs, and a
 * RandomPassword a fresh random result.
 */
import { randomBytes } from 'node:crypto';
import * as pulumi from '@pulumi/pulumi';
import { isDeepStrictEqual } from 'node:util';

/** How the SDK marks a secret in serialised inputs (sdk/nodejs/runtime/rpc.ts). */
export const SECRET_SIG_KEY = '4dabf18193072939515e22adb298388d';
export const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

export interface Registration {
  readonly type: string;
  readonly name: string;
  /** As the engine receives them: a secret is `{ [SECRET_SIG_KEY]: SECRET_SIG, value }`. */
  readonly inputs: Record<string, unknown>;
}

/** Outputs by `type::name`, with the inputs they came from; pass the same map to a second run. */
export type MockState = Map<string, { inputs: Record<string, unknown>; outputs: Record<string, unknown> }>;

export function isSecretInput(value: unknown): value is { value: unknown } {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** The inputs with every secret replaced by its plain value. */
export function unwrapSecrets(value: unknown): unknown {
  if (isSecretInput(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  return value;
}

/** Plain (not secret-marked) strings of the inputs that contain any of `sensitive`, with their paths. */
export function plainLeaks(value: unknown, sensitive: readonly string[], path = ''): string[] {
  if (isSecretInput(value)) return [];
  if (typeof value === 'string') return sensitive.some((s) => value.includes(s)) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => plainLeaks(v, sensitive, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => plainLeaks(v, sensitive, path ? `${path}.${k}` : k));
  return [];
}

function outputsFor(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  switch (args.type) {
    case 'random:index/randomPassword:RandomPassword': {
      const length = Number(unwrapSecrets(args.inputs.length));
      return { ...args.inputs, result: randomBytes(64).toString('hex').slice(0, length) };
    }
    case 'docker:index/remoteImage:RemoteImage':
      return { ...args.inputs, imageId: `sha256:mock-${args.name}` };
    default:
      return { ...args.inputs };
  }
}

export function installMocks(project: string, state: MockState = new Map()): { registrations: Registration[]; state: MockState } {
  const registrations: Registration[] = [];
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        registrations.push({ type: args.type, name: args.name, inputs: args.inputs });
        const key = `${args.type}::${args.name}`;
        const stored = state.get(key);
        // The engine keeps a resource whose inputs did not change, outputs included.
        const outputs = stored && isDeepStrictEqual(stored.inputs, args.inputs) ? stored.outputs : outputsFor(args);
        state.set(key, { inputs: args.inputs, outputs });
        return { id: `${args.name}-id`, state: outputs };
      },
      call: (args) => args.inputs,
    },
    project,
    'test',
    false,
  );
  return { registrations, state };
}

export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

/** Children as a transformation on the parent sees them: the Resource, its parent, and its inputs (Outputs kept). */
export interface Child {
  readonly type: string;
  readonly name: string;
  readonly parent: pulumi.Resource | undefined;
  readonly props: Record<string, unknown>;
  readonly resource: pulumi.Resource;
  /** The resources it waits for (`dependsOn`). */
  readonly dependsOn: readonly pulumi.Resource[];
}

export function recordChildren(children: Child[]): pulumi.ResourceTransformation {
  return (args) => {
    const dependsOn = args.opts.dependsOn;
    children.push({
      type: args.type,
      name: args.name,
      parent: args.opts.parent,
      props: args.props as Record<string, unknown>,
      resource: args.resource,
      dependsOn: dependsOn === undefined ? [] : Array.isArray(dependsOn) ? (dependsOn as pulumi.Resource[]) : [dependsOn as pulumi.Resource],
    });
    return undefined;
  };
}

/** Waits until the engine mock has seen every child. */
export async function settled(children: readonly Child[]): Promise<void> {
  await Promise.all(children.map((child) => valueOf(child.resource.urn)));
}
