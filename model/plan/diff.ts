/**
 * The differences between two plan snapshots, leaf by leaf. Lists of named things (nodes, queues, policies...)
 * are matched by their identity, not their position, so reordering a list changes nothing and a renamed queue
 * is one removed and one added.
 */
import type { PlainObject, PlainValue } from './snapshot';

export interface Difference {
  /** The path with `[]` for every list item, e.g. `topology.queues[].arguments.x-max-length`: what classifiers match. */
  readonly pattern: string;
  /** The pattern's segments (`[]` is one), e.g. `topology`, `queues`, `[]`, `arguments`, `x-max-length`. */
  readonly segments: readonly string[];
  /** The path as shown, e.g. `topology.queues["orders" in "/"].arguments.x-max-length`. */
  readonly path: string;
  /** @default - absent before */
  readonly before?: PlainValue;
  /** @default - absent after */
  readonly after?: PlainValue;
  /** The list items this difference lies in, outermost first, before and after (a queue, for its arguments). */
  readonly items: readonly { readonly before?: PlainObject; readonly after?: PlainObject }[];
}

const quote = (value: PlainValue | undefined) => JSON.stringify(value ?? '');
const inVhost = (item: PlainObject) => `${quote(item.name)} in ${quote(item.vhost)}`;

/** How items of a list are told apart, by the list's pattern. */
const LIST_IDENTITIES: Readonly<Record<string, (item: PlainObject) => string>> = {
  nodes: (node) => quote(node.host),
  'loadBalancer.hosts': (host) => quote(host.host),
  'topology.vhosts': (vhost) => quote(vhost.name),
  'topology.users': (user) => quote(user.name),
  'topology.permissions': (permission) => `${quote(permission.user)} in ${quote(permission.vhost)}`,
  'topology.exchanges': inVhost,
  'topology.queues': inVhost,
  'topology.policies': inVhost,
  'topology.operatorPolicies': inVhost,
  'topology.federationUpstreams': inVhost,
  'topology.shovels': inVhost,
  // A binding is all of its fields: changing one is removing a binding and adding another.
  'topology.bindings': (b) =>
    `${quote(b.source)} to ${b.destinationType === 'exchange' ? 'exchange ' : ''}${quote(b.destination)} by ${quote(b.routingKey)}` +
    `${b.arguments && Object.keys(b.arguments as PlainObject).length > 0 ? ` with ${JSON.stringify(b.arguments)}` : ''} in ${quote(b.vhost)}`,
};

/** Lists whose items are plain names: a set. */
const SET_LISTS = new Set(['plugins', 'kubernetes.clientNamespaces']);

export function isPlainObject(value: PlainValue | undefined): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepEqual(a: PlainValue | undefined, b: PlainValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && deepEqual(a[key], b[key]));
  }
  return false;
}

const member = (path: string, key: string) => (/^[A-Za-z_$][\w$-]*$/.test(key) ? `${path === '' ? '' : `${path}.`}${key}` : `${path}[${JSON.stringify(key)}]`);

interface At {
  readonly segments: readonly string[];
  readonly path: string;
  readonly items: Difference['items'];
}

/** `topology.queues[].arguments`: segments joined with dots, list markers without. */
export function joinPattern(segments: readonly string[]): string {
  return segments.reduce((pattern, segment) => (segment === '[]' ? `${pattern}[]` : pattern === '' ? segment : `${pattern}.${segment}`), '');
}

function walk(before: PlainValue | undefined, after: PlainValue | undefined, at: At, out: Difference[]): void {
  if (deepEqual(before, after)) return;
  const pattern = joinPattern(at.segments);
  const item = (path: string) => ({ pattern: `${pattern}[]`, segments: [...at.segments, '[]'], path });
  const leaf = () => out.push({ pattern, segments: at.segments, path: at.path, ...(before !== undefined && { before }), ...(after !== undefined && { after }), items: at.items });
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...Object.keys(before), ...Object.keys(after).filter((key) => !(key in before))];
    for (const key of keys) walk(before[key], after[key], { segments: [...at.segments, key], path: member(at.path, key), items: at.items }, out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    if (SET_LISTS.has(pattern)) {
      const gone = before.filter((item) => !after.some((other) => deepEqual(item, other)));
      const added = after.filter((item) => !before.some((other) => deepEqual(item, other)));
      for (const entry of gone) out.push({ ...item(`${at.path}[${JSON.stringify(entry)}]`), before: entry, items: at.items });
      for (const entry of added) out.push({ ...item(`${at.path}[${JSON.stringify(entry)}]`), after: entry, items: at.items });
      return;
    }
    const identity = LIST_IDENTITIES[pattern];
    if (identity && before.every(isPlainObject) && after.every(isPlainObject)) {
      const beforeItems = new Map(before.map((item) => [identity(item as PlainObject), item as PlainObject]));
      const afterItems = new Map(after.map((item) => [identity(item as PlainObject), item as PlainObject]));
      for (const key of [...beforeItems.keys(), ...[...afterItems.keys()].filter((key) => !beforeItems.has(key))]) {
        const [was, is] = [beforeItems.get(key), afterItems.get(key)];
        const items = [...at.items, { ...(was && { before: was }), ...(is && { after: is }) }];
        const path = `${at.path}[${key}]`;
        if (was && is) walk(was, is, { segments: [...at.segments, '[]'], path, items }, out);
        else out.push({ ...item(path), ...(was && { before: was }), ...(is && { after: is }), items });
      }
      return;
    }
  }
  leaf();
}

/** Every difference between two snapshots (or parts of them), in the order of `before`'s keys, then `after`'s. */
export function differences(before: PlainObject, after: PlainObject): Difference[] {
  const out: Difference[] = [];
  walk(before, after, { segments: [], path: '', items: [] }, out);
  return out;
}
