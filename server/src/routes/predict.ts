import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { readImageInput } from '../http/image-input.js';
import { errorResponses, IMAGE_CONSUMES, PredictResult, ThresholdQuery } from '../schemas/common.js';

export const PredictQuery = Type.Object(ThresholdQuery);

/** POST /predict: detect products on one shelf photo (raw image body or multipart field `image`). */
export default async function predictRoutes(app: FastifyInstance) {
  app.post<{ Querystring: typeof PredictQuery.static }>(
    '/predict',
    {
      schema: {
        summary: 'Detect products, shelf rows and gaps on a photo',
        consumes: IMAGE_CONSUMES,
        querystring: PredictQuery,
        response: { 200: PredictResult, ...errorResponses(400, 413, 415, 422, 429, 503) },
      },
      config: { rateLimit: app.config.RATE_LIMIT_PER_MINUTE > 0 ? {} : false },
    },
    async (request) => {
      const { image } = await readImageInput(request);
      return app.inference.predict(image, request.query);
    },
  );
}
