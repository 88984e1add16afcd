/** `warren dlq --help`: apart from cli/dlq.ts, so that the other commands never load the AMQP client. */
export const DLQ_HELP = `Usage: warren dlq list|inspect|replay --spec FILE --queue NAME [options]

A reliable queue's dead letters (the queue has a retry policy in the spec; its dead-letter queue is read).
  list      the dead letters, oldest first: message id, attempts, error, origin; nothing is removed
  inspect   one dead letter in full (--id): headers and body; nothing is removed
  replay    send dead letters back to their origin exchange and routing key (the x-warren-origin-* headers,
            else the broker's x-death record), at most --rate a second; each is removed from the dead-letter
            queue only after its copy is confirmed and routed. The copy starts its attempts afresh.

Options:
  --spec FILE     the cluster's spec; the broker is its virtual IP, else its nodes, as the default user
  --queue NAME    a queue with a retry policy
  --vhost NAME    the queue's virtual host (default: /)
  --id ID         inspect: the message id; replay: only this id (repeatable; default: every dead letter)
  --limit N       list: at most N dead letters (default: 100)
  --rate N        replay: at most N messages a second (default: 10)
  --secrets DIR   store of generated secrets (default: .warren-secrets/ in the spec's folder)
  -h, --help      show this help
Exit status: 0 done, 1 the spec or a secret has errors, 2 a bad option, an unknown queue, an unreachable broker or a failed replay.`;
