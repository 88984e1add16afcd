/** Why a publish did not succeed: each a distinct type, so callers and the outbox can tell them apart. */

/** The broker refused the message (basic.nack): a queue rejected it, e.g. at its length limit with reject-publish. */
export class PublishNackedError extends Error {
  constructor(readonly messageId: string) {
    super(`message ${messageId} was refused by the broker (basic.nack); it was not stored, publish it again later`);
    this.name = 'PublishNackedError';
  }
}

/** No queue took the message (mandatory publish returned): a wrong exchange, routing key or missing binding. */
export class PublishReturnedError extends Error {
  constructor(readonly messageId: string, readonly replyCode: number, readonly replyText: string, readonly exchange: string, readonly routingKey: string) {
    super(`message ${messageId} reached no queue (${replyCode} ${replyText}) through exchange "${exchange}" with routing key "${routingKey}"; bind a queue for that key`);
    this.name = 'PublishReturnedError';
  }
}

/** No confirm in time: the message may or may not be stored; resend it with the same id (consumers deduplicate). */
export class PublishTimeoutError extends Error {
  constructor(readonly messageId: string, readonly timeoutMs: number) {
    super(`message ${messageId} was not confirmed within ${timeoutMs} ms; it may still arrive, resend it with the same id`);
    this.name = 'PublishTimeoutError';
  }
}

/** The channel closed before the confirm: the message may or may not be stored; resend it with the same id. */
export class ConnectionLostError extends Error {
  constructor(readonly messageId: string, reason: string) {
    super(`message ${messageId} was not confirmed before the connection closed (${reason}); resend it with the same id`);
    this.name = 'ConnectionLostError';
  }
}

/**
 * The message named an exchange the broker does not have: the broker answered 404 NOT_FOUND and closed the channel
 * (the publisher opens a new one). Nothing was stored; declare the exchange or fix the name, then publish again.
 */
export class ExchangeNotFoundError extends Error {
  constructor(readonly messageId: string, readonly exchange: string, readonly brokerText: string) {
    super(`message ${messageId} was not published: exchange "${exchange}" does not exist on the broker (${brokerText}); declare it (add it to the spec's topology) or fix the exchange name`);
    this.name = 'ExchangeNotFoundError';
  }
}
