/**
 * `warren dlq list|inspect|replay`: a reliable queue's dead letters, read from the broker the spec describes
 * with the spec's default user (its password from the same sources and store as synth; never printed).
 */
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import * as amqp from 'amqplib';
import { secretsStoreLocation, truncateForMessage, WarrenUserError, type ResolvedCluster, type ResolvedReliableQueue } from '../model/internal';
import { readSecretsWithoutGenerating } from '../io/secrets-store';
import { amqpUrlsOf, reliableQueueOf } from '../client/queues';
import { readDeadLetters, ReplayError, replayDeadLetters, type DeadLetter } from '../client/dead-letters';


export interface DlqRequest {
  readonly action: string;
  readonly cluster: ResolvedCluster;
  readonly queue: string;
  readonly vhost: string;
  readonly ids: readonly string[];
  readonly limit: number;
  readonly ratePerSecond: number;
  readonly baseDir: string;
  readonly secretsDir: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

const positive = (option: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new WarrenUserError(`--${option}: "${truncateForMessage(value)}" is not a positive number; give e.g. --${option} ${fallback}`);
  return n;
};

export function dlqOptions(values: Record<string, unknown>): { ids: string[]; limit: number; ratePerSecond: number } {
  return { ids: (values.id as string[] | undefined) ?? [], limit: positive('limit', values.limit as string | undefined, 100), ratePerSecond: positive('rate', values.rate as string | undefined, 10) };
}

/** Connects to the first URL that answers; a user error naming each address tried (never the password). */
async function connect(urls: readonly string[]): Promise<amqp.ChannelModel> {
  const failures: string[] = [];
  for (const url of urls) {
    try {
      const connection = await amqp.connect(url, { timeout: 5000, clientProperties: { connection_name: 'warren dlq' } });
      connection.on('error', () => undefined);
      return connection;
    } catch (error) {
      failures.push(`${url.replace(/\/\/[^@]*@/, '//').replace(/\?.*$/, '')} (${(error as Error).message || (error as NodeJS.ErrnoException).code})`);
    }
  }
  throw new WarrenUserError(`broker: cannot connect to ${failures.join(', ')}; start the cluster, or check the addresses and the default user's password in the spec`, 2);
}

function describe(letter: DeadLetter): string {
  const origin = `${letter.origin.exchange || '(default exchange)'} -> ${letter.origin.routingKey}`;
  return `${letter.messageId ?? '(no message id)'}  attempts ${letter.attempts ?? '?'}  origin ${origin}  error: ${truncateForMessage(letter.error ?? '(none recorded)', 200)}`;
}

function detail(letter: DeadLetter): string {
  const text = letter.body.toString('utf8');
  const printable = !text.includes('\uFFFD') && !/[\u0000-\u0008\u000E-\u001F]/.test(text);
  const headers = JSON.stringify(letter.headers, (_, v) => (v && v.type === 'Buffer' && Array.isArray(v.data) ? Buffer.from(v.data).toString() : v), 2);
  return [
    `message id: ${letter.messageId ?? '(none)'}`,
    `attempts:   ${letter.attempts ?? '(not recorded)'}`,
    `error:      ${letter.error ?? '(none recorded)'}`,
    `origin:     queue ${letter.origin.queue}, exchange "${letter.origin.exchange}", routing key "${letter.origin.routingKey}"`,
    `headers:    ${headers}`,
    `body (${letter.body.length} bytes${printable ? '' : ', base64'}):`,
    printable ? text : letter.body.toString('base64'),
  ].join('\n');
}

export async function runDlq(request: DlqRequest, out: (text: string) => void): Promise<number> {
  const queue: ResolvedReliableQueue = reliableQueueOf(request.cluster, request.queue, request.vhost);
  const { cluster } = request;
  const explicit = request.secretsDir === undefined ? undefined : resolve(request.cwd, request.secretsDir);
  const folder = secretsStoreLocation({ ...(explicit !== undefined && { explicit }), specDir: request.baseDir, outDir: resolve(request.cwd, 'dist'), clusterName: cluster.name }, existsSync).folder;
  const password = readSecretsWithoutGenerating(cluster, [cluster.defaultUser.password], { folder, baseDir: request.baseDir, env: request.env })[cluster.defaultUser.password.id]!;
  const connection = await connect(amqpUrlsOf(cluster, { user: cluster.defaultUser.name, password }, request.vhost));
  try {
    await connection.createChannel().then(async (channel) => {
      channel.on('error', () => undefined);
      await channel.checkQueue(queue.deadLetterQueue).catch(() => {
        throw new WarrenUserError(`queue "${queue.deadLetterQueue}" (the dead-letter queue of ${queue.name}) does not exist on the broker; apply the spec's definitions first (warren synth, then deploy)`, 2);
      });
      await channel.close();
    });
    switch (request.action) {
      case 'list': {
        const { total, letters } = await readDeadLetters(connection, queue, request.limit);
        out(`${queue.deadLetterQueue}: ${total} dead letter${total === 1 ? '' : 's'}${letters.length < total ? ` (the first ${letters.length})` : ''}\n`);
        for (const letter of letters) out(`${describe(letter)}\n`);
        return 0;
      }
      case 'inspect': {
        if (request.ids.length !== 1) throw new WarrenUserError(`inspect needs one --id (got ${request.ids.length}); take one from warren dlq list`, 2);
        const { letters } = await readDeadLetters(connection, queue, Number.MAX_SAFE_INTEGER);
        const letter = letters.find((l) => l.messageId === request.ids[0]);
        if (!letter) throw new WarrenUserError(`--id "${truncateForMessage(request.ids[0]!)}" is not in ${queue.deadLetterQueue} (${letters.length} dead letters); take one from warren dlq list`, 2);
        out(`${detail(letter)}\n`);
        return 0;
      }
      case 'replay': {
        const result = await replayDeadLetters(connection, queue, {
          ...(request.ids.length > 0 && { messageIds: request.ids }),
          ratePerSecond: request.ratePerSecond,
          onReplayed: (letter) => out(`replayed ${describe(letter)}\n`),
        });
        out(`${result.replayed} replayed (each confirmed), ${result.kept} left in ${queue.deadLetterQueue}\n`);
        return 0;
      }
      default:
        throw new WarrenUserError(`"${truncateForMessage(request.action)}" is not a dlq command; use list, inspect or replay (warren dlq --help)`, 2);
    }
  } catch (error) {
    if (error instanceof ReplayError) throw new WarrenUserError(error.message, 2);
    throw error;
  } finally {
    await connection.close().catch(() => undefined);
  }
}
