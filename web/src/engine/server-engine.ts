/** The server engine: `POST /predict` with the photo as the raw body. */
import { isApiErrorBody, type PredictResult } from '@shelfwatch/shared';
import { ClientImageError, type ScanOptions, type ServerEngine } from './engine-manager.ts';

export class HttpServerEngine implements ServerEngine {
  constructor(
    private readonly apiBase: string,
    private readonly fetchFn: typeof fetch = (...args) => fetch(...args),
  ) {}

  async detect(image: Blob, { signal }: ScanOptions = {}): Promise<PredictResult> {
    const type = image.type || 'image/jpeg';
    const response = await this.fetchFn(`${this.apiBase}/predict`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: image,
      ...(signal ? { signal } : {}),
    });
    const body: unknown = await response.json().catch(() => undefined);
    if (response.ok) return body as PredictResult;
    const code = isApiErrorBody(body) ? body.error.code : 'HTTP_' + response.status;
    const message = isApiErrorBody(body) ? body.error.message : `server answered ${response.status}`;
    // 4xx (except 408/429) is the photo's fault: the device would not do better.
    if (
      response.status >= 400 &&
      response.status < 500 &&
      response.status !== 408 &&
      response.status !== 429
    ) {
      throw new ClientImageError(message, response.status, code);
    }
    throw new Error(`${code}: ${message}`);
  }
}
