/** Keys whose values are secrets or message content: replaced entirely. */
const REDACTED_KEYS = new Set(
  [
    'authorization',
    'apisecret',
    'x-api-secret',
    'secret',
    'password',
    'token',
    'accesstoken',
    'access_token',
    'jwt',
    'cookie',
    'set-cookie',
    'secretkey',
    'secrethash',
    'secret_hash',
    'password_hash',
    'passwordhash',
    'content',
    'body',
    'text',
    'caption',
    'templatevariables',
    'bodyparameters',
    'templatecomponents',
    'payload',
    'request',
    'interactive',
    'template',
    'components',
    'carousel',
    'location',
  ].map((k) => k.toLowerCase()),
);
/** Keys holding phone numbers: masked to the last four digits. */
const PHONE_KEYS = new Set([
  'phone',
  'to',
  'wa_id',
  'waid',
  'recipient',
  'display_phone_number',
  'displayphonenumber',
  'input',
]);

export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  if (digits.length <= 4) return '****';
  return `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}

/** Returns a copy of `value` with secret keys removed and phone numbers masked (depth-bounded). */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[depth]';
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) {
    return {
      name: value.name,
      message: value.message,
      stack: value.stack,
      code: (value as { code?: unknown }).code,
    };
  }
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const lower = key.toLowerCase();
    if (REDACTED_KEYS.has(lower)) out[key] = '[redacted]';
    else if (PHONE_KEYS.has(lower) && (typeof child === 'string' || typeof child === 'number'))
      out[key] = maskPhone(String(child));
    else out[key] = redact(child, depth + 1);
  }
  return out;
}

/** Replaces every occurrence of a registered secret value in a serialised line. */
export function scrubSecrets(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const s of secrets) if (s.length > 0 && out.includes(s)) out = out.split(s).join('[redacted]');
  return out;
}
