import { parseTemplateVariableKey } from '../src/messages';

describe('parseTemplateVariableKey', () => {
  it.each([
    ['1', { kind: 'body', slot: '1' }],
    ['12', { kind: 'body', slot: '12' }],
    ['first_name', { kind: 'body', slot: 'first_name' }],
    ['header_text', { kind: 'header_text' }],
    ['header_media', { kind: 'header_media' }],
    ['header_filename', { kind: 'header_filename' }],
    ['button_0', { kind: 'button', index: 0 }],
    ['button_9', { kind: 'button', index: 9 }],
    ['c0_1', { kind: 'card_body', card: 0, slot: '1' }],
    ['c9_price', { kind: 'card_body', card: 9, slot: 'price' }],
    ['c3_header', { kind: 'card_header', card: 3 }],
    ['c2_button_1', { kind: 'card_button', card: 2, index: 1 }],
  ])("when the key is '%s', then it addresses %j", (key, expected) => {
    expect(parseTemplateVariableKey(key)).toEqual(expected);
  });

  it.each([
    '0',
    '',
    'header_foo',
    'button_10',
    'c10_1',
    'c0_button_2',
    'c0_',
    'First',
    '1a',
    'header_',
    'c1_header_x',
  ])("when the key is '%s', then it is not part of the scheme", (key) => {
    expect(parseTemplateVariableKey(key)).toBeNull();
  });
});
