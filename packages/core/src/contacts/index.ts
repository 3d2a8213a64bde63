export * from './contact-store';
export * from './knex-contact-store';
export * from './contact.service';
