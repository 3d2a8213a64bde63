export * from './workspace-store';
export * from './knex-workspace-store';
export * from './workspace.service';
