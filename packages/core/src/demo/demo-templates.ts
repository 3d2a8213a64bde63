/** Sample approved templates of the demo workspace, as Meta's template API returns them. */
export const DEMO_TEMPLATES: readonly Record<string, unknown>[] = [
  {
    name: 'order_confirmation',
    language: 'en_US',
    category: 'UTILITY',
    status: 'APPROVED',
    components: [
      { type: 'BODY', text: 'Hi {{1}}, your order {{2}} is confirmed and will arrive {{3}}.' },
      { type: 'FOOTER', text: 'Reply STOP to opt out' },
    ],
  },
  {
    name: 'payment_thank_you',
    language: 'en_US',
    category: 'UTILITY',
    status: 'APPROVED',
    components: [
      {
        type: 'BODY',
        text: 'Dear {{1}}, we received your payment of {{2}} for invoice {{3}}. Thank you for your business, {{4}}.',
      },
    ],
  },
  {
    name: 'summer_carousel',
    language: 'en_US',
    category: 'MARKETING',
    status: 'APPROVED',
    components: [
      { type: 'BODY', text: "Hi {{1}}, here are this week's picks for you." },
      {
        type: 'CAROUSEL',
        cards: [0, 1].map(() => ({
          components: [
            { type: 'HEADER', format: 'IMAGE' },
            { type: 'BODY', text: '{{1}} from {{2}}' },
            {
              type: 'BUTTONS',
              buttons: [{ type: 'URL', text: 'View', url: 'https://shop.example.com/p/{{1}}' }],
            },
          ],
        })),
      },
    ],
  },
];

/**
 * The business account of the demo number: the sandbox's (its webhooks name it), so template
 * reviews and `template:sync` reach the demo workspace.
 */
export const DEMO_WABA_ID = '102290129340398';

/**
 * What the sandbox lists as the demo account's templates (`GET /{waba-id}/message_templates`):
 * the demo templates and one more, so a first `pnpm cli template:sync` creates it.
 */
export const DEMO_META_TEMPLATES: readonly Record<string, unknown>[] = [
  ...DEMO_TEMPLATES,
  {
    name: 'delivery_update',
    language: 'en_US',
    category: 'UTILITY',
    status: 'APPROVED',
    parameter_format: 'POSITIONAL',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}' },
      { type: 'BODY', text: 'Hi {{1}}, your parcel is out for delivery and arrives by {{2}}.' },
      {
        type: 'BUTTONS',
        buttons: [{ type: 'URL', text: 'Track', url: 'https://shop.example.com/track/{{1}}' }],
      },
    ],
  },
];
