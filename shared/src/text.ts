// Text for people, the same on the phone, the dashboard and the CLI.

const pluralRules = new Intl.PluralRules('en');

/** `plural(1, 'product')` → "1 product", `plural(3, 'gap')` → "3 gaps", `plural(1200, 'product')` → "1,200 products" (English rules). */
export function plural(n: number, one: string, other: string = `${one}s`): string {
  return `${n.toLocaleString('en')} ${pluralRules.select(n) === 'one' ? one : other}`;
}
