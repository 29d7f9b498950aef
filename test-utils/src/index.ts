export { encodePngRgb, PNG_SIGNATURE, pngChunk, pngFromParts, rgbIhdr, shelfPng } from './png.js';
export { type PollOptions, poll } from './poll.js';
export { freePort } from './ports.js';
export { isCi, needSharedData, prerequisite } from './prerequisite.js';
export {
  REPO_ROOT,
  type RunningServer,
  SERVER_ENTRY,
  type StartServerOptions,
  startServer,
  waitForServerBuild,
} from './server.js';
export { Service } from './service.js';
