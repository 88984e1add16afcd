import { describe, expect, it } from 'vitest';
import { formatProblem, resolveCluster, secretValueRules, SpecError, WarrenUserError } from '../../model';

describe('formatProblem never echoes kilobytes of input', () => {
  it('GIVEN a value of 5000 characters WHEN formatted THEN its first 60 are quoted with its length', () => {
    expect(formatProblem({ severity: 'error', path: 'name', value: 'x'.repeat(5000), message: 'is too long; shorten it' })).toBe(
      `name: "${'x'.repeat(60)}... (5000 characters)" is too long; shorten it`,
    );
  });

  it('GIVEN a message quoting another long value WHEN formatted THEN that quote is cut too, and short quotes around it are left alone', () => {
    const suggestion = 'q'.repeat(100);
    expect(formatProblem({ severity: 'warning', path: 'a', message: `is not "#" or "!"; did you mean "${suggestion}"? or "generate"` })).toBe(
      `warning: a: is not "#" or "!"; did you mean "${'q'.repeat(60)}... (100 characters)"? or "generate"`,
    );
  });

  it('GIVEN numbers JSON cannot write WHEN formatted THEN they are shown as written', () => {
    expect(formatProblem({ severity: 'error', path: 'nodes', value: Number.POSITIVE_INFINITY, message: 'is not a count' })).toBe('nodes: "Infinity" is not a count');
  });
});

describe('user errors are one type', () => {
  it('SpecError is a WarrenUserError with exit status 1', () => {
    const error = new SpecError([{ severity: 'error', path: 'nodes', value: 0, message: 'is below 1' }]);
    expect(error).toBeInstanceOf(WarrenUserError);
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe('the spec has 1 error:\n  nodes: "0" is below 1');
  });
});

describe('secretValueRules: values the spec cannot see, judged once read', () => {
  const cluster = resolveCluster({
    name: 'orders',
    loadBalancer: { hosts: [{ host: 'lb-1', address: '10.0.0.21' }, { host: 'lb-2', address: '10.0.0.22' }], virtualIp: '10.0.0.10/24', keepalived: { vrrpVersion: 2, authPass: 'file:vrrp' } },
  });

  it('GIVEN a VRRP password of 8 printable characters THEN there is no problem', () => {
    expect(secretValueRules(cluster, { 'keepalived-auth-pass': 'a1b2c3d4' })).toEqual([]);
  });

  it('GIVEN a VRRP password of 9 characters with a space THEN both problems name the spec path and quote the source, never the value', () => {
    expect(secretValueRules(cluster, { 'keepalived-auth-pass': 'a1b2 c3d4' }).map(formatProblem)).toEqual([
      'loadBalancer.keepalived.authPass: "file:vrrp" gives a password of 9 characters; VRRP PASS carries at most 8 (keepalived would cut it), so give a shorter one, or use "generate"',
      'loadBalancer.keepalived.authPass: "file:vrrp" gives a password with spaces, quotes, "#" or "!", which keepalived.conf cannot carry; use letters, digits and punctuation, or "generate"',
    ]);
  });

  it('GIVEN no value read yet (a generated password) THEN nothing is judged', () => {
    expect(secretValueRules(cluster, {})).toEqual([]);
  });
});
