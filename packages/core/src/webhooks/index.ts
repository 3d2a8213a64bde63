export * from './webhook-store';
export * from './knex-webhook-store';
export * from './ssrf-guard';
export * from './sign-delivery';
export * from './post-delivery';
export * from './webhook.service';
export * from './deliver-webhook';
