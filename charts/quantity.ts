/** Kubernetes quantities as numbers, for the memory RabbitMQ is told it has. */

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
const QUANTITY = /^(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** The value of a quantity the spec already validated, e.g. "2Gi" -> 2147483648. */
export function quantityValue(text: string): number {
  const match = QUANTITY.exec(text);
  if (!match) throw new Error(`"${text}" is not a Kubernetes quantity`);
  const suffix = match[2] ?? '';
  const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIX[suffix]!;
  return Number(match[1]) * factor;
}

/** Most headroom kept for the Erlang VM beyond what RabbitMQ plans with. */
const MAX_HEADROOM_BYTES = 2 * 2 ** 30;

/**
 * Memory RabbitMQ should take as its total: the container limit less 20 % (at most 2 GiB), so the
 * watermark leaves room for the runtime's own allocations before the kernel's OOM killer acts.
 */
export function memoryForRabbitmq(limit: string): number {
  const bytes = Math.floor(quantityValue(limit));
  return bytes - Math.min(Math.floor(bytes / 5), MAX_HEADROOM_BYTES);
}
