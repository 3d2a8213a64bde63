export type {
  Broker,
  BrokerLogger,
  BrokerStats,
  ConsumeOptions,
  ConsumerHandle,
  Delivery,
  DeliveryHandler,
  HandlerOutcome,
  HeaderValue,
  OutgoingMessage,
  PublishResult,
} from './types';
export { BrokerError, isBrokerError, type BrokerErrorCode } from './errors';
export {
  ATTEMPT_HEADER,
  DEFAULT_DELAY_TIERS_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  PARK_REASON_HEADER,
  pickDelayTier,
  pickDeferTier,
  type ParkReason,
} from './policy';
export {
  RabbitBroker,
  createRabbitBroker,
  deleteRabbitTopology,
  deleteRabbitTopologies,
  rabbitTopology,
  type RabbitBrokerOptions,
  type RabbitReconnectOptions,
  type RabbitTopology,
} from './rabbit-broker';
export {
  InMemoryBroker,
  createInMemoryBroker,
  type InMemoryBrokerOptions,
  type ParkedMessage,
} from './in-memory-broker';
