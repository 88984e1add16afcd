/**
 * The routing analysis' warnings (model/topology/routing-rules.ts, tested in routing.test.ts), recognised in
 * formatted problems so that tests of other rules can leave them out of specs that bind nothing.
 */
const ROUTING_WARNING = /^warning: \S+: "[^"]*" (dead-letters queue "|is a queue no binding|is an exchange with no bindings|is an upstream no policy)/;

export const withoutRoutingWarnings = (problems: readonly string[]): string[] => problems.filter((p) => !ROUTING_WARNING.test(p));
