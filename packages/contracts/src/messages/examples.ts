import type { SendMessageBody, SendMessageType } from './send';

export interface SendMessageExample {
  summary: string;
  /** The `type` this example demonstrates (every send type has at least one example). */
  type: SendMessageType;
  value: SendMessageBody;
}

/**
 * Request examples for `POST /messages/send`, one or more per type; the first ones are the
 * seed's own. Published in the OpenAPI document; a test checks each one parses.
 */
export const SEND_MESSAGE_EXAMPLES = {
  text: {
    summary: 'Text message',
    type: 'text',
    value: { type: 'text', phone: '919876543210', content: 'Hello from our system.' },
  },
  text_to_contact: {
    summary: 'Text to an existing contact, from a chosen number, with a link preview',
    type: 'text',
    value: {
      type: 'text',
      contactId: '3f1b6d2e-9a4c-4f8e-8b7a-2c5d1e0f9a31',
      phoneNumberId: 'c7a9e4b2-5d3f-4a1e-9b8c-6f2d0e1a7b54',
      content: 'Your order has shipped: https://example.com/track/ORD-9921',
      previewUrl: true,
    },
  },
  template: {
    summary: 'Template, simple form (templateVariables)',
    type: 'template',
    value: {
      type: 'template',
      phone: '919876543210',
      templateName: 'order_confirmation',
      templateLanguage: 'en',
      templateVariables: { '1': 'Jane', '2': 'ORD-9921', '3': 'Tomorrow 5pm' },
    },
  },
  template_invoice: {
    summary: 'Template with four body variables',
    type: 'template',
    value: {
      type: 'template',
      phone: '919876543210',
      templateName: 'payment_thank_you',
      templateLanguage: 'en_US',
      templateVariables: {
        '1': 'Shree Balaji Traders',
        '2': '₹75,600.00',
        '3': 'INV-00516',
        '4': 'Hiren Enterprises',
      },
    },
  },
  template_header_and_buttons: {
    summary: 'Template with an image header, a body variable and a dynamic URL button (flat keys)',
    type: 'template',
    value: {
      type: 'template',
      phone: '+91 98765-43210',
      templateName: 'order_update',
      templateLanguage: 'en_US',
      templateVariables: {
        header_media: 'https://example.com/banner.png',
        '1': 'Ana',
        button_0: 'order/123',
      },
    },
  },
  template_carousel: {
    summary: 'Media-card carousel template (structured carousel)',
    type: 'template',
    value: {
      type: 'template',
      phone: '919876543210',
      templateName: 'your_carousel_template',
      templateLanguage: 'en_US',
      templateVariables: { '1': 'Main intro line' },
      carousel: {
        cards: [
          {
            index: 0,
            bodyValues: { '1': 'Villa A', '2': 'Dubai', '3': '1.2M' },
            buttonValues: [{ index: 0, sub_type: 'url', parameters: { type: 'text', text: 'slug-for-url' } }],
            header: { format: 'image', id: '1013859600285441' },
          },
        ],
      },
    },
  },
  template_advanced: {
    summary: 'Template, advanced form (Cloud API components as-is)',
    type: 'template',
    value: {
      type: 'template',
      phone: '919876543210',
      templateName: 'order_update',
      templateLanguage: 'en_US',
      templateComponents: [
        { type: 'header', parameters: [{ type: 'image', image: { id: '1013859600285441' } }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Ana' },
            { type: 'currency', currency: { fallback_value: '$100.99', code: 'USD', amount_1000: 100990 } },
            { type: 'date_time', date_time: { fallback_value: 'February 25, 1977' } },
          ],
        },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '0',
          parameters: [{ type: 'payload', payload: 'TRACK-123' }],
        },
        { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'order/123' }] },
      ],
    },
  },
  interactive: {
    summary: 'Interactive reply buttons, content as a JSON string (as in the seed)',
    type: 'interactive',
    value: {
      type: 'interactive',
      phone: '919876543210',
      content: '{"type":"button","body":"Choose","buttons":[{"id":"a","title":"A"},{"id":"b","title":"B"}]}',
    },
  },
  interactive_list: {
    summary: 'Interactive list, simplified form as an object',
    type: 'interactive',
    value: {
      type: 'interactive',
      phone: '919876543210',
      content: {
        type: 'list',
        header: 'Our menu',
        body: 'Pick a dish',
        footer: 'Prices include tax',
        button: 'See dishes',
        sections: [
          {
            title: 'Mains',
            rows: [
              { id: 'm1', title: 'Biryani', description: 'Chicken, 500 g' },
              { id: 'm2', title: 'Dal' },
            ],
          },
          { title: 'Desserts', rows: [{ id: 'd1', title: 'Kulfi' }] },
        ],
      },
    },
  },
  interactive_cta_url: {
    summary: 'Interactive CTA URL button, simplified form',
    type: 'interactive',
    value: {
      type: 'interactive',
      phone: '919876543210',
      content: {
        type: 'cta_url',
        body: 'Tap to see available dates.',
        displayText: 'See Dates',
        url: 'https://example.com/book',
      },
    },
  },
  interactive_meta: {
    summary: "Interactive reply buttons in Meta's own shape",
    type: 'interactive',
    value: {
      type: 'interactive',
      phone: '919876543210',
      content: {
        type: 'button',
        header: { type: 'text', text: 'Your booking' },
        body: { text: 'Change or cancel your booking?' },
        footer: { text: 'Reply within 24 hours' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'change-1', title: 'Change' } },
            { type: 'reply', reply: { id: 'cancel-1', title: 'Cancel' } },
          ],
        },
      },
    },
  },
  image: {
    summary: 'Image by URL, with a caption',
    type: 'image',
    value: {
      type: 'image',
      phone: '919876543210',
      mediaUrl: 'https://example.com/photo.jpg',
      caption: 'Your new sofa',
    },
  },
  video: {
    summary: 'Video by media id',
    type: 'video',
    value: {
      type: 'video',
      phone: '919876543210',
      mediaId: '1013859600285441',
      caption: 'How to assemble it',
    },
  },
  audio: {
    summary: 'Audio by URL (no caption)',
    type: 'audio',
    value: { type: 'audio', phone: '919876543210', mediaUrl: 'https://example.com/voice-note.ogg' },
  },
  document: {
    summary: 'Document with file name and caption',
    type: 'document',
    value: {
      type: 'document',
      phone: '919876543210',
      mediaUrl: 'https://example.com/invoices/INV-00516.pdf',
      filename: 'INV-00516.pdf',
      caption: 'Your invoice',
    },
  },
  sticker: {
    summary: 'Sticker by media id',
    type: 'sticker',
    value: { type: 'sticker', phone: '919876543210', mediaId: '798882015472548' },
  },
  location: {
    summary: 'Location pin',
    type: 'location',
    value: {
      type: 'location',
      phone: '919876543210',
      latitude: 37.758056,
      longitude: -122.425332,
      name: 'Meta HQ',
      address: '1 Hacker Way, Menlo Park, CA 94025',
    },
  },
} satisfies Record<string, SendMessageExample>;
