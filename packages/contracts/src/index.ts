export * from './error-codes';
export * from './messages';
export * from './http';
export * from './queue';
export * from './validator';
export * from './openapi';
export * from './events';
export * from './meta-webhook';
