/**
 * Choosing the stored template a send request names: by name, then by language (exact, then a
 * bare language against a single regional variant), and only an APPROVED one.
 */
import { UnprocessableError } from '@flowgate/errors';
import type { StoredTemplate } from './template-types';

const normaliseLanguage = (code: string): string => {
  const [base = '', region] = code.trim().replace('-', '_').split('_');
  return region === undefined ? base.toLowerCase() : `${base.toLowerCase()}_${region.toUpperCase()}`;
};
const baseLanguage = (code: string): string => normaliseLanguage(code).split('_')[0] ?? '';

/**
 * Picks the stored template a request names. `candidates` are the workspace's templates with
 * that name (any language, any status). Exact language wins; a bare language (`en`) matches a
 * regional one (`en_US`) only when it is the one candidate with that base language.
 */
export function selectTemplate(
  candidates: readonly StoredTemplate[],
  name: string,
  language?: string,
): StoredTemplate {
  const named = candidates.filter((t) => t.name === name);
  const available = named.map((t) => t.language).sort();
  if (named.length === 0) {
    throw new UnprocessableError('TEMPLATE_NOT_FOUND', `No template named "${name}" in this workspace.`, [
      { path: '/templateName', message: `no template named "${name}"` },
    ]);
  }

  let chosen: StoredTemplate | undefined;
  if (language === undefined || language.trim() === '') {
    if (named.length > 1) {
      throw new UnprocessableError(
        'TEMPLATE_LANGUAGE_AMBIGUOUS',
        `Template "${name}" exists in several languages (${available.join(', ')}); pass templateLanguage.`,
        [{ path: '/templateLanguage', message: `pass one of: ${available.join(', ')}` }],
      );
    }
    chosen = named[0];
  } else {
    const wanted = normaliseLanguage(language);
    chosen =
      named.find((t) => t.language === language) ??
      named.find((t) => normaliseLanguage(t.language) === wanted);
    if (!chosen && !wanted.includes('_')) {
      const sameBase = named.filter((t) => baseLanguage(t.language) === wanted);
      if (sameBase.length > 1) {
        const langs = sameBase.map((t) => t.language).sort();
        throw new UnprocessableError(
          'TEMPLATE_LANGUAGE_AMBIGUOUS',
          `Template "${name}" has several "${language}" variants (${langs.join(', ')}); pass the exact templateLanguage.`,
          [
            {
              path: '/templateLanguage',
              message: `"${language}" matches ${langs.join(', ')}; pass one of them`,
            },
          ],
        );
      }
      chosen = sameBase[0];
    }
    if (!chosen) {
      throw new UnprocessableError(
        'TEMPLATE_NOT_FOUND',
        `Template "${name}" has no "${language}" version (available: ${available.join(', ')}).`,
        [
          {
            path: '/templateLanguage',
            message: `no "${language}" version; available: ${available.join(', ')}`,
          },
        ],
      );
    }
  }
  if (!chosen) throw new Error('unreachable: a template was found');
  if (chosen.status !== 'APPROVED') {
    throw new UnprocessableError(
      'TEMPLATE_NOT_APPROVED',
      `Template "${name}" (${chosen.language}) is ${chosen.status}; only APPROVED templates can be sent.`,
      [{ path: '/templateName', message: `template status is ${chosen.status}, not APPROVED` }],
    );
  }
  return chosen;
}
