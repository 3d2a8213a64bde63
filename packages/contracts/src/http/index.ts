export * from './errors';
export * from './messages';
export * from './templates';
export * from './admin';
export * from './health';
export * from './inbound';
export * from './webhooks';
export * from './broadcasts';
