/**
 * What the two Pulumi programs read from their stack configuration. Entry-point code: it reads the spec
 * file; the components themselves read nothing.
 *
 * - `spec`: path of a warren spec (YAML or JSON), relative to the program folder; without it, DEFAULT_SPEC.
 * - one optional secret per secret id (`erlang-cookie`, `default-user-password`, ...), set with
 *   `pulumi config set --secret <id> <value>`; a secret left unset is generated once and kept in state.
 */
import * as pulumi from '@pulumi/pulumi';
import { loadSpecFile } from '../io/spec-file';
import { DEFAULT_SPEC, resolveCluster, SpecError, WarrenUserError, type ClusterSpec, type ResolvedCluster, type SecretRef } from '../model';
import type { SecretInputs } from './secrets';

export function specFromConfig(config: pulumi.Config): ClusterSpec {
  const path = config.get('spec');
  if (path === undefined) return DEFAULT_SPEC;
  try {
    return loadSpecFile(path) as ClusterSpec;
  } catch (error) {
    if (error instanceof WarrenUserError) throw new pulumi.RunError(error.message);
    throw error;
  }
}

/** resolveCluster, with the spec's problems as one error that `pulumi up` prints whole. */
export function resolveForProgram(spec: ClusterSpec): ResolvedCluster {
  try {
    return resolveCluster(spec);
  } catch (error) {
    if (error instanceof SpecError) throw new pulumi.RunError(error.message);
    throw error;
  }
}

export function secretsFromConfig(config: pulumi.Config, refs: readonly SecretRef[]): SecretInputs {
  return Object.fromEntries(refs.map((ref) => [ref.id, config.getSecret(ref.id)]));
}
