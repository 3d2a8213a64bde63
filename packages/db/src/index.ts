export * from './knex';
export * from './cipher';
export * from './migrate';
export * from './pg-errors';
export * from './change-feed';
export * from './pg-listener';
export * from './batcher';
export * from './prepared';
