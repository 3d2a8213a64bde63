import { randomBytes, randomInt } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const API_KEY_RE = /^pk_[a-z0-9]{40}$/;
/** 32 random bytes, base64url: 43 characters, 256 bits. */
export const API_SECRET_RE = /^[A-Za-z0-9_-]{43}$/;

/** Public key id: `pk_` + 40 lowercase alphanumerics (≈ 206 bits, unguessable but not secret). */
export function generateApiKey(): string {
  let out = 'pk_';
  for (let i = 0; i < 40; i += 1) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

export function generateApiSecret(): string {
  return randomBytes(32).toString('base64url');
}
