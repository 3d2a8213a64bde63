export * from './broadcast-store';
export * from './knex-broadcast-store';
export * from './broadcast.service';
