import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { readImageInput, requireImageContentType, validateBeforeBody } from '../http/image-input.js';
import {
  errorResponses,
  IMAGE_BODY_DOC,
  IMAGE_CONSUMES,
  imageBodyDoc,
  PredictResult,
  ThresholdQuery,
} from '../schemas/common.js';

export const PredictQuery = Type.Object(ThresholdQuery, { additionalProperties: false });

/**
 * POST /predict: detect products on one shelf photo (raw image body or multipart field `image`).
 * Anonymous: the content type and the query are checked and a queue slot taken before the body is read.
 */
export default async function predictRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/predict',
    {
      schema: {
        summary: 'Detect products, shelf rows and gaps on a photo',
        consumes: IMAGE_CONSUMES,
        [IMAGE_BODY_DOC]: imageBodyDoc(),
        querystring: PredictQuery,
        response: { 200: PredictResult, ...errorResponses(400, 413, 415, 422, 429, 503) },
      },
      bodyLimit: app.config.MAX_BODY_BYTES,
      onRequest: [requireImageContentType, validateBeforeBody],
      preParsing: app.inference.admit,
      config: { rateLimit: app.rateLimits.perIp },
    },
    async (request) => {
      const { image } = await readImageInput(request);
      // Only the three validated thresholds go on; the worker's message is built from them alone.
      const { conf, iou, maxDetections } = request.query;
      return app.inference.predict(image, { conf, iou, maxDetections }, request.inferenceSlot!);
    },
  );
}
