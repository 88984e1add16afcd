/**
 * The spec reference (docs/spec-reference.md): every key, its type and its default, generated from the
 * same JSON Schema the editors use, so the documentation cannot drift from what validation accepts.
 */

interface SchemaNode {
  readonly type?: string | string[];
  readonly description?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly properties?: Record<string, SchemaNode>;
  readonly required?: readonly string[];
  readonly items?: SchemaNode;
  readonly anyOf?: readonly SchemaNode[];
  readonly additionalProperties?: SchemaNode | boolean;
  readonly minimum?: number;
  readonly maximum?: number;
}

interface Row {
  readonly path: string;
  readonly type: string;
  readonly defaultValue: string;
  readonly description: string;
}

function typeOf(node: SchemaNode): string {
  if (node.enum) return node.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (node.const !== undefined) return `\`${String(node.const)}\``;
  if (node.anyOf) return node.anyOf.map(typeOf).join(' or ');
  if (node.type === 'array') return `list of ${node.items ? typeOf(node.items) : 'values'}`;
  if (node.type === 'integer' && node.minimum !== undefined && node.maximum !== undefined) return `integer ${node.minimum}-${node.maximum}`;
  return Array.isArray(node.type) ? node.type.join(' or ') : (node.type ?? 'any');
}

function rowsOf(node: SchemaNode, path: string, required: boolean): Row[] {
  const description = (node.description ?? '').replace(/\s*@default\s.*$/s, '').replaceAll('|', '\\|');
  const documentedDefault = /@default\s(.*)$/s.exec(node.description ?? '')?.[1];
  const defaultValue = required
    ? '(required)'
    : documentedDefault ?? (node.default === undefined ? '' : `\`${JSON.stringify(node.default)}\``);
  const row: Row = { path, type: typeOf(node), defaultValue: defaultValue.replaceAll('|', '\\|'), description };
  const itemObject = node.type === 'array' && node.items?.properties ? node.items : undefined;
  const object = node.properties ? node : itemObject ?? node.anyOf?.find((option) => option.type === 'array' && option.items?.properties)?.items;
  if (!object?.properties) return [row];
  const prefix = object === node ? path : `${path}[]`;
  const children = Object.entries(object.properties)
    .filter(([key]) => key !== '$schema')
    .flatMap(([key, child]) => rowsOf(child, prefix ? `${prefix}.${key}` : key, object.required?.includes(key) ?? false));
  return path ? [{ ...row, type: object === node ? 'object' : row.type, defaultValue: object === node ? '' : row.defaultValue }, ...children] : children;
}

export function renderSpecReference(schema: SchemaNode): string {
  const rows = rowsOf(schema, '', false);
  return [
    '# warren spec reference',
    '',
    'Generated from `schema/warren.schema.json` by `npm run schema`; do not edit by hand.',
    'A key with a default may be left out. Secret sources are `generate`, `file:<path>` or `env:<VARIABLE>`.',
    '',
    '| key | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| \`${r.path}\` | ${r.type} | ${r.defaultValue} | ${r.description} |`),
    '',
  ].join('\n');
}
