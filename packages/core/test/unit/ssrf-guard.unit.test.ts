/**
 * The SSRF guard of partner webhooks (docs/contracts.md §10): which addresses count as public, and
 * which URLs registration refuses when private networks are not allowed. No database, no network:
 * the only name resolved is `localhost` (and names that do not resolve here, which must be refused).
 */
import type { LookupAddress } from 'node:dns';
import { checkUrlShape, checkUrlTarget, guardedLookup, isPublicAddress } from '../../src/webhooks/ssrf-guard';

/** Internal targets, each refused by registration; every address-notation trick WHATWG URL knows. */
const HOSTILE_URLS: readonly string[] = [
  'http://example.com/hook',
  'http://8.8.8.8/hook',
  'https://user:pass@8.8.8.8/hook',
  'https://user@8.8.8.8/hook',
  'https://127.0.0.1/',
  'https://127.1.2.3/',
  'https://127.1/',
  'https://2130706433/',
  'https://0177.0.0.1/',
  'https://0x7f.0.0.1/',
  'https://0x7f000001/',
  'https://%31%32%37.0.0.1/',
  'https://[::1]/',
  'https://[0:0:0:0:0:0:0:1]/',
  'https://[::ffff:127.0.0.1]/',
  'https://[::ffff:7f00:1]/',
  'https://[::ffff:10.0.0.1]/',
  'https://0.0.0.0/',
  'https://0/',
  'https://169.254.169.254/latest/meta-data',
  'https://100.64.0.1/',
  'https://10.0.0.1/',
  'https://192.168.1.1/',
  'https://172.16.0.1/',
  'https://172.31.255.254/',
  'https://localhost/',
  'https://LOCALHOST./',
  'https://127.0.0.1.nip.io/',
  'https://does-not-resolve.invalid/',
  'https://[fe80::1]/',
  'https://[fc00::1]/',
  'https://224.0.0.1/',
  'https://255.255.255.255/',
  'https://[::]/',
  'https://127.0.0.1:8443/',
  'https://[64:ff9b::7f00:1]/',
  'ftp://8.8.8.8/',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'not a url',
];

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '64:ff9b::7f00:1',
    'not-an-address',
    '',
    'localhost',
  ])('%s is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('checkUrlShape', () => {
  it('refuses http, other schemes, credentials and non-URLs unless private networks are allowed', () => {
    for (const raw of [
      'http://example.com/',
      'ftp://example.com/',
      'https://u:p@example.com/',
      'https://u@example.com/',
      'https://:p@example.com/',
      'not a url',
      '',
    ])
      expect([raw, checkUrlShape(raw, false).ok]).toEqual([raw, false]);
    expect(checkUrlShape('https://example.com/hook', false).ok).toBe(true);
  });

  it('with private networks allowed, takes http but still refuses credentials and other schemes', () => {
    expect(checkUrlShape('http://127.0.0.1:8080/hook', true).ok).toBe(true);
    expect(checkUrlShape('https://u:p@127.0.0.1/', true).ok).toBe(false);
    expect(checkUrlShape('ftp://127.0.0.1/', true).ok).toBe(false);
    expect(checkUrlShape('file:///etc/passwd', true).ok).toBe(false);
  });
});

describe('checkUrlTarget', () => {
  it(`refuses every one of ${HOSTILE_URLS.length} internal or malformed targets`, async () => {
    expect(HOSTILE_URLS.length).toBeGreaterThanOrEqual(25);
    const accepted: string[] = [];
    for (const raw of HOSTILE_URLS) {
      const check = await checkUrlTarget(raw, false);
      if (check.ok) accepted.push(raw);
      else expect(check.reason).toEqual(expect.any(String));
    }
    expect(accepted).toEqual([]);
  });

  it('takes public address literals', async () => {
    for (const raw of [
      'https://8.8.8.8/hook',
      'https://[2606:4700:4700::1111]/hook',
      'https://1.1.1.1:8443/x',
    ])
      expect([raw, (await checkUrlTarget(raw, false)).ok]).toEqual([raw, true]);
  });

  it('with private networks allowed, takes http and local targets', async () => {
    for (const raw of [
      'http://127.0.0.1:8080/hook',
      'https://127.0.0.1/',
      'http://localhost:3000/',
      'http://[::1]:9000/',
      'http://10.0.0.1/',
      'https://169.254.169.254/latest/meta-data',
    ])
      expect([raw, (await checkUrlTarget(raw, true)).ok]).toEqual([raw, true]);
    expect((await checkUrlTarget('https://u:p@127.0.0.1/', true)).ok).toBe(false);
  });
});

describe('guardedLookup', () => {
  const lookup = (host: string, all: boolean) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[] }>((resolve) =>
      guardedLookup(host, { all }, (err, address) => resolve({ err, address })),
    );

  it('refuses a name that resolves to loopback, whatever the options', async () => {
    for (const all of [false, true]) {
      const { err } = await lookup('localhost', all);
      expect(err?.code).toBe('EADDRNOTPUBLIC');
    }
  });

  it('passes on resolver errors and refuses a loopback literal', async () => {
    expect((await lookup('does-not-resolve.invalid', false)).err).not.toBeNull();
    expect((await lookup('127.0.0.1', false)).err?.code).toBe('EADDRNOTPUBLIC');
  });

  it('answers a public literal in the shape the agent asked for', async () => {
    expect(await lookup('8.8.8.8', false)).toEqual({ err: null, address: '8.8.8.8' });
    expect(await lookup('8.8.8.8', true)).toEqual({
      err: null,
      address: [{ address: '8.8.8.8', family: 4 }],
    });
  });
});

describe('IPv4-compatible IPv6 (::/96)', () => {
  it.each(['::7f00:1', '::a00:1', '::127.0.0.1'])('%s is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });
});
