import type { Database } from '@flowgate/db';
import { knexApiKeyStore } from './api-keys/knex-api-key-store';
import type { ApiKeyStore } from './api-keys/api-key-store';
import { knexBroadcastStore } from './broadcasts/knex-broadcast-store';
import type { BroadcastStore } from './broadcasts/broadcast-store';
import { knexContactStore } from './contacts/knex-contact-store';
import type { ContactStore } from './contacts/contact-store';
import { knexConversationStore } from './conversations/knex-conversation-store';
import type { ConversationStore } from './conversations/conversation-store';
import { knexMessageAcceptStore } from './messages/knex-message-store';
import { knexMessageDeliveryStore } from './messages/knex-message-delivery-store';
import type { MessageStore } from './messages/message-store';
import { knexMetaEventStore } from './meta-events/knex-meta-event-store';
import type { MetaEventStore } from './meta-events/meta-event-store';
import { KnexPartnerEventStore } from './partner-events/knex-partner-event-store';
import type { PartnerEventStore } from './partner-events/partner-event-store';
import { knexPhoneNumberStore } from './phone-numbers/knex-phone-number-store';
import type { PhoneNumberStore } from './phone-numbers/phone-number-store';
import { knexTemplateStore } from './templates/knex-template-store';
import type { TemplateStore } from './templates/template-store';
import { knexWebhookStore } from './webhooks/knex-webhook-store';
import type { WebhookStore } from './webhooks/webhook-store';
import { knexWorkspaceStore } from './workspaces/knex-workspace-store';
import type { WorkspaceStore } from './workspaces/workspace-store';

/** Every aggregate's store. Services and use cases take what they need from it, never the database. */
export interface Stores {
  workspaces: WorkspaceStore;
  apiKeys: ApiKeyStore;
  phoneNumbers: PhoneNumberStore;
  templates: TemplateStore;
  contacts: ContactStore;
  conversations: ConversationStore;
  messages: MessageStore;
  partnerEvents: PartnerEventStore;
  metaEvents: MetaEventStore;
  webhooks: WebhookStore;
  broadcasts: BroadcastStore;
}

export interface StoreOptions {
  /** A SENDING claim older than this may be taken over (DISPATCH_CLAIM_TIMEOUT_MS; default 60 s). */
  claimTimeoutMs?: number;
}

/** The one way to make stores: the knex implementation of each, on one database. */
export function createStores(db: Database, options: StoreOptions = {}): Stores {
  return {
    workspaces: knexWorkspaceStore(db),
    apiKeys: knexApiKeyStore(db),
    phoneNumbers: knexPhoneNumberStore(db),
    templates: knexTemplateStore(db),
    contacts: knexContactStore(db),
    conversations: knexConversationStore(db),
    messages: {
      ...knexMessageAcceptStore(db),
      ...knexMessageDeliveryStore(db, options.claimTimeoutMs ?? 60_000),
    },
    partnerEvents: new KnexPartnerEventStore(),
    metaEvents: knexMetaEventStore(db),
    webhooks: knexWebhookStore(db),
    broadcasts: knexBroadcastStore(db),
  };
}
