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
