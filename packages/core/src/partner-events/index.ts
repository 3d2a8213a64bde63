export * from './partner-event-store';
export * from './knex-partner-event-store';
