import { parseSendMessageRequest } from '../src/validator';

export const PHONE = '919876543210';
export const UUID = '3f1b6d2e-9a4c-4f8e-8b7a-2c5d1e0f9a31';
export const MEDIA_ID = '1013859600285441';

type Body = Record<string, unknown>;

export const text = (o: Body = {}): Body => ({ type: 'text', phone: PHONE, content: 'Hello', ...o });
export const template = (o: Body = {}): Body => ({
  type: 'template',
  phone: PHONE,
  templateName: 'order_confirmation',
  ...o,
});
export const interactive = (content: unknown, o: Body = {}): Body => ({
  type: 'interactive',
  phone: PHONE,
  content,
  ...o,
});
export const media = (type: string, o: Body = {}): Body => ({ type, phone: PHONE, mediaId: MEDIA_ID, ...o });
export const location = (o: Body = {}): Body => ({
  type: 'location',
  phone: PHONE,
  latitude: 12.97,
  longitude: 77.59,
  ...o,
});

/** A carousel card with valid values, overridable. */
export const card = (o: Body = {}): Body => ({
  index: 0,
  bodyValues: { '1': 'Villa A' },
  header: { format: 'image', id: MEDIA_ID },
  ...o,
});
export const carousel = (cards: unknown[]): Body => template({ templateName: 'villas', carousel: { cards } });
export const components = (list: unknown): Body => template({ templateComponents: list });

export const simpleButtons = (n: number, o: Body = {}): Body => ({
  type: 'button',
  body: 'Choose',
  buttons: Array.from({ length: n }, (_, i) => ({ id: `b${i}`, title: `Option ${i}` })),
  ...o,
});
export const metaButtons = (n: number): Body => ({
  type: 'button',
  body: { text: 'Choose' },
  action: {
    buttons: Array.from({ length: n }, (_, i) => ({
      type: 'reply',
      reply: { id: `b${i}`, title: `Option ${i}` },
    })),
  },
});
export const rows = (n: number, prefix = 'r'): Body[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, title: `Row ${i}` }));
export const simpleList = (sections: unknown[], o: Body = {}): Body => ({
  type: 'list',
  body: 'Pick one',
  button: 'Open',
  sections,
  ...o,
});
export const cta = (o: Body = {}): Body => ({
  type: 'cta_url',
  body: 'Tap below',
  displayText: 'Open',
  url: 'https://example.com/x',
  ...o,
});

export const s = (n: number, ch = 'a'): string => ch.repeat(n);

/** The error paths of an invalid body, sorted; [] when it parses. */
export function errorPaths(body: unknown): string[] {
  const r = parseSendMessageRequest(body);
  return r.ok ? [] : r.errors.map((e) => e.path).sort();
}

export function errorsOf(body: unknown) {
  const r = parseSendMessageRequest(body);
  return r.ok ? [] : r.errors;
}
