export * from './builders';
export * from './templates';
export * from './client';
export * from './error-policy';
