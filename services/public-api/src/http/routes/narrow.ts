/**
 * Narrows a stored string to one of the values its contract allows. The database only ever holds
 * those values, so a miss is a bug (a new value written without its contract being updated): an
 * Error, which the error mapper logs and answers with 500, never a silently wrong body.
 */
export function oneOf<const T extends readonly string[]>(values: T, value: string, what: string): T[number] {
  if (isOneOf(values, value)) return value;
  throw new Error(`stored ${what} ${JSON.stringify(value)} is not one of ${values.join(', ')}`);
}

function isOneOf<const T extends readonly string[]>(values: T, value: string): value is T[number] {
  return values.includes(value);
}
