export * from './contact-store';
export * from './knex-contact-store';
