export * from './phone-number-store';
export * from './knex-phone-number-store';
export * from './phone-number.service';
