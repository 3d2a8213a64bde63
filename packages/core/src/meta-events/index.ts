export * from './meta-event-store';
export * from './knex-meta-event-store';
export * from './meta-signature';
export * from './meta-parse';
export * from './process-meta-webhook';
