/** Quality warnings as a list: what is wrong and how to take a better photo. */
import type { QualityWarning } from '../quality/image-quality.ts';
import { h } from './dom.ts';

export function renderWarnings(list: HTMLElement, warnings: readonly QualityWarning[]): void {
  list.replaceChildren(
    ...warnings.map((w) =>
      h(
        'li',
        { 'data-code': w.code, 'data-value': String(w.value) },
        h('strong', {}, w.text),
        ' ',
        h('span', {}, w.advice),
      ),
    ),
  );
  list.hidden = warnings.length === 0;
}
