/**
 * Secret values of a cluster inside a Pulumi program: a value the program passes (from `pulumi config set
 * --secret`), else a RandomPassword that lives in the stack's state. Either way every value is a secret
 * Output, and a generated one stays the same across `pulumi up` (a new cookie would split a running cluster).
 */
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { isGeneratedTlsMaterial, secretSourceText, type SecretRef, type SecretValues } from '../model/internal';

/** Secret values by id (`erlang-cookie`, `default-user-password`, ...), as a program passes them. */
export type SecretInputs = Readonly<Record<string, pulumi.Input<string> | undefined>>;

/** Secret values by id, every one a secret Output. */
export type SecretOutputs = Readonly<Record<string, pulumi.Output<string>>>;

/**
 * Every problem at once: a secret whose spec source is a file or an environment variable has no value here,
 * because a Pulumi program takes secrets from its encrypted config, not from the machine that runs it.
 */
export function missingSecretProblems(refs: readonly SecretRef[], provided: SecretInputs): string[] {
  const certificates = refs
    .filter((ref) => provided[ref.id] === undefined && isGeneratedTlsMaterial(ref))
    .map(
      (ref) =>
        `secrets.${ref.id}: "generate" makes a certificate, which a Pulumi program does not (${ref.description}); run \`warren synth\` once, ` +
        `then \`pulumi config set --secret ${ref.id} < .warren-secrets/<cluster>/${ref.id}\``,
    );
  return [...certificates, ...refs
    .filter((ref) => provided[ref.id] === undefined && ref.source.kind !== 'generate')
    .map(
      (ref) =>
        `secrets.${ref.id}: "${secretSourceText(ref.source)}" is not readable by a Pulumi program (${ref.description}); ` +
        `run \`pulumi config set --secret ${ref.id} <value>\``,
    )];
}

/**
 * One secret Output per ref. `generate` sources without a provided value become RandomPassword children of
 * `parent`, named `<prefix>-<id>`, with inputs that never change, so the engine keeps the stored result.
 */
export function secretOutputsOf(refs: readonly SecretRef[], provided: SecretInputs, parent: pulumi.Resource, prefix: string): SecretOutputs {
  const problems = missingSecretProblems(refs, provided);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return Object.fromEntries(
    refs.map((ref) => {
      const given = provided[ref.id];
      if (given !== undefined) return [ref.id, pulumi.secret(given)];
      const length = ref.source.kind === 'generate' ? ref.source.length : 0;
      // Alphanumerics only: the cookie must be a plain atom, and passwords end up in URLs.
      const generated = new random.RandomPassword(`${prefix}-${ref.id}`, { length, special: false }, { parent });
      return [ref.id, pulumi.secret(generated.result)];
    }),
  );
}

/** All values at once, for the pure renderers; the result is secret because every part is. */
export function secretValuesOf(outputs: SecretOutputs): pulumi.Output<SecretValues> {
  return pulumi.secret(pulumi.all(outputs as Record<string, pulumi.Output<string>>));
}

