/**
 * The scan flow: photo → check → review → audit → done. One scan at a time: each photo starts a
 * session (scan-sessions.ts) that aborts the previous one, clears what was on screen, and may only
 * draw while it is current, so a late result can never land on another photo. Review and audit are
 * bound to the scan on screen (its id is the audit's Idempotency-Key), and filing it twice finds the
 * audit already there.
 */
import type { PredictResult } from '@shelfwatch/shared';
import { describeError, type PlainError } from '../api/messages.ts';
import { config } from '../config.ts';
import { ClientImageError, errorText } from '../engine/engine-manager.ts';
import type { EngineKind } from '../engine/policy.ts';
import { compareShelves, noEarlierAuditText, type ShelfSummary } from '../history/compare.ts';
import { lastAuditOf } from '../history/last-audit.ts';
import { PhotoRefused, preparePhoto } from '../photo/prepare-photo.ts';
import {
  checkResult,
  checkSample,
  MAX_UNDECODED_SHARE,
  type QualityWarning,
  SAMPLE_SIDE,
  undecodedShare,
} from '../quality/image-quality.ts';
import { graySample } from '../quality/sample.ts';
import { isAbort, ScanSessions } from '../scan/scan-sessions.ts';
import { rememberAisle } from '../settings.ts';
import type { AuditRecord, ScanRecord, StoredResult } from '../storage/db.ts';
import { auditStatus } from '../ui/audit-status.ts';
import { button, byId, h } from '../ui/dom.ts';
import { formatMs, plural, shortAuditId } from '../ui/format.ts';
import { makeImages, PREVIEW_SIDE } from '../ui/history-view.ts';
import { attachPanZoom, type PanZoom } from '../ui/pan-zoom.ts';
import { renderWarnings } from '../ui/quality-view.ts';
import { clearResult, renderResult, scaleLabels } from '../ui/result-view.ts';
import { currentStep, showStep } from '../ui/steps.ts';
import type { AppState } from './app-state.ts';

/** The scan on screen in review / audit / done. */
interface Shown {
  record: ScanRecord;
  result: StoredResult;
  /** Object URL of what the viewer shows (the photo, or the stored preview of a reopened scan). */
  url: string;
  warnings: QualityWarning[];
  engine?: EngineKind;
}

export function toStoredResult(r: PredictResult): StoredResult {
  return {
    image: r.image,
    model: r.model,
    boxes: r.detections.map((d) => d.box),
    rows: r.shelf.rows.map((row) => {
      // `line` comes with the rows contract; older results (and servers) have none.
      const { line } = row as { line?: StoredResult['rows'][number]['line'] };
      return { box: row.box, count: row.count, gaps: row.gaps, ...(line ? { line } : {}) };
    }),
  };
}

export function summaryOf(r: StoredResult, count: number, at: number): ShelfSummary {
  return { count, at, rows: r.rows.map((row) => ({ count: row.count, gaps: row.gaps.length })) };
}

export class ScanFlow {
  private readonly sessions = new ScanSessions();
  private shown: Shown | undefined;
  private checkUrl: string | undefined;
  /** Resolves the "Retake / Use anyway" question of the current session. */
  private answer: ((use: boolean) => void) | undefined;
  private submitting = false;
  private compared = '';
  /** The last submit found this scan's audit already filed (a second tap, another tab). */
  private alreadyFiled = false;
  private readonly panZoom: PanZoom;

  constructor(private readonly app: AppState) {
    this.panZoom = attachPanZoom(
      byId('viewer'),
      byId('stage'),
      byId('overlay') as unknown as SVGSVGElement,
      scaleLabels,
    );
    byId('zoom-in').addEventListener('click', () => this.panZoom.zoomBy(1.5));
    byId('zoom-out').addEventListener('click', () => this.panZoom.zoomBy(1 / 1.5));
    byId('zoom-reset').addEventListener('click', () => this.panZoom.reset());
    byId('check-cancel').addEventListener('click', () => this.cancel());
    byId('check-retake').addEventListener('click', () => this.answer?.(false));
    byId('check-use').addEventListener('click', () => this.answer?.(true));
    byId('review-retake').addEventListener('click', () => this.toCapture());
    byId('review-audit').addEventListener('click', () => this.toAudit());
    byId('audit-back').addEventListener('click', () => showStep('review'));
    byId('done-next').addEventListener('click', () => this.toCapture());
    // The same as the header's History tab (which refreshes the list first).
    byId('done-history').addEventListener('click', () => byId('nav-history').click());
    byId<HTMLFormElement>('audit-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
    app.onChange(() => void this.refreshStatus());
  }

  /** The scan on screen, for tests and the record view. */
  get shownId(): string | undefined {
    return this.shown?.record.id;
  }

  // ---- capture → check → review ----------------------------------------------------------------

  /** A photo was chosen or taken: check it, count it, show it. Supersedes any scan in progress. */
  async takePhoto(file: Blob): Promise<void> {
    const { id, signal } = this.sessions.begin();
    this.answer?.(false);
    this.clearShown();
    const t0 = performance.now();
    byId('main').dataset.session = String(id);
    this.setCheck('Checking the photo…', true);
    showStep('check');

    let photo: Awaited<ReturnType<typeof preparePhoto>>;
    try {
      photo = await preparePhoto(file, this.app.limits());
    } catch (err) {
      if (this.sessions.isCurrent(id)) this.refuse(err);
      return;
    }
    if (!this.sessions.isCurrent(id)) return;
    const url = URL.createObjectURL(photo.blob);
    this.checkUrl = url;
    byId<HTMLImageElement>('check-photo').src = url;
    // Decoded upright and resized off the main thread: a SAMPLE_SIDE copy for the quality check and
    // a screen-sized one for the history preview; the main thread only reads small pixels.
    const fit = (side: number) => {
      const k = Math.min(1, side / Math.max(photo.width, photo.height));
      return { w: Math.max(3, Math.round(photo.width * k)), h: Math.max(3, Math.round(photo.height * k)) };
    };
    const small = fit(SAMPLE_SIDE);
    const large = fit(PREVIEW_SIDE);
    const d0 = performance.now();
    let bitmaps: [ImageBitmap, ImageBitmap];
    try {
      const decode = ({ w, h }: { w: number; h: number }, resizeQuality: ResizeQuality) =>
        createImageBitmap(photo.blob, {
          imageOrientation: 'from-image',
          resizeWidth: w,
          resizeHeight: h,
          resizeQuality,
        });
      bitmaps = await Promise.all([decode(small, 'medium'), decode(large, 'high')]);
    } catch {
      if (this.sessions.isCurrent(id))
        this.refuse(new PhotoRefused('DECODE_FAILED', 'the photo cannot be decoded'));
      return;
    }
    let warnings: QualityWarning[];
    let images: ReturnType<typeof makeImages>;
    try {
      if (!this.sessions.isCurrent(id)) return;
      const q0 = performance.now();
      const gray = graySample(bitmaps[0], small.w, small.h);
      // The decoder stopped early (a damaged file): the rest is one flat grey. Refused, not warned.
      if (undecodedShare(gray) > MAX_UNDECODED_SHARE) {
        this.refuse(new PhotoRefused('DAMAGED_IMAGE', 'part of the photo could not be decoded'));
        return;
      }
      warnings = checkSample(gray);
      const status = byId('check-status');
      status.dataset.decodeMs = (q0 - d0).toFixed(1);
      status.dataset.qualityMs = (performance.now() - q0).toFixed(1);
      images = makeImages(bitmaps[1], large.w, large.h);
    } finally {
      for (const b of bitmaps) b.close();
    }
    if (warnings.length && !(await this.ask(warnings, id))) return;

    this.setCheck('Counting the products…', true);
    let outcome: Awaited<ReturnType<typeof this.app.manager.scan>>;
    try {
      outcome = await this.app.manager.scan(photo.blob, { signal, scanId: id });
    } catch (err) {
      if (isAbort(err) || !this.sessions.isCurrent(id)) return;
      this.scanFailed(err);
      return;
    }
    if (!this.sessions.isCurrent(id)) return;
    const { result } = outcome;
    const after = checkResult(result, config.modelInputSize);
    if (after.length && !(await this.ask(after, id))) return;
    const accepted = [...warnings, ...after];
    const ms = performance.now() - t0;
    const record: ScanRecord = {
      id: crypto.randomUUID(),
      createdAt: Date.now(),
      count: result.count,
      rowCounts: result.shelf.rows.map((r) => r.count),
      gaps: result.shelf.rows.reduce((n, r) => n + r.gaps.length, 0),
      engine: outcome.engine,
      ms,
      photo: await photo.blob.arrayBuffer(),
      photoType: photo.type,
      result: toStoredResult(result),
      ...(photo.downscaledFrom ? { downscaledFrom: photo.downscaledFrom } : {}),
      ...(accepted.length ? { warnings: accepted.map((w) => w.code) } : {}),
    };
    if (!this.sessions.isCurrent(id)) return;
    this.checkUrl = undefined; // now owned by the review
    this.app.scannedOn = outcome.engine;
    this.shown = { record, result: record.result!, url, warnings: accepted, engine: outcome.engine };
    await this.showReview(id);
    if (!this.sessions.isCurrent(id)) return;
    const count = byId('count');
    count.dataset.ms = (performance.now() - t0).toFixed(1);
    count.dataset.inferenceMs = result.timingsMs.inference.toFixed(1);
    count.dataset.timings = JSON.stringify(result.timingsMs);
    const fellBack = outcome.fallbacks.length ? ' (the other engine failed)' : '';
    byId('result-meta').textContent =
      `${outcome.engine === 'device' ? 'counted on this phone' : 'counted on the server'} in ${formatMs(ms)}${fellBack}` +
      (photo.downscaledFrom
        ? ` · photo made smaller (${photo.downscaledFrom.originalWidth}×${photo.downscaledFrom.originalHeight} → ${photo.width}×${photo.height}) to fit the server`
        : '');
    // History: thumbnails and the record, after the result is on screen.
    const { thumbnail, preview, type } = await images;
    await this.app.history.add({
      ...record,
      ...(thumbnail ? { thumbnail, thumbnailType: type } : {}),
      ...(preview ? { preview, previewType: type } : {}),
    });
    // Test hook: the scan is in history (another tab can reopen it).
    if (this.sessions.isCurrent(id)) count.dataset.saved = record.id;
    this.app.changed();
  }

  /** Asks "Retake / Use anyway" for the current session; false when retaken or superseded. */
  private ask(warnings: QualityWarning[], id: number): Promise<boolean> {
    renderWarnings(byId('quality-warnings'), warnings);
    byId('check-status').textContent = 'This photo may not count well:';
    byId('check-status').classList.remove('busy');
    byId('check-cancel').hidden = true;
    byId('check-retake').hidden = false;
    byId('check-use').hidden = false;
    byId('check-use').focus();
    return new Promise<boolean>((resolve) => {
      this.answer = (use) => {
        this.answer = undefined;
        renderWarnings(byId('quality-warnings'), []);
        byId('check-retake').hidden = true;
        byId('check-use').hidden = true;
        byId('check-cancel').hidden = false;
        const current = this.sessions.isCurrent(id);
        if (!use && current) this.toCapture();
        resolve(use && current);
      };
    });
  }

  private setCheck(text: string, busy: boolean): void {
    const status = byId('check-status');
    status.textContent = text;
    status.classList.toggle('busy', busy);
    byId('step-check').setAttribute('aria-busy', String(busy));
    byId('check-cancel').hidden = !busy;
  }

  /** Cancel during a check or a count: back to the camera, nothing kept. */
  cancel(): void {
    this.sessions.cancel();
    this.answer?.(false);
    this.toCapture();
  }

  /** Back to the capture step with nothing from the last scan on screen. */
  toCapture(error?: PlainError): void {
    this.sessions.cancel();
    this.clearShown();
    const box = byId('scan-error');
    box.hidden = !error;
    box.textContent = error?.text ?? '';
    box.dataset.code = error?.code ?? '';
    showStep('capture');
  }

  private refuse(err: unknown): void {
    const code = err instanceof PhotoRefused ? err.code : 'DECODE_FAILED';
    this.toCapture(describeError(code));
  }

  private scanFailed(err: unknown): void {
    if (err instanceof ClientImageError) {
      this.toCapture(describeError(err.code, err.message, err.status));
      return;
    }
    const msg = errorText(err);
    this.toCapture({
      ...describeError(/no engine available/.test(msg) ? 'NO_ENGINE' : 'SCAN_FAILED'),
      code: 'SCAN_FAILED',
    });
  }

  /** Drops the scan on screen: photo, boxes, rows, and the audit bound to it. */
  private clearShown(): void {
    if (this.shown) URL.revokeObjectURL(this.shown.url);
    if (this.checkUrl) URL.revokeObjectURL(this.checkUrl);
    this.shown = undefined;
    this.checkUrl = undefined;
    this.compared = '';
    this.alreadyFiled = false;
    clearResult();
    byId<HTMLImageElement>('check-photo').removeAttribute('src');
    renderWarnings(byId('quality-warnings'), []);
    const count = byId('count');
    count.textContent = '–';
    delete count.dataset.ms;
    delete count.dataset.scanId;
    delete count.dataset.saved;
    byId('result-meta').textContent = '';
    byId('review-status').textContent = '';
    byId('review-compare').hidden = true;
    byId<HTMLFormElement>('audit-form').dataset.scanId = '';
    byId('scan-error').hidden = true;
  }

  private async showReview(id?: number): Promise<void> {
    const s = this.shown!;
    const img = byId<HTMLImageElement>('photo');
    img.src = s.url;
    await img.decode().catch(() => {});
    if (id !== undefined && !this.sessions.isCurrent(id)) return;
    this.panZoom.setImageSize(s.result.image.width, s.result.image.height);
    renderResult(s.result, { onFocus: (box) => this.panZoom.focus(box) });
    const count = byId('count');
    count.textContent = String(s.record.count);
    count.dataset.scanId = s.record.id;
    byId('count-label').textContent = s.record.count === 1 ? 'product' : 'products';
    renderWarnings(byId('review-warnings'), s.warnings);
    byId('review-audit').dataset.scanId = s.record.id;
    showStep('review');
    await this.refreshStatus();
  }

  // ---- history ---------------------------------------------------------------------------------

  /** Reopens a past scan in review (its preview with boxes and rows). */
  async reopen(scanId: string): Promise<void> {
    const record = await this.app.history.get(scanId);
    if (!record?.result) {
      this.toCapture({
        code: 'OLD_SCAN',
        text: 'This scan is from an older version and cannot be reopened.',
        action: 'none',
      });
      return;
    }
    this.sessions.cancel();
    this.clearShown();
    const bytes = record.preview ?? record.photo ?? record.thumbnail;
    const type =
      (record.preview ? record.previewType : record.photo ? record.photoType : record.thumbnailType) ??
      'image/jpeg';
    const url = URL.createObjectURL(new Blob(bytes ? [bytes] : [], { type }));
    this.shown = {
      record,
      result: record.result,
      url,
      warnings: [],
      engine: record.engine,
    };
    await this.showReview();
    byId('result-meta').textContent =
      `Scanned ${new Date(record.createdAt).toLocaleString('en')} ${record.engine === 'device' ? 'on this phone' : 'on the server'}`;
  }

  // ---- audit → done ----------------------------------------------------------------------------

  private toAudit(): void {
    const s = this.shown;
    if (!s) return;
    const form = byId<HTMLFormElement>('audit-form');
    form.dataset.scanId = s.record.id;
    const store = byId<HTMLInputElement>('audit-store');
    store.value = s.record.storeId ?? this.app.settings.storeId;
    const aisle = byId<HTMLInputElement>('audit-aisle');
    aisle.value = s.record.aisle ?? '';
    byId('audit-error').hidden = true;
    byId('audit-summary').textContent =
      `${plural(s.record.count, 'product')} on this photo. The server counts it again for the official count.`;
    this.renderRecentAisles(store.value);
    store.oninput = () => this.renderRecentAisles(store.value.trim());
    byId<HTMLButtonElement>('audit-submit').disabled = false;
    showStep('audit');
  }

  private renderRecentAisles(storeId: string): void {
    const recent = this.app.settings.recentAisles.filter((r) => r.storeId === storeId).slice(0, 5);
    byId('recent-aisles').replaceChildren(
      ...(recent.length ? [h('span', { class: 'meta' }, 'Recent:')] : []),
      ...recent.map((r) =>
        button(
          `Aisle ${r.aisle}`,
          () => {
            byId<HTMLInputElement>('audit-aisle').value = r.aisle;
            byId('audit-note').focus();
          },
          { class: 'chip', 'data-aisle': r.aisle },
        ),
      ),
    );
  }

  /** Files the audit of the scan on screen, once, however often it is pressed. */
  private async submit(): Promise<void> {
    const s = this.shown;
    const form = byId<HTMLFormElement>('audit-form');
    const submitBtn = byId<HTMLButtonElement>('audit-submit');
    if (!s || this.submitting || form.dataset.scanId !== s.record.id) return;
    const storeId = byId<HTMLInputElement>('audit-store').value.trim();
    const aisle = byId<HTMLInputElement>('audit-aisle').value.trim();
    const note = byId<HTMLTextAreaElement>('audit-note').value.trim();
    const error = byId('audit-error');
    const problem = !/^[A-Za-z0-9._:-]{1,128}$/.test(storeId)
      ? 'Enter the store id (letters, digits and . _ : - only).'
      : !aisle
        ? 'Enter the aisle.'
        : undefined;
    if (problem) {
      error.textContent = problem;
      error.hidden = false;
      return;
    }
    this.submitting = true;
    submitBtn.disabled = true;
    try {
      const outcome = await this.app.queue.fileScan(s.record.id, {
        storeId,
        aisle,
        ...(note ? { note } : {}),
      });
      if (outcome.kind === 'no-photo') {
        error.textContent = describeError('NO_PHOTO').text;
        error.hidden = false;
        return;
      }
      s.record = { ...s.record, storeId, aisle };
      delete s.record.photo;
      byId<HTMLTextAreaElement>('audit-note').value = '';
      await this.app.updateSettings({
        storeId,
        recentAisles: rememberAisle(this.app.settings.recentAisles, storeId, aisle),
      });
      this.alreadyFiled = outcome.kind === 'already';
      showStep('done');
      this.app.changed();
      // Ask the browser not to evict the queue under storage pressure (best effort).
      void navigator.storage?.persist?.().catch(() => false);
      if (outcome.kind !== 'already') await this.app.driver.queued();
    } finally {
      this.submitting = false;
      submitBtn.disabled = false;
    }
  }

  /** Review and done texts: where the scan's audit stands, and the comparison with the last one. */
  async refreshStatus(): Promise<void> {
    const s = this.shown;
    if (!s) return;
    const audit = await this.app.queue.get(s.record.id);
    if (this.shown !== s) return;
    const online = navigator.onLine;
    const toAudit = byId<HTMLButtonElement>('review-audit');
    const reviewStatus = byId('review-status');
    if (audit && audit.status !== 'failed') {
      toAudit.hidden = true;
      reviewStatus.textContent = `Audit filed for ${audit.storeId}, aisle ${audit.aisle}. ${auditStatus(audit, online).text}`;
    } else if (!audit && !s.record.photo) {
      toAudit.hidden = true;
      reviewStatus.textContent =
        'The full photo of this scan is no longer kept; take a new photo to audit the shelf.';
    } else {
      toAudit.hidden = false;
      reviewStatus.textContent = audit ? `Not stored: ${auditStatus(audit, online).text}` : '';
    }
    if (currentStep() === 'done' && audit) this.renderDone(audit, online);
    const storeId = audit?.storeId ?? s.record.storeId;
    const aisle = audit?.aisle ?? s.record.aisle;
    const box = currentStep() === 'done' ? byId('done-compare') : byId('review-compare');
    if (audit?.status === 'failed') {
      // Nothing to compare a refused audit with (its store may not even be the key's).
      box.hidden = true;
      this.compared = '';
      return;
    }
    if (storeId && aisle && (currentStep() === 'done' || currentStep() === 'review')) {
      await this.renderCompare(box, s, storeId, aisle, audit?.serverId);
    }
  }

  private renderDone(audit: AuditRecord, online: boolean): void {
    const s = auditStatus(audit, online);
    byId('done-title').textContent = this.alreadyFiled
      ? 'This scan was already filed'
      : audit.status === 'sent'
        ? 'Audit stored'
        : audit.status === 'failed'
          ? 'Audit not stored'
          : audit.status === 'accepted'
            ? 'Audit accepted, being counted'
            : 'Audit saved, waiting to be sent';
    const status = byId('done-status');
    status.dataset.status = audit.status;
    const detail = byId('done-detail');
    if (audit.status === 'sent' && audit.serverId) {
      status.replaceChildren(
        `Stored as audit `,
        h(
          'a',
          { href: `#audit/${audit.serverId}`, 'data-testid': 'audit-link' },
          shortAuditId(audit.serverId),
        ),
        `. Official count: `,
        h('strong', { 'data-testid': 'official-count' }, plural(audit.serverCount ?? 0, 'product')),
        '.',
      );
      detail.textContent =
        audit.localCount !== undefined && audit.localCount !== audit.serverCount
          ? `This phone counted ${audit.localCount}; the server's count is the official one.`
          : `This phone counted the same.`;
    } else {
      status.textContent = s.text;
      detail.textContent = `${audit.storeId}, aisle ${audit.aisle}.`;
      if (audit.status === 'failed' && s.action === 'settings') {
        detail.append(
          ' ',
          button('Open Settings', () => byId('settings-open').click()),
        );
      } else if (audit.status === 'failed' && s.action === 'edit') {
        detail.append(
          ' ',
          button('Change store or aisle', () => this.toAudit()),
        );
      }
    }
  }

  private async renderCompare(
    box: HTMLElement,
    s: Shown,
    storeId: string,
    aisle: string,
    serverId?: string,
  ): Promise<void> {
    // One lookup per scan, place and stored id (the queue changes often while sending).
    const key = `${box.id}|${s.record.id}|${storeId}|${aisle}|${serverId ?? ''}`;
    if (this.compared === key) return;
    this.compared = key;
    const { last, server } = await lastAuditOf(
      { storeId, aisle, scanId: s.record.id, ...(serverId ? { serverId } : {}) },
      {
        apiKey: this.app.settings.apiKey,
        apiBase: this.app.apiBase,
        online: navigator.onLine,
        queue: this.app.queue,
        history: this.app.history,
      },
    );
    if (this.shown !== s) return;
    if (!last) {
      box.hidden = false;
      box.replaceChildren(h('p', { class: 'meta' }, noEarlierAuditText(storeId, aisle, server)));
      return;
    }
    const c = compareShelves(last.summary, summaryOf(s.result, s.record.count, s.record.createdAt));
    box.hidden = false;
    box.dataset.countDelta = String(c.countDelta);
    box.dataset.gapsDelta = String(c.gapsDelta);
    const when = new Date(last.summary.at).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' });
    box.replaceChildren(
      h('h3', {}, `Compared with the last audit of aisle ${aisle}`),
      h('p', { 'data-testid': 'compare-text' }, c.text),
      h(
        'p',
        { class: 'meta' },
        `Last audit: ${when}${last.serverId ? `, ${shortAuditId(last.serverId)}` : ''} (${last.source === 'server' ? 'from the server' : 'from this phone'}).`,
      ),
      ...(c.rowDeltas
        ? [
            h(
              'p',
              { class: 'meta' },
              `Row by row: ${c.rowDeltas.map((d, i) => `row ${i + 1} ${d > 0 ? '+' : d < 0 ? '−' : '±'}${Math.abs(d)}`).join(', ')}.`,
            ),
          ]
        : []),
    );
  }
}
