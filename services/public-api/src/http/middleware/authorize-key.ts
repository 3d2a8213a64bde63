import type { RequestHandler } from 'express';
import ipaddr from 'ipaddr.js';
import type { ApiKeyScope } from '@flowgate/contracts';
import { ForbiddenError } from '@flowgate/errors';
import { principalOf } from './authenticate-partner';

/** The scope each partner route needs (docs/contracts.md §12), by method and path under /api/v1/public. */
const RULES: ReadonlyArray<readonly [RegExp, RegExp, ApiKeyScope]> = [
  [/^POST$/, /^\/messages\//, 'messages:send'],
  [/^GET$/, /^\/messages\//, 'messages:read'],
  [/^GET$/, /^\/templates(\/|$)/, 'templates:read'],
  [/^GET$/, /^\/(contacts|conversations)(\/|$)/, 'contacts:read'],
  [/^(POST|PATCH|DELETE)$/, /^\/contacts(\/|$)/, 'contacts:write'],
  [/^GET$/, /^\/broadcasts(\/|$)/, 'messages:read'],
  [/./, /^\/broadcasts(\/|$)/, 'broadcasts:write'],
  [/./, /^\/webhooks(\/|$)/, 'webhooks:manage'],
  [/^GET$/, /^\/account(\/|$)/, 'account:read'],
];

export function scopeFor(method: string, path: string): ApiKeyScope | undefined {
  return RULES.find(([m, p]) => m.test(method) && p.test(path))?.[2];
}

/** True when `address` is one of `allowed` (addresses or CIDR blocks; IPv4-mapped IPv6 counts as IPv4). */
export function addressAllowed(address: string, allowed: readonly string[]): boolean {
  if (!ipaddr.isValid(address)) return false;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress())
    ip = (ip as ipaddr.IPv6).toIPv4Address();
  return allowed.some((entry) => {
    try {
      const [range, bits] = entry.includes('/') ? ipaddr.parseCIDR(entry) : [ipaddr.parse(entry), -1];
      if (range.kind() !== ip.kind()) return false;
      return bits < 0 ? range.toString() === ip.toString() : ip.match([range, bits] as never);
    } catch {
      return false;
    }
  });
}

/**
 * Scoped keys and address allowlists (docs/contracts.md §12), after authentication: a key limited
 * to addresses is refused elsewhere with 403 IP_NOT_ALLOWED; a route outside its scopes is 403
 * INSUFFICIENT_SCOPE naming the scope. The client address follows TRUST_PROXY.
 */
export function authorizeKey(): RequestHandler {
  return (req, res, next) => {
    const principal = principalOf(res);
    if (principal.allowedIps !== null) {
      const address = req.ip ?? req.socket.remoteAddress ?? '';
      if (!addressAllowed(address, principal.allowedIps))
        throw new ForbiddenError('IP_NOT_ALLOWED', 'This API key may not be used from this address.');
    }
    if (principal.scopes !== null) {
      const scope = scopeFor(req.method, req.path);
      if (scope !== undefined && !principal.scopes.includes(scope))
        throw new ForbiddenError('INSUFFICIENT_SCOPE', `This API key lacks the scope ${scope}.`, [
          { path: 'Authorization', message: `needs ${scope}` },
        ]);
    }
    next();
  };
}
