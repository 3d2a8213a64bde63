/** @flowgate/dispatcher: the delivery runtime's factory, for `pnpm start`, tests and the bench. */
export {
  BROKER_MAX_ATTEMPTS,
  createDispatcherRuntime,
  type DispatcherOverrides,
  type DispatcherRuntime,
} from './dependencies';
