import { randomUUID } from 'node:crypto';

/**
 * Meta's webhook bodies as tests post them (docs/meta-cloud-api.md §5): a `messages` change for a
 * provider number, with `extra` top-level fields (markers that tag a test's rows).
 */
export function metaMessagesChange(
  providerId: unknown,
  value: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return {
    object: 'whatsapp_business_account',
    ...extra,
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550001234', phone_number_id: providerId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

/** A customer's text message, as Meta posts it. */
export function metaInboundText(providerId: string, from: string, text: string, name = 'Customer') {
  return metaMessagesChange(providerId, {
    contacts: [{ profile: { name }, wa_id: from }],
    messages: [
      {
        from,
        id: `wamid.${randomUUID()}`,
        timestamp: String(Math.floor(Date.now() / 1000)),
        type: 'text',
        text: { body: text },
      },
    ],
  });
}
