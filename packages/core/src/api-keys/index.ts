export * from './api-key-format';
export * from './api-key-store';
export * from './knex-api-key-store';
export * from './api-key.service';
export * from './api-key-verifier';
export * from './revocation-bus';
export * from './last-used-flush';
