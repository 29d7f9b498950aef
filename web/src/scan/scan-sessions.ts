/**
 * One scan at a time. Every photo starts a session with a fresh id and an AbortSignal; starting a new
 * one aborts the previous, so its engine call stops where it can (fetch aborted, worker told to skip)
 * and anything it still produces is dropped: only the current session may touch the screen.
 */

export interface ScanSession {
  /** Increasing per page; shown as `data-scan-id`. */
  id: number;
  signal: AbortSignal;
}

export class ScanSessions {
  private seq = 0;
  private current: { id: number; controller: AbortController } | undefined;

  /** Starts a session, aborting the one in progress. */
  begin(): ScanSession {
    this.current?.controller.abort(new DOMException('replaced by a newer scan', 'AbortError'));
    const controller = new AbortController();
    this.current = { id: ++this.seq, controller };
    return { id: this.seq, signal: controller.signal };
  }

  /** Whether `id` is still the session on screen (call after every await). */
  isCurrent(id: number): boolean {
    return this.current?.id === id && !this.current.controller.signal.aborted;
  }

  /** Id of the session on screen, if any. */
  get currentId(): number | undefined {
    return this.current?.id;
  }

  /** Aborts the current session (the user pressed Cancel or went back). */
  cancel(): void {
    this.current?.controller.abort(new DOMException('cancelled', 'AbortError'));
    this.current = undefined;
  }
}

/** True for the rejection of an aborted operation (fetch, worker detect, our own checks). */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException
    ? err.name === 'AbortError'
    : (err as { name?: string })?.name === 'AbortError';
}
