/**
 * cert-manager's own Certificate CRD (test/schemas/cert-manager/, v1.21.1) as a validator: the `v1` version's
 * openAPIV3Schema through ajv, with unknown fields rejected as the API server's strict field validation (kubectl's
 * default) rejects them. The CRD's `format`s are Kubernetes' (int32, date-time...): the ones ajv-formats lacks pass.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { ROOT } from '../support/fixtures';

export const CERT_MANAGER_CRD = join(ROOT, 'test', 'schemas', 'cert-manager', 'cert-manager.io_certificates.yaml');

type Schema = Record<string, unknown>;

/** Every object schema that lists its properties and does not keep unknown fields refuses the fields it does not list. */
function strict(schema: Schema): Schema {
  const copy: Schema = { ...schema };
  if (copy.properties && copy.additionalProperties === undefined && !copy['x-kubernetes-preserve-unknown-fields']) copy.additionalProperties = false;
  if (copy.properties) copy.properties = Object.fromEntries(Object.entries(copy.properties as Record<string, Schema>).map(([k, v]) => [k, strict(v)]));
  if (copy.items) copy.items = strict(copy.items as Schema);
  if (copy.additionalProperties && typeof copy.additionalProperties === 'object') copy.additionalProperties = strict(copy.additionalProperties as Schema);
  return copy;
}

let validate: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (validate) return validate;
  const crd = parse(readFileSync(CERT_MANAGER_CRD, 'utf8')) as { spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] } };
  const v1 = crd.spec.versions.find((v) => v.name === 'v1');
  if (!v1) throw new Error(`${CERT_MANAGER_CRD}: no v1 version`);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  for (const format of ['int32', 'int64']) ajv.addFormat(format, true);
  validate = ajv.compile(strict(v1.schema.openAPIV3Schema));
  return validate;
}

/** Problems of one cert-manager.io/v1 Certificate against the CRD's schema; empty when it is valid. */
export function certificateSchemaProblems(object: unknown): string[] {
  const check = validator();
  if (check(object)) return [];
  return (check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}${e.params && 'allowedValues' in e.params ? ` ${JSON.stringify(e.params.allowedValues)}` : ''}`);
}
