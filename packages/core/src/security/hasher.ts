import argon2 from 'argon2';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** argon2id for API-key secrets and passwords; parameters come from config (≥ OWASP's minimum). */
export interface Hasher {
  hash(plain: string): Promise<string>;
  verify(hash: string, plain: string): Promise<boolean>;
}

export function createArgon2Hasher(params: Argon2Params): Hasher {
  return {
    hash: (plain) => argon2.hash(plain, { type: argon2.argon2id, ...params }),
    verify: async (hash, plain) => {
      try {
        return await argon2.verify(hash, plain);
      } catch {
        // A malformed stored hash is a failed verification, not a crash.
        return false;
      }
    },
  };
}
