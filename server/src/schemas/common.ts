import { DEFAULT_CONF, DEFAULT_IOU, DEFAULT_MAX_DETECTIONS, MAX_DETECTIONS_LIMIT } from '@shelfwatch/shared';
import { type NumberOptions, type TObject, type TSchema, Type } from '@sinclair/typebox';

/**
 * Ajv keyword `x-finite`: refuses Infinity and -Infinity. Ajv's coercion turns `conf=1e309` into
 * Infinity and then skips `minimum`/`maximum`, which only check finite numbers, so without this
 * `?conf=Infinity` passed validation. Registered in app.ts (`ajv.plugins`).
 */
export function ajvFiniteKeyword<
  A extends {
    addKeyword(definition: {
      keyword: string;
      schemaType: 'boolean';
      validate: (schema: boolean, data: unknown) => boolean;
      errors: boolean;
    }): unknown;
  },
>(ajv: A): A {
  const validate = Object.assign(
    (schema: boolean, data: unknown) => {
      if (!schema || typeof data !== 'number' || Number.isFinite(data)) return true;
      validate.errors = [{ keyword: 'x-finite', message: 'must be a finite number', params: {} }];
      return false;
    },
    { errors: null as unknown },
  );
  ajv.addKeyword({ keyword: 'x-finite', schemaType: 'boolean', validate, errors: true });
  return ajv;
}

/** A query number: finite, in range (use these for every numeric query parameter). */
export const FiniteNumber = (options: NumberOptions) => Type.Number({ ...options, 'x-finite': true });
export const FiniteInteger = (options: NumberOptions) => Type.Integer({ ...options, 'x-finite': true });

/** `[x1, y1, x2, y2]` in the upright source image's pixels. */
export const BoxXyxy = Type.Tuple([Type.Number(), Type.Number(), Type.Number(), Type.Number()], {
  description: '[x1, y1, x2, y2] in original (EXIF-upright) image pixels',
});

/** `[x, y]` in the upright source image's pixels. */
export const PointXy = Type.Tuple([Type.Number(), Type.Number()], {
  description: '[x, y] in original (EXIF-upright) image pixels',
});

const RowIndex = Type.Integer({
  minimum: 0,
  description: "index of the detection's row in shelf.rows (rows sorted top to bottom)",
});

const RowLine = Type.Tuple([PointXy, PointXy], {
  description:
    "the row's baseline [[x1, y1], [x2, y2]]: a line through its products' bottom edges, from its left-most to its right-most product; rows may be tilted and converge, draw them along it",
});

const detectionFields = {
  box: BoxXyxy,
  score: Type.Number({ minimum: 0, maximum: 1 }),
  label: Type.String(),
};
const rowCount = Type.Integer({ minimum: 0 });
const rowGaps = Type.Array(BoxXyxy, { description: 'empty stretches along the row (likely out of stock)' });

export const Detection = Type.Object({ ...detectionFields, row: RowIndex });

export const ShelfRow = Type.Object({ box: BoxXyxy, line: RowLine, count: rowCount, gaps: rowGaps });

/** A detection as stored in an audit: `row` is absent in audits stored before detections carried it. */
export const StoredDetection = Type.Object({ ...detectionFields, row: Type.Optional(RowIndex) });

/** A row as stored in an audit: `line` is absent in audits stored before rows carried it. */
export const StoredShelfRow = Type.Object({
  box: BoxXyxy,
  line: Type.Optional(RowLine),
  count: rowCount,
  gaps: rowGaps,
});

export const ModelInfo = Type.Object({ name: Type.String(), version: Type.String() });

export const PredictResult = Type.Object({
  model: ModelInfo,
  image: Type.Object({ width: Type.Integer(), height: Type.Integer() }),
  count: Type.Integer({ minimum: 0 }),
  detections: Type.Array(Detection),
  shelf: Type.Object({ rows: Type.Array(ShelfRow) }),
  timingsMs: Type.Object(
    {
      decode: Type.Number({
        description: 'photo bytes to upright RGB(A) pixels (sharp; the PWA: createImageBitmap)',
      }),
      resize: Type.Number({
        description: 'letterbox resample fused with the CHW layout and /255 (the shared WebAssembly kernel)',
      }),
      tensor: Type.Number({ description: "filling the session's input tensor" }),
      inference: Type.Number({ description: 'the model run (onnxruntime)' }),
      postprocess: Type.Number({ description: 'decode boxes, NMS, labels, shelf rows and gaps' }),
      total: Type.Number({ description: 'wall time of all stages' }),
    },
    { description: 'milliseconds per stage; the same stages and meanings as the PWA on device' },
  ),
});

export const ErrorBody = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }) },
  { description: 'Error; see the code' },
);

/** The query of a route that takes none: any key is refused (400), never ignored. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

/** The thresholds of POST /predict and POST /audits. */
export const ThresholdQuery = {
  conf: Type.Optional(
    FiniteNumber({ minimum: 0, maximum: 1, description: `score threshold (default ${DEFAULT_CONF})` }),
  ),
  iou: Type.Optional(
    FiniteNumber({ minimum: 0, maximum: 1, description: `NMS IoU threshold (default ${DEFAULT_IOU})` }),
  ),
  maxDetections: Type.Optional(
    FiniteInteger({
      minimum: 0,
      maximum: MAX_DETECTIONS_LIMIT,
      description: `most detections (default ${DEFAULT_MAX_DETECTIONS})`,
    }),
  ),
};

/** Error responses by status, for route schemas. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody]));
}

/** Documents the accepted image bodies in OpenAPI (not validated by Ajv: the body is a Buffer or a stream). */
export const IMAGE_CONSUMES = ['image/jpeg', 'image/png', 'image/webp', 'multipart/form-data'];

/** The route-schema key of {@link imageBodyDoc}; the swagger plugin turns it into the request body. */
export const IMAGE_BODY_DOC = 'x-image-body';

/**
 * The OpenAPI request body of an image route, for the docs only (Ajv never sees it): the raw photo
 * bytes, or multipart with the file field `image` and the route's text `fields`.
 */
export function imageBodyDoc(fields?: TObject) {
  const binary = { schema: { type: 'string', format: 'binary' } };
  return {
    content: {
      'image/jpeg': binary,
      'image/png': binary,
      'image/webp': binary,
      'multipart/form-data': {
        schema: {
          type: 'object',
          required: ['image', ...(fields?.required ?? [])],
          properties: { image: { type: 'string', format: 'binary' }, ...fields?.properties },
        },
      },
    },
  };
}
