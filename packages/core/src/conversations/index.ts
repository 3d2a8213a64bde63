export * from './conversation-store';
export * from './knex-conversation-store';
