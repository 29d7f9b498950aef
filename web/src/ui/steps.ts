/**
 * The scan flow's steps: capture → check → review → audit → done, plus setup and history. One step
 * is shown at a time; the step indicator marks the current one (`aria-current="step"`), and focus
 * moves to the step's heading so keyboard and screen-reader users land where the new content is.
 */
import { byId } from './dom.ts';

export type Step = 'setup' | 'capture' | 'check' | 'review' | 'audit' | 'done' | 'history';

const SECTIONS: Record<Step, string> = {
  setup: 'step-setup',
  capture: 'step-capture',
  check: 'step-check',
  review: 'step-review',
  audit: 'step-audit',
  done: 'step-done',
  history: 'history-view',
};

const TITLES: Record<Step, string> = {
  setup: 'setup-title',
  capture: 'capture-title',
  check: 'check-title',
  review: 'review-title',
  audit: 'audit-title',
  done: 'done-title',
  history: 'history-title',
};

export function currentStep(): Step {
  return byId('main').dataset.step as Step;
}

/** Shows `step` and moves focus to its heading (unless `focus` is false). */
export function showStep(step: Step, focus = true): void {
  const main = byId('main');
  const changed = main.dataset.step !== step;
  main.dataset.step = step;
  for (const [s, id] of Object.entries(SECTIONS)) byId(id).hidden = s !== step;
  for (const li of byId('steps').querySelectorAll<HTMLElement>('li')) {
    if (li.dataset.for === step) li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
  }
  byId('steps').hidden = step === 'setup' || step === 'history';
  const tab = step === 'history' ? 'nav-history' : 'nav-scan';
  for (const id of ['nav-scan', 'nav-history']) {
    if (id === tab) byId(id).setAttribute('aria-current', 'page');
    else byId(id).removeAttribute('aria-current');
  }
  if (changed && focus) {
    byId(TITLES[step]).focus({ preventScroll: true });
    scrollTo({ top: 0 });
  }
}
