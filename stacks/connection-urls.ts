/** Client URLs a program exports. Any URL that carries a password is a secret Output. */
import * as pulumi from '@pulumi/pulumi';

/** `amqp://user:password@host:port/` (or amqps://), credentials URL-encoded (the default vhost `/` is the empty path). */
export function amqpUrl(user: string, password: pulumi.Output<string>, host: string, port: number, scheme: 'amqp' | 'amqps' = 'amqp'): pulumi.Output<string> {
  return pulumi.secret(password.apply((pw) => `${scheme}://${encodeURIComponent(user)}:${encodeURIComponent(pw)}@${host}:${port}/`));
}

/** The management UI (https:// on its TLS listener); it asks for the credentials itself, so the URL carries none. */
export function managementUrl(host: string, port: number, tls: boolean): string {
  return `${tls ? 'https' : 'http'}://${host}:${port}/`;
}
