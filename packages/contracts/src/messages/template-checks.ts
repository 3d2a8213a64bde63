/**
 * What JSON Schema cannot say about a template send: the two forms exclude each other, and
 * components, cards and buttons appear once each.
 */
import type { FieldError } from '../http/errors';
import type { TemplateComponent } from './template-components';
import type { CarouselInput } from './template-variables';

/** Property names of the simple form, which `templateComponents` excludes. */
export const SIMPLE_TEMPLATE_FIELDS = ['templateVariables', 'carousel', 'bodyParameters'] as const;

export const BOTH_TEMPLATE_FORMS_MESSAGE =
  'cannot be combined with templateVariables, carousel or bodyParameters: send either the simple form or templateComponents, not both';

/** `not` schema of the template branch: the simple and the advanced form exclude each other. */
export const TEMPLATE_FORMS_EXCLUSIVE = {
  required: ['templateComponents'],
  anyOf: SIMPLE_TEMPLATE_FIELDS.map((f) => ({ required: [f] })),
};

type ButtonRef = { sub_type: string; index: string | number };
const indexOf = (b: ButtonRef): number => Number(b.index);

/** Duplicate components, buttons and cards, which JSON Schema cannot see. `base` points at the array. */
export function checkTemplateComponents(
  components: readonly TemplateComponent[],
  base: string,
): FieldError[] {
  const errors: FieldError[] = [];
  const seenTypes = new Set<string>();
  const buttonIndexes = new Set<number>();
  components.forEach((c, i) => {
    if (c.type === 'button') {
      if (buttonIndexes.has(indexOf(c)))
        errors.push({
          path: `${base}/${i}/index`,
          message: `duplicate button index ${indexOf(c)}; send one component per button`,
        });
      buttonIndexes.add(indexOf(c));
      return;
    }
    if (seenTypes.has(c.type))
      errors.push({ path: `${base}/${i}`, message: `duplicate '${c.type}' component; send at most one` });
    seenTypes.add(c.type);
    if (c.type !== 'carousel') return;
    const cardIndexes = new Set<number>();
    c.cards.forEach((card, k) => {
      const cardPath = `${base}/${i}/cards/${k}`;
      if (cardIndexes.has(card.card_index))
        errors.push({
          path: `${cardPath}/card_index`,
          message: `duplicate card_index ${card.card_index}; card indexes must be unique`,
        });
      cardIndexes.add(card.card_index);
      const cardTypes = new Set<string>();
      const cardButtons = new Set<number>();
      card.components.forEach((cc, j) => {
        if (cc.type === 'button') {
          if (cardButtons.has(indexOf(cc)))
            errors.push({
              path: `${cardPath}/components/${j}/index`,
              message: `duplicate button index ${indexOf(cc)} in this card`,
            });
          cardButtons.add(indexOf(cc));
          return;
        }
        if (cardTypes.has(cc.type))
          errors.push({
            path: `${cardPath}/components/${j}`,
            message: `duplicate '${cc.type}' component in this card`,
          });
        cardTypes.add(cc.type);
      });
    });
  });
  return errors;
}

/** Duplicate card and button indexes in the simple `carousel`. `base` points at `carousel`. */
export function checkCarouselInput(carousel: CarouselInput, base: string): FieldError[] {
  const errors: FieldError[] = [];
  const cardIndexes = new Set<number>();
  carousel.cards.forEach((card, k) => {
    if (cardIndexes.has(card.index))
      errors.push({
        path: `${base}/cards/${k}/index`,
        message: `duplicate card index ${card.index}; card indexes must be unique`,
      });
    cardIndexes.add(card.index);
    const buttons = new Set<number>();
    (card.buttonValues ?? []).forEach((b, j) => {
      if (buttons.has(b.index))
        errors.push({
          path: `${base}/cards/${k}/buttonValues/${j}/index`,
          message: `duplicate button index ${b.index} in this card`,
        });
      buttons.add(b.index);
    });
  });
  return errors;
}
