// auth_backend "header": an authenticating reverse proxy (Apache mod_auth_*, oauth2-proxy, ...)
// names the user and groups in request headers. The headers are believed only when the TCP peer is
// one of `trusted_proxies`; anyone else could send them, so anything else is a 401.
import net from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { ConfigError } from '../../core/config.js';
import { UnauthorizedError } from '../../core/errors.js';
import type { OdcsSettings } from '../../core/settings.js';
import type { Authenticator, Identity } from './types.js';

/** The TCP peer address (not X-Forwarded-For), IPv4-mapped IPv6 as plain IPv4; undefined off a socket. */
export function peerAddress(c: Context): string | undefined {
  let address: string | undefined;
  try {
    address = getConnInfo(c).remote.address;
  } catch {
    return undefined; // app.request() in tests: no socket
  }
  const mapped = address && /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address;
}

/** A matcher for IPs and CIDR blocks (validated by the settings schema). */
export function addressMatcher(entries: string[]): (address: string) => boolean {
  const list = new net.BlockList();
  for (const entry of entries) {
    const [addr, prefix] = entry.trim().split('/');
    const type = net.isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(prefix), type);
  }
  return (address) => {
    const family = net.isIP(address);
    return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
}

export function createHeaderAuthenticator(settings: OdcsSettings): Authenticator {
  if (settings.trusted_proxies.length === 0) {
    throw new ConfigError(
      'invalid ODCS settings: auth_backend "header" needs trusted_proxies (the addresses of the authenticating proxy)',
    );
  }
  const trusted = addressMatcher(settings.trusted_proxies);
  const userHeader = settings.auth_user_header;
  const groupsHeader = settings.auth_groups_header;
  return {
    backend: 'header',
    settings,
    async authenticate(c: Context): Promise<Identity> {
      const peer = peerAddress(c);
      if (!peer || !trusted(peer)) {
        throw new UnauthorizedError(
          `The request did not come through a trusted authenticating proxy (peer ${peer ?? 'unknown'} is not in trusted_proxies).`,
        );
      }
      const name = c.req.header(userHeader)?.trim();
      if (!name) throw new UnauthorizedError(`No ${userHeader} header: the authenticating proxy did not name the user.`);
      const groups = (c.req.header(groupsHeader) ?? '')
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean);
      return { name, groups, scopes: null };
    },
  };
}
