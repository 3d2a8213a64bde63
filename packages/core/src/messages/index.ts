export * from './message-store';
export * from './message-status';
export * from './knex-message-store';
export * from './knex-message-delivery-store';
export * from './send-message';
export * from './queued-marker';
export * from './outbox-relay';
