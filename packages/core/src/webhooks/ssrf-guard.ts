import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * No server-side request forgery through partner webhooks (docs/contracts.md §10): a URL must be
 * https and every address it resolves to must be public, checked when it is registered and again
 * for the address each delivery actually connects to (the agent's own `lookup`), since DNS can
 * change between the two. ipaddr.js names the ranges; only `unicast` (public) passes.
 */

/** True for a public unicast address; loopback, private, link-local, CGNAT (carrierGradeNat),
 * multicast, unspecified, reserved, and IPv4-mapped IPv6 forms of any of those are not. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
    // IPv4-compatible addresses (the deprecated ::/96, e.g. ::7f00:1 for 127.0.0.1) embed an IPv4
    // address too: never public.
    else if (v6.match(ipaddr.IPv6.parse('::'), 96)) return false;
  }
  return parsed.range() === 'unicast';
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** The shape of a webhook URL (scheme, no credentials, a host). Addresses are checked separately. */
export function checkUrlShape(raw: string, allowPrivate: boolean): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a URL' };
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:'))
    return { ok: false, reason: allowPrivate ? 'must be http(s)' : 'must be https' };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'must not carry credentials' };
  if (url.hostname === '') return { ok: false, reason: 'has no host' };
  return { ok: true, url };
}

/** The host of a URL as a resolver takes it (IPv6 literals lose their brackets). */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Resolves the URL's host (every address) and refuses any that is not public, unless private
 * networks are allowed. WHATWG URL parsing already turned decimal, octal and hex IPv4 forms into
 * dotted quads.
 */
export async function checkUrlTarget(raw: string, allowPrivate: boolean): Promise<UrlCheck> {
  const shape = checkUrlShape(raw, allowPrivate);
  if (!shape.ok || allowPrivate) return shape;
  const host = hostOf(shape.url);
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = (
        await new Promise<LookupAddress[]>((resolve, reject) =>
          dnsLookup(host, { all: true, verbatim: true }, (err, found) =>
            err ? reject(err) : resolve(found),
          ),
        )
      ).map((a) => a.address);
    } catch {
      return { ok: false, reason: 'does not resolve' };
    }
  }
  const internal = addresses.find((a) => !isPublicAddress(a));
  if (internal !== undefined || addresses.length === 0)
    return { ok: false, reason: 'resolves to a loopback, private, link-local or otherwise internal address' };
  return shape;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http(s).Agent that refuses internal addresses: the check is on the address the
 * socket will connect to, whatever the URL said.
 */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const list = addresses;
    const bad = list.find((a) => !isPublicAddress(a.address));
    if (bad !== undefined || list.length === 0) {
      const refused: NodeJS.ErrnoException = new Error(
        `${hostname} resolves to an internal address (refused)`,
      );
      refused.code = 'EADDRNOTPUBLIC';
      return callback(refused, []);
    }
    if (options.all === true) return callback(null, list);
    const first = list[0] as LookupAddress;
    return callback(null, first.address, first.family);
  });
}
