export * from './template-store';
export * from './knex-template-store';
export * from './template.service';
export * from './sync-templates';
