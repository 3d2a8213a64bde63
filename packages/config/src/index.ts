export * from './load-config';
export * from './sandbox-config';
export * from './schema';
