/**
 * The advanced form of a template send: Cloud API `templateComponents` as given, checked against
 * the stored template (counts, placeholders, limits once filled in) but never rewritten.
 */
import { asArray, isRecord, type BubbleModel, type HeaderModel, type TemplateModel } from './template-model';
import {
  TEMPLATE_PARAM_LIMITS,
  Problems,
  hydratedLength,
  subTypeOf,
  textRuleViolation,
  throwIfProblems,
} from './template-rules';
const PARAM_TEXT_FIELDS: Record<string, string> = {
  text: 'text',
  payload: 'payload',
  coupon_code: 'coupon_code',
};

function checkParameterTexts(
  parameters: readonly unknown[],
  path: string,
  problems: Problems,
  urlSuffix = false,
): void {
  parameters.forEach((param, i) => {
    if (!isRecord(param) || typeof param['type'] !== 'string') {
      problems.add(`${path}/${i}`, 'invalid: a parameter needs a type', 'invalid');
      return;
    }
    const field = PARAM_TEXT_FIELDS[param['type']];
    if (field === undefined) return;
    const value = param[field];
    if (typeof value !== 'string') {
      problems.add(
        `${path}/${i}/${field}`,
        `invalid: a ${param['type']} parameter needs a string "${field}"`,
        'invalid',
      );
      return;
    }
    // Quick-reply payloads are data, not displayed text: only non-empty.
    const rule =
      field === 'payload' ? (value.length === 0 ? 'must not be empty' : undefined) : textRuleViolation(value);
    if (rule) problems.add(`${path}/${i}/${field}`, `invalid: parameter ${rule}`, 'invalid');
    else if (urlSuffix && field === 'text' && /\s/.test(value)) {
      problems.add(`${path}/${i}/${field}`, 'invalid: a URL suffix must not contain spaces', 'invalid');
    } else if (field === 'coupon_code' && value.length > TEMPLATE_PARAM_LIMITS.couponCode) {
      problems.add(
        `${path}/${i}/${field}`,
        `invalid: coupon code is ${value.length} characters; the limit is ${TEMPLATE_PARAM_LIMITS.couponCode}`,
        'invalid',
      );
    }
  });
}

/** The text a parameter puts into the message: its text, or a currency's or date's fallback. */
function displayedText(param: unknown): string | undefined {
  if (!isRecord(param)) return undefined;
  if (typeof param['text'] === 'string') return param['text'];
  for (const kind of ['currency', 'date_time']) {
    const object = param[kind];
    if (isRecord(object) && typeof object['fallback_value'] === 'string') return object['fallback_value'];
  }
  return undefined;
}

/**
 * Which placeholder each parameter fills: by position, or in a NAMED template by its
 * `parameter_name`, which Meta requires there on every parameter (one per placeholder). Returns
 * the filled-in values, or undefined after reporting what does not match.
 */
function assignParameters(
  variables: readonly string[],
  parameters: readonly unknown[],
  named: boolean,
  path: string,
  part: string,
  problems: Problems,
): Map<string, string | undefined> | undefined {
  const values = new Map<string, string | undefined>();
  if (!named) {
    variables.forEach((v, i) => values.set(v, displayedText(parameters[i])));
    return parameters.length === variables.length ? values : undefined;
  }
  const before = problems.details.length;
  const list = variables.map((v) => `{{${v}}}`).join(', ');
  parameters.forEach((param, i) => {
    const name = isRecord(param) ? param['parameter_name'] : undefined;
    if (typeof name !== 'string') {
      problems.add(
        `${path}/${i}/parameter_name`,
        `missing: the template uses named parameters, so every ${part} parameter needs "parameter_name" (${list})`,
        'missing',
      );
      return;
    }
    if (!variables.includes(name)) {
      problems.add(
        `${path}/${i}/parameter_name`,
        `unexpected: the template's ${part} has no {{${name}}} (it has ${list || 'none'})`,
        'unexpected',
      );
      return;
    }
    if (values.has(name)) {
      problems.add(
        `${path}/${i}/parameter_name`,
        `invalid: {{${name}}} is given more than once`,
        'duplicate',
      );
      return;
    }
    values.set(name, displayedText(param));
  });
  if (problems.details.length > before) return undefined;
  const missing = variables.filter((v) => !values.has(v));
  if (missing.length > 0) {
    // A count problem has been reported already when the numbers differ; this names the gaps.
    if (parameters.length === variables.length)
      problems.add(path, `missing: no parameter for ${missing.map((v) => `{{${v}}}`).join(', ')}`, 'missing');
    return undefined;
  }
  return values;
}

/** Reports text that would exceed `limit` once its placeholders are filled in. */
function checkFilledLength(
  text: string | undefined,
  values: ReadonlyMap<string, string | undefined> | undefined,
  limit: number,
  path: string,
  what: string,
  problems: Problems,
): void {
  if (text === undefined || values === undefined) return;
  const length = hydratedLength(text, [...values.keys()], (v) => values.get(v));
  if (length > limit)
    problems.add(
      path,
      `invalid: ${what} would be ${length} characters once filled in; the limit is ${limit}`,
      'too_long',
    );
}

function expectedHeaderParams(header: HeaderModel | undefined): number {
  if (!header) return 0;
  return header.kind === 'text' ? header.variables.length : 1;
}

function checkAdvancedBubble(
  bubble: BubbleModel,
  components: readonly unknown[],
  path: string,
  /** Who owns these components, for messages: "the template" or "card 1". */
  owner: string,
  problems: Problems,
  allowCarousel: boolean,
  named: boolean,
): readonly unknown[] | undefined {
  const where = owner === 'the template' ? 'the template ' : `${owner}'s `;
  const bodyLimit = allowCarousel
    ? TEMPLATE_PARAM_LIMITS.hydratedBody
    : TEMPLATE_PARAM_LIMITS.hydratedCardBody;
  let carousel: readonly unknown[] | undefined;
  const seen = new Set<string>();
  const buttonsSeen = new Set<number>();
  components.forEach((raw, i) => {
    const cp = `${path}/${i}`;
    if (!isRecord(raw) || typeof raw['type'] !== 'string') {
      problems.add(`${cp}/type`, 'invalid: a component needs a type', 'invalid');
      return;
    }
    const type = raw['type'].toLowerCase();
    const parameters = asArray(raw['parameters']);
    if (type !== 'button') {
      if (seen.has(type)) problems.add(`${cp}/type`, `invalid: more than one ${type} component`, 'invalid');
      seen.add(type);
    }
    switch (type) {
      case 'header': {
        const expected = expectedHeaderParams(bubble.header);
        if (parameters.length !== expected) {
          problems.add(
            `${cp}/parameters`,
            headerCountMessage(bubble.header, where, parameters.length),
            'count',
          );
        } else if (bubble.header?.kind === 'media') {
          const p = parameters[0];
          const got = isRecord(p) ? p['type'] : undefined;
          if (got !== bubble.header.format) {
            problems.add(
              `${cp}/parameters/0/type`,
              `invalid: ${where}header is ${bubble.header.format.toUpperCase()}; the parameter type must be "${bubble.header.format}"`,
              'invalid',
            );
          }
        } else if (bubble.header?.kind === 'location') {
          const p = parameters[0];
          if (!isRecord(p) || p['type'] !== 'location') {
            problems.add(
              `${cp}/parameters/0/type`,
              `invalid: ${where}header is LOCATION; the parameter type must be "location"`,
              'invalid',
            );
          }
        }
        const before = problems.details.length;
        checkParameterTexts(parameters, `${cp}/parameters`, problems);
        if (bubble.header?.kind === 'text' && parameters.length === expected) {
          const values = assignParameters(
            bubble.header.variables,
            parameters,
            named,
            `${cp}/parameters`,
            'header',
            problems,
          );
          if (problems.details.length === before)
            checkFilledLength(
              bubble.header.text,
              values,
              TEMPLATE_PARAM_LIMITS.hydratedHeaderText,
              `${cp}/parameters`,
              `${where}header`,
              problems,
            );
        }
        break;
      }
      case 'body': {
        if (parameters.length !== bubble.bodyVariables.length) {
          problems.add(
            `${cp}/parameters`,
            `${where}body declares ${bubble.bodyVariables.length} placeholder(s); ${parameters.length} parameter(s) given`,
            'count',
          );
        }
        const before = problems.details.length;
        checkParameterTexts(parameters, `${cp}/parameters`, problems);
        const values = assignParameters(
          bubble.bodyVariables,
          parameters,
          named,
          `${cp}/parameters`,
          'body',
          problems,
        );
        if (problems.details.length === before)
          checkFilledLength(bubble.bodyText, values, bodyLimit, `${cp}/parameters`, `${where}body`, problems);
        break;
      }
      case 'button': {
        const index = typeof raw['index'] === 'string' ? Number(raw['index']) : raw['index'];
        const button =
          typeof index === 'number' && Number.isInteger(index) ? bubble.buttons[index] : undefined;
        const subType = button ? subTypeOf(button) : undefined;
        if (!button || subType === undefined || typeof index !== 'number') {
          problems.add(
            `${cp}/index`,
            `unexpected: ${owner} has no button ${String(raw['index'])} that takes a value`,
            'unexpected',
          );
          break;
        }
        if (buttonsSeen.has(index))
          problems.add(`${cp}/index`, `invalid: button ${index} is given more than once`, 'invalid');
        buttonsSeen.add(index);
        if (raw['sub_type'] !== subType) {
          problems.add(
            `${cp}/sub_type`,
            `invalid: ${where}button ${index} is ${button.type}; sub_type must be "${subType}"`,
            'invalid',
          );
        }
        if (parameters.length !== 1) {
          problems.add(
            `${cp}/parameters`,
            `invalid: a button component takes exactly one parameter`,
            'count',
          );
        }
        checkParameterTexts(parameters, `${cp}/parameters`, problems, subType === 'url');
        break;
      }
      case 'carousel':
        if (!allowCarousel) {
          problems.add(`${cp}/type`, `unexpected: ${owner} cannot hold a carousel`, 'unexpected');
          break;
        }
        carousel = asArray(raw['cards']);
        break;
      default:
        problems.add(
          `${cp}/type`,
          `unexpected: "${type}" is not a send-time template component`,
          'unexpected',
        );
    }
  });
  if (!seen.has('header') && expectedHeaderParams(bubble.header) > 0) {
    problems.add(path, `missing: ${where}header needs a parameter (${headerWhat(bubble.header)})`, 'missing');
  }
  if (!seen.has('body') && bubble.bodyVariables.length > 0) {
    problems.add(
      path,
      `missing: ${where}body declares ${bubble.bodyVariables.length} placeholder(s); no body component given`,
      'missing',
    );
  }
  for (const b of bubble.buttons) {
    if ((b.value === 'url' || b.value === 'copy_code' || b.value === 'otp') && !buttonsSeen.has(b.index)) {
      problems.add(
        path,
        `missing: ${where}button ${b.index} (${b.type}) needs a "${subTypeOf(b)}" button component`,
        'missing',
      );
    }
  }
  return carousel;
}

function headerWhat(header: HeaderModel | undefined): string {
  if (header?.kind === 'media') return header.format;
  if (header?.kind === 'location') return 'location';
  return 'text';
}

function headerCountMessage(header: HeaderModel | undefined, where: string, got: number): string {
  const expected = expectedHeaderParams(header);
  if (expected === 0) return `unexpected: ${where}header takes no parameters; ${got} given`;
  return `${where}header takes ${expected} parameter(s) (${headerWhat(header)}); ${got} given`;
}

export function checkAdvancedComponents(model: TemplateModel, components: readonly unknown[]): void {
  const problems = new Problems();
  const named = model.format === 'NAMED';
  const carousel = checkAdvancedBubble(
    model,
    components,
    '/templateComponents',
    'the template',
    problems,
    true,
    named,
  );
  const cards = model.cards;
  if (cards && carousel === undefined) {
    problems.add(
      '/templateComponents',
      `missing: the template is a carousel with ${cards.length} cards; no carousel component given`,
      'missing',
    );
  }
  if (!cards && carousel !== undefined) {
    problems.add('/templateComponents', 'unexpected: the template is not a carousel template', 'unexpected');
  }
  if (cards && carousel) {
    const carouselIndex = components.findIndex(
      (c) => isRecord(c) && typeof c['type'] === 'string' && c['type'].toLowerCase() === 'carousel',
    );
    const base = `/templateComponents/${carouselIndex}/cards`;
    if (carousel.length !== cards.length) {
      problems.add(
        base,
        `the template has ${cards.length} carousel cards; ${carousel.length} given (they must be equal)`,
        'card_count',
      );
    }
    const seen = new Set<number>();
    let firstShape: string | undefined;
    carousel.forEach((raw, i) => {
      const path = `${base}/${i}`;
      const cardIndex = isRecord(raw) ? raw['card_index'] : undefined;
      const index = typeof cardIndex === 'string' ? Number(cardIndex) : cardIndex;
      const card = typeof index === 'number' && Number.isInteger(index) ? cards[index] : undefined;
      if (!isRecord(raw) || typeof index !== 'number' || !card) {
        problems.add(
          `${path}/card_index`,
          `unexpected: the template has no card ${String(cardIndex)}`,
          'unexpected',
        );
        return;
      }
      if (seen.has(index))
        problems.add(`${path}/card_index`, `invalid: card ${index} is given more than once`, 'invalid');
      seen.add(index);
      const cardComponents = asArray(raw['components']);
      checkAdvancedBubble(
        card,
        cardComponents,
        `${path}/components`,
        `card ${index}`,
        problems,
        false,
        named,
      );
      // Every card must carry the same components (header, body, the same buttons).
      const shape = cardComponents
        .map((c) =>
          isRecord(c)
            ? `${String(c['type'])}:${typeof c['sub_type'] === 'string' ? c['sub_type'] : ''}:${c['index'] === undefined ? '' : Number(c['index'])}`
            : '?',
        )
        .sort()
        .join('|');
      if (firstShape !== undefined && shape !== firstShape) {
        problems.add(
          `${path}/components`,
          'invalid: every card must have the same components (header, body, buttons) as the first card',
          'invalid',
        );
      }
      firstShape ??= shape;
    });
  }
  throwIfProblems(problems);
}
